/** "Blocked by": lists blockers, finds a new one by key or title, refuses a cycle next to the field. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Task } from "../../api/types";
import { ToastProvider } from "../../components/toasts";
import { BlockedBy } from "./BlockedBy";

afterEach(() => vi.unstubAllGlobals());

const PROJECT = "44444444-4444-4444-8444-444444444444";
const task = { id: "t-2", key: "BB-2", title: "Ship", project_id: PROJECT } as Task;
const blocker = { task_id: "t-1", project_id: PROJECT, key: "BB-1", title: "Sign contract", status: "todo", status_category: "todo", open: true };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" } });
}

function renderIt(handler: (request: Request, url: URL) => Promise<Response> | Response) {
  const calls: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const url = new URL(request.url);
      calls.push(`${request.method} ${url.pathname}${url.search}`);
      return handler(request, url);
    }),
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <MemoryRouter>
          <BlockedBy task={task} />
        </MemoryRouter>
      </ToastProvider>
    </QueryClientProvider>,
  );
  return calls;
}

describe("BlockedBy", () => {
  it("lists blockers and removes one", async () => {
    let linked = [blocker];
    const calls = renderIt((request) => {
      if (request.method === "DELETE") {
        linked = [];
        return new Response(null, { status: 204 });
      }
      return json({ task_id: task.id, blocked: linked.length > 0, blocked_by: linked, blocks: [] });
    });
    const list = await screen.findByRole("list", { name: "Blocked by" });
    expect(await within(list).findByText(/BB-1 Sign contract/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Remove blocker BB-1" }));
    expect(await within(list).findByText("Nothing")).toBeInTheDocument();
    expect(calls).toContain(`DELETE /api/v1/tasks/${task.id}/blocked-by/t-1`);
  });

  it("finds a task by key among the project's tasks and shows a refused link next to the field", async () => {
    const other = { id: "t-3", key: "BB-3", title: "Write notes", project_id: PROJECT } as Task;
    const posted: unknown[] = [];
    const calls = renderIt(async (request, url) => {
      if (request.method === "POST") {
        posted.push(await request.json());
        return json({ status: 409, title: "This dependency would make a cycle", code: "dependency_cycle", detail: "BB-3 is blocked by BB-2 already." }, 409);
      }
      if (url.pathname.endsWith("/tasks")) return json({ items: [task, other, { ...other, id: "t-4", key: "BB-33" }], next_cursor: null });
      return json({ task_id: task.id, blocked: false, blocked_by: [], blocks: [] });
    });
    fireEvent.change(await screen.findByLabelText("Add a blocker (key or title)"), { target: { value: "bb-3" } });
    const match = await screen.findByRole("button", { name: "BB-3 Write notes" });
    expect(screen.queryByRole("button", { name: /BB-33/ })).toBeNull();
    // A key is not in the search index: the project's recent tasks are listed, not searched.
    expect(calls.some((c) => c.startsWith(`GET /api/v1/projects/${PROJECT}/tasks?`) && !c.includes("q="))).toBe(true);
    fireEvent.click(match);
    const input = screen.getByLabelText("Add a blocker (key or title)");
    await waitFor(() => expect(input).toHaveAttribute("aria-invalid", "true"));
    expect(screen.getByText("BB-3 is blocked by BB-2 already.")).toHaveAttribute("id", input.getAttribute("aria-describedby"));
    expect(posted).toEqual([{ task_id: "t-3" }]);
  });

  it("searches titles with the tasks search API", async () => {
    const calls = renderIt((_request, url) =>
      url.pathname.endsWith("/tasks") ? json({ items: [], next_cursor: null }) : json({ task_id: task.id, blocked: false, blocked_by: [], blocks: [] }),
    );
    fireEvent.change(await screen.findByLabelText("Add a blocker (key or title)"), { target: { value: "contract" } });
    await waitFor(() => expect(calls.some((c) => c.includes("q=contract"))).toBe(true));
  });
});
