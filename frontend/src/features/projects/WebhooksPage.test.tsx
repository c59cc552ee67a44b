/** The Webhooks tab: the list, a secret shown once, a refused URL next to its field, members read nothing. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ToastProvider } from "../../components/toasts";
import WebhooksPage from "./WebhooksPage";

afterEach(() => vi.unstubAllGlobals());

const PROJECT = "22222222-2222-4222-8222-222222222222";
const HOOK = {
  id: "44444444-4444-4444-8444-444444444444",
  project_id: PROJECT,
  url: "https://hooks.example.com/in",
  description: "CI",
  event_types: ["task.*"],
  active: true,
  disabled_reason: null,
  failing_since: "2026-01-02T00:00:00Z",
  previous_secret_expires_at: null,
  version: 3,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

const ATTEMPT = {
  id: "66666666-6666-4666-8666-666666666666",
  delivery_id: "77777777-7777-4777-8777-777777777777",
  attempted_at: "2026-01-02T00:00:00Z",
  status_code: 503,
  duration_ms: 1200,
  response_excerpt: "upstream down",
  error: null,
  outcome: "failed",
};

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" } });
}

function renderPage(role: string, onPost: (body: unknown) => Response) {
  const fetched: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const path = new URL(input.url).pathname;
      fetched.push(`${input.method} ${path}`);
      if (input.method === "POST") return onPost(await input.json());
      if (path.endsWith("/webhooks")) return json({ items: [HOOK], next_cursor: null }, 200);
      return json({ id: PROJECT, key: "WH", name: "Hooks", role, version: 1 }, 200);
    }),
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <MemoryRouter initialEntries={[`/projects/${PROJECT}/webhooks`]}>
          <Routes>
            <Route path="/projects/:projectId/webhooks" element={<WebhooksPage />} />
          </Routes>
        </MemoryRouter>
      </ToastProvider>
    </QueryClientProvider>,
  );
  return fetched;
}

describe("WebhooksPage", () => {
  it("lists the endpoints with their events and failure", async () => {
    renderPage("owner", () => json({}, 500));
    const list = await screen.findByRole("list", { name: "Webhooks" });
    expect(list).toHaveTextContent("https://hooks.example.com/in");
    expect(list).toHaveTextContent("task.*");
    expect(list).toHaveTextContent("Active");
    expect(list).toHaveTextContent("Failing since");
  });
  it("shows the new secret once, until dismissed", async () => {
    const posted: unknown[] = [];
    renderPage("admin", (body) => {
      posted.push(body);
      return json({ ...HOOK, id: "55555555-5555-4555-8555-555555555555", url: "https://b.example.com/", secret: "whsec_c2VjcmV0" }, 201);
    });
    fireEvent.change(await screen.findByLabelText("Endpoint URL"), { target: { value: "https://b.example.com/" } });
    fireEvent.change(screen.getByLabelText("Event types"), { target: { value: "task.*, comment.created" } });
    fireEvent.submit(screen.getByRole("form", { name: "Add a webhook" }));
    expect(await screen.findByLabelText("Signing secret")).toHaveTextContent("whsec_c2VjcmV0");
    expect(screen.getByText(/will not be shown again/)).toBeInTheDocument();
    expect(posted).toEqual([{ url: "https://b.example.com/", event_types: ["task.*", "comment.created"], description: "" }]);
    fireEvent.click(screen.getByRole("button", { name: "I have stored it" }));
    expect(screen.queryByText(/whsec_/)).toBeNull();
  });
  it("shows a refused URL next to the URL field", async () => {
    renderPage("admin", () =>
      json({ status: 422, title: "Invalid request", code: "validation_error", errors: [{ loc: ["body", "url"], msg: "The URL must use https", type: "value_error" }] }, 422),
    );
    fireEvent.change(await screen.findByLabelText("Endpoint URL"), { target: { value: "http://x.example.com/" } });
    fireEvent.submit(screen.getByRole("form", { name: "Add a webhook" }));
    const url = screen.getByLabelText("Endpoint URL");
    expect(await screen.findByText("The URL must use https")).toHaveAttribute("id", url.getAttribute("aria-describedby"));
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(screen.queryByLabelText("Signing secret")).toBeNull();
  });
  it("pauses with If-Match, and redelivers a failed attempt from the log", async () => {
    const sent: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: Request) => {
        const path = new URL(input.url).pathname;
        if (input.method !== "GET") {
          sent.push(`${input.method} ${path} ${input.headers.get("If-Match") ?? ""} ${await input.text()}`);
          return json(path.endsWith("/redeliver") ? { ...ATTEMPT } : HOOK, input.method === "PATCH" ? 200 : 202);
        }
        if (path.endsWith("/attempts")) return json({ items: [ATTEMPT], next_cursor: null }, 200);
        if (path.endsWith("/webhooks")) return json({ items: [HOOK], next_cursor: null }, 200);
        return json({ id: PROJECT, key: "WH", name: "Hooks", role: "owner", version: 1 }, 200);
      }),
    );
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={[`/projects/${PROJECT}/webhooks`]}>
          <Routes>
            <Route path="/projects/:projectId/webhooks" element={<WebhooksPage />} />
          </Routes>
        </MemoryRouter>
      </QueryClientProvider>,
    );
    fireEvent.click(await screen.findByRole("button", { name: "Pause" }));
    fireEvent.click(screen.getByRole("button", { name: "Delivery log" }));
    const log = await screen.findByRole("table", { name: "Delivery log" });
    expect(log).toHaveTextContent("503");
    expect(log).toHaveTextContent("1200 ms");
    expect(log).toHaveTextContent("upstream down");
    fireEvent.click(screen.getByRole("button", { name: "Redeliver" }));
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent).toContain(`PATCH /api/v1/webhooks/${HOOK.id} "3" {"active":false}`);
    expect(sent).toContain(`POST /api/v1/webhooks/${HOOK.id}/deliveries/${ATTEMPT.delivery_id}/redeliver  `);
    // Let the log reload after the redelivery before the test ends.
    await vi.waitFor(() => expect(screen.getByRole("button", { name: "Redeliver" })).toBeEnabled());
  });
  it("redelivers every failed message since a time", async () => {
    const sent: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: Request) => {
        const path = new URL(input.url).pathname;
        if (input.method !== "GET") {
          sent.push(`${input.method} ${path} ${await input.text()}`);
          return json({ requeued: 2 }, 202);
        }
        if (path.endsWith("/attempts")) return json({ items: [ATTEMPT], next_cursor: null }, 200);
        if (path.endsWith("/webhooks")) return json({ items: [HOOK], next_cursor: null }, 200);
        return json({ id: PROJECT, key: "WH", name: "Hooks", role: "admin", version: 1 }, 200);
      }),
    );
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={[`/projects/${PROJECT}/webhooks`]}>
          <Routes>
            <Route path="/projects/:projectId/webhooks" element={<WebhooksPage />} />
          </Routes>
        </MemoryRouter>
      </QueryClientProvider>,
    );
    fireEvent.click(await screen.findByRole("button", { name: "Delivery log" }));
    const local = "2026-01-02T08:30";
    fireEvent.change(await screen.findByLabelText("Failed since"), { target: { value: local } });
    fireEvent.submit(screen.getByRole("form", { name: "Redeliver failed messages" }));
    expect(await screen.findByText("2 failed messages queued again.")).toBeInTheDocument();
    expect(sent).toEqual([`POST /api/v1/webhooks/${HOOK.id}/redeliver-failed {"since":"${new Date(local).toISOString()}"}`]);
  });
  it("is closed to members, who do not even fetch the list", async () => {
    const fetched = renderPage("member", () => json({}, 500));
    expect(await screen.findByText(/Only the project's owners and admins manage its webhooks/)).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Add a webhook" })).toBeNull();
    expect(fetched.some((f) => f.endsWith("/webhooks"))).toBe(false);
  });
});
