/** API tokens: created with the chosen scopes and shown once, field errors in place, revoked. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ToastProvider } from "../../components/toasts";
import ApiTokens from "./ApiTokens";

afterEach(() => vi.unstubAllGlobals());

const TOKEN = {
  id: "44444444-4444-4444-8444-444444444444",
  name: "ci",
  prefix: "tfp_ab12",
  scopes: ["tasks:read"],
  expires_at: null,
  created_at: "2026-01-01T00:00:00Z",
  last_used_at: null,
  revoked_at: null,
};

function json(body: unknown, status: number): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" } });
}

function renderTokens(onWrite: (method: string, path: string, body: unknown) => Response) {
  let items = [TOKEN];
  const fetch = vi.fn(async (input: Request) => {
    const path = new URL(input.url).pathname;
    if (input.method === "GET") return json({ items }, 200);
    const answer = onWrite(input.method, path, input.method === "POST" ? await input.json() : null);
    if (input.method === "DELETE" && answer.ok) items = [];
    return answer;
  });
  vi.stubGlobal("fetch", fetch);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <ApiTokens />
      </ToastProvider>
    </QueryClientProvider>,
  );
  return fetch;
}

describe("ApiTokens", () => {
  it("creates a token with the chosen scopes, shows it once and copies it", async () => {
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    const posted: unknown[] = [];
    renderTokens((_method, _path, body) => {
      posted.push(body);
      return json({ ...TOKEN, id: "55555555-5555-4555-8555-555555555555", name: "deploy", scopes: ["tasks:read", "reports:read"], token: "tfp_secret_value_123456" }, 201);
    });
    expect(await screen.findByText("ci")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Token name"), { target: { value: " deploy " } });
    // Every scope of the vocabulary is offered.
    expect(within(screen.getByRole("group", { name: "Scopes" })).getAllByRole("checkbox")).toHaveLength(10);
    fireEvent.click(screen.getByRole("checkbox", { name: /^tasks:read/ }));
    fireEvent.click(screen.getByRole("checkbox", { name: /^reports:read/ }));
    fireEvent.submit(screen.getByRole("form", { name: "Create a token" }));
    expect(await screen.findByLabelText("New token")).toHaveTextContent("tfp_secret_value_123456");
    expect(posted).toEqual([{ name: "deploy", scopes: ["tasks:read", "reports:read"] }]);
    fireEvent.click(screen.getByRole("button", { name: "Copy" }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith("tfp_secret_value_123456"));
    expect(await screen.findByText("Token copied")).toBeInTheDocument();
    // The form is reset for the next one.
    expect(screen.getByLabelText("Token name")).toHaveValue("");
    expect(screen.getByRole("checkbox", { name: /^tasks:read/ })).not.toBeChecked();
  });

  it("shows the API's refusal next to the scopes", async () => {
    renderTokens(() =>
      json({ status: 422, title: "Invalid request", code: "validation_error", errors: [{ loc: ["body", "scopes"], msg: "List should have at least 1 item after validation, not 0", type: "too_short" }] }, 422),
    );
    fireEvent.change(await screen.findByLabelText("Token name"), { target: { value: "empty" } });
    fireEvent.submit(screen.getByRole("form", { name: "Create a token" }));
    const message = await screen.findByText(/at least 1 item/);
    expect(message).toHaveAttribute("id", screen.getByRole("group", { name: "Scopes" }).getAttribute("aria-describedby"));
    expect(screen.queryByLabelText("New token")).toBeNull();
  });

  it("revokes a token", async () => {
    const calls: string[] = [];
    renderTokens((method, path) => {
      calls.push(`${method} ${path}`);
      return json(null, 204);
    });
    fireEvent.click(await screen.findByRole("button", { name: "Revoke ci" }));
    expect(await screen.findByText("Token revoked")).toBeInTheDocument();
    expect(calls).toEqual([`DELETE /api/v1/auth/tokens/${TOKEN.id}`]);
    expect(await screen.findByText("No API tokens")).toBeInTheDocument();
  });
});
