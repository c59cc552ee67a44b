/**
 * Test helper for screens: a fake network (`fetch` stubbed with a handler that sees each
 * request as method, path, query and JSON body) and the app's providers around one route.
 * Only the network is fake; the generated clients, query cache and router are the real ones.
 */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { vi } from "vitest";

import { clearSession, setSession } from "../api/session";
import { ToastProvider } from "../components/toasts";
import { AuthProvider } from "../features/auth/AuthProvider";

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Headers;
}

export function json(body: unknown, status = 200): Response {
  if (status === 204) return new Response(null, { status });
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" } });
}

/** Stub the network; returns the list of calls made, in order. */
export function fakeApi(handle: (call: Call) => Response | Promise<Response>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      const text = input.method === "GET" || input.method === "HEAD" ? "" : await input.text();
      const call = { method: input.method, path: url.pathname, query: url.searchParams, body: text ? (JSON.parse(text) as unknown) : undefined, headers: input.headers };
      calls.push(call);
      return handle(call);
    }),
  );
  return calls;
}

/** Render `element` at `url` under the route `pattern`, signed in (a token in memory). */
export function renderAt(pattern: string, url: string, element: ReactElement): QueryClient {
  setSession({ access_token: "test-token", expires_in: 900 });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <AuthProvider>
        <ToastProvider>
          <MemoryRouter initialEntries={[url]}>
            <Routes>
              <Route path={pattern} element={element} />
              <Route path="*" element={<p>elsewhere</p>} />
            </Routes>
          </MemoryRouter>
        </ToastProvider>
      </AuthProvider>
    </QueryClientProvider>,
  );
  return client;
}

export function signOutAfterTest(): void {
  // Unmount first: signing out would otherwise update a mounted AuthProvider outside act().
  cleanup();
  clearSession();
  vi.unstubAllGlobals();
}

export const ME = (roles: string[]) => ({
  id: "99999999-9999-4999-8999-999999999999",
  email: "me@example.com",
  display_name: "Me",
  timezone: "UTC",
  locale: "en",
  is_active: true,
  email_verified: true,
  roles,
  mfa_enabled: false,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  last_login_at: null,
  version: 1,
});
