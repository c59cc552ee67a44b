/** The list: 1,000 tasks draw a window of rows, not 1,000; `j` / `k` move the focus through them. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { moveRow } from "../../app/rows";
import { ToastProvider } from "../../components/toasts";
import ListPage from "./ListPage";

const PROJECT = "44444444-4444-4444-8444-444444444444";
const task = (i: number) => ({
  id: `00000000-0000-7000-8000-${String(i).padStart(12, "0")}`,
  key: `BIG-${i + 1}`,
  title: `Task number ${i + 1}`,
  project_id: PROJECT,
  status_id: "s",
  status: "todo",
  priority: "none",
  due_at: null,
  blocked: false,
  label_ids: [],
});

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" } });
}

beforeEach(() => {
  // jsdom lays nothing out: give every row the height a browser would (the virtualiser measures).
  vi.spyOn(HTMLElement.prototype, "offsetHeight", "get").mockReturnValue(41);
  vi.spyOn(window, "scrollTo").mockImplementation(() => undefined);
  vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockReturnValue({ x: 0, y: 0, top: 0, left: 0, bottom: 41, right: 800, width: 800, height: 41, toJSON: () => ({}) });
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const url = new URL(request.url);
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

describe("ListPage", () => {
  it("draws a window of 1,000 rows and moves with j / k", async () => {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <ToastProvider>
          <MemoryRouter initialEntries={[`/projects/${PROJECT}/list`]}>
            <Routes>
              <Route path="/projects/:projectId/list" element={<ListPage />} />
            </Routes>
          </MemoryRouter>
        </ToastProvider>
      </QueryClientProvider>,
    );
    const table = await screen.findByRole("table");
    expect(table).toHaveAttribute("aria-rowcount", "1001");
    const drawn = screen.getAllByRole("link").length;
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(100);

    act(() => moveRow(1));
    await waitFor(() => expect(screen.getByRole("link", { name: "Task number 1" })).toHaveFocus());
    act(() => moveRow(1));
    await waitFor(() => expect(screen.getByRole("link", { name: "Task number 2" })).toHaveFocus());
    act(() => moveRow(-1));
    act(() => moveRow(-1));
    await waitFor(() => expect(screen.getByRole("link", { name: "Task number 1" })).toHaveFocus());
  });
});
