/** The board with 1,000 tasks: a long column draws a window of cards, a short one all of its. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { ProjectStatus } from "../../api/types";
import { ToastProvider } from "../../components/toasts";
import BoardPage, { WINDOWED_FROM } from "./BoardPage";

const PROJECT = "55555555-5555-4555-8555-555555555555";
const TODO = "00000000-0000-7000-8000-00000000000a";
const DONE = "00000000-0000-7000-8000-00000000000b";

function status(id: string, name: string, position: number): ProjectStatus {
  return {
    id,
    name,
    position,
    wip_limit: null,
    category: name === "done" ? "done" : "todo",
    colour: "#3b82f6",
    project_id: PROJECT,
    task_count: 0,
    version: 1,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
}

// 995 to do, 5 done.
const task = (i: number) => ({
  id: `00000000-0000-7000-8000-${String(i + 100).padStart(12, "0")}`,
  key: `BIG-${i + 1}`,
  title: `Task number ${i + 1}`,
  project_id: PROJECT,
  status_id: i < 995 ? TODO : DONE,
  status: i < 995 ? "todo" : "done",
  priority: "none",
  position: i,
  due_at: null,
  blocked: false,
  label_ids: [],
  version: 1,
});

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" } });
}

beforeEach(() => {
  // jsdom lays nothing out: a 600 px column and 88 px cards, as a browser would measure.
  vi.spyOn(HTMLElement.prototype, "offsetHeight", "get").mockReturnValue(88);
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(600);
  vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockReturnValue({ x: 0, y: 0, top: 0, left: 0, bottom: 600, right: 288, width: 288, height: 600, toJSON: () => ({}) });
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const url = new URL(request.url);
      if (url.pathname.endsWith("/statuses")) return json({ items: [status(TODO, "todo", 0), status(DONE, "done", 1)] });
      if (url.pathname.endsWith("/tasks")) {
        const page = Number(url.searchParams.get("cursor") ?? "0");
        const items = Array.from({ length: 200 }, (_, i) => task(page * 200 + i));
        return json({ items, next_cursor: page < 4 ? String(page + 1) : null });
      }
      return json({ items: [], next_cursor: null });
    }),
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("BoardPage", () => {
  it("draws a window of a 995-card column and every card of a short one", async () => {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <ToastProvider>
          <MemoryRouter initialEntries={[`/projects/${PROJECT}/board`]}>
            <Routes>
              <Route path="/projects/:projectId/board" element={<BoardPage />} />
            </Routes>
          </MemoryRouter>
        </ToastProvider>
      </QueryClientProvider>,
    );
    const todo = await screen.findByRole("listitem", { name: "Todo" });
    expect(await within(todo).findByText("Task number 1")).toBeInTheDocument();
    // The header counts them all; the page holds a window of them.
    expect(within(todo).getByText("995")).toBeInTheDocument();
    const drawn = within(todo).getAllByRole("button", { name: /^Move BIG-/ });
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.length).toBeLessThan(40);
    expect(within(todo).queryByText("Task number 995")).toBeNull();
    expect(within(todo).getByRole("group", { name: "Todo: 995 cards" })).toHaveAttribute("data-windowed", "true");

    const done = screen.getByRole("listitem", { name: "Done" });
    expect(within(done).getAllByRole("button", { name: /^Move BIG-/ })).toHaveLength(5);
    expect(within(done).queryByRole("group")).toBeNull();
    expect(WINDOWED_FROM).toBeGreaterThan(5);
  });
});
