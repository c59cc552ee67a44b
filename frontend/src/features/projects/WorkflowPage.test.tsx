/** The Workflow tab: a refused new status shows the API's message next to the field it names. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ToastProvider } from "../../components/toasts";
import WorkflowPage from "./WorkflowPage";

afterEach(() => vi.unstubAllGlobals());

const PROJECT = "22222222-2222-4222-8222-222222222222";
const STATUS = {
  id: "33333333-3333-4333-8333-333333333333",
  name: "todo",
  position: 0,
  wip_limit: null,
  category: "todo",
  colour: "#6b7280",
  project_id: PROJECT,
  task_count: 2,
  version: 1,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" } });
}

function renderPage(role: string, onPost: (body: unknown) => Response) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const path = new URL(input.url).pathname;
      if (input.method === "POST") return onPost(await input.json());
      if (path.endsWith("/statuses")) return json({ items: [STATUS] }, 200);
      return json({ id: PROJECT, key: "WF", name: "Flow", role, version: 1 }, 200);
    }),
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <MemoryRouter initialEntries={[`/projects/${PROJECT}/workflow`]}>
          <Routes>
            <Route path="/projects/:projectId/workflow" element={<WorkflowPage />} />
          </Routes>
        </MemoryRouter>
      </ToastProvider>
    </QueryClientProvider>,
  );
}

describe("WorkflowPage", () => {
  it("sends the new status and shows a refusal next to the WIP limit field", async () => {
    const posted: unknown[] = [];
    renderPage("admin", (body) => {
      posted.push(body);
      return json(
        { status: 422, title: "Invalid request", code: "validation_error", errors: [{ loc: ["body", "wip_limit"], msg: "Input should be greater than or equal to 1", type: "greater_than_equal" }] },
        422,
      );
    });
    fireEvent.change(await screen.findByLabelText("New status name"), { target: { value: "Review" } });
    fireEvent.change(screen.getByLabelText("WIP limit"), { target: { value: "0" } });
    // The browser would refuse 0 itself (min=1); submit anyway to see how the API's refusal reads.
    fireEvent.submit(screen.getByRole("form", { name: "Add a status" }));
    const limit = screen.getByLabelText("WIP limit");
    expect(await screen.findByText("Input should be greater than or equal to 1")).toHaveAttribute("id", limit.getAttribute("aria-describedby"));
    expect(limit).toHaveAttribute("aria-invalid", "true");
    expect(posted).toEqual([{ name: "Review", category: "in_progress", colour: "#6b7280", wip_limit: 0 }]);
    // Existing statuses are listed with their editors and a place for their tasks to go.
    expect(screen.getByLabelText("Name of Todo")).toHaveValue("todo");
  });
  it("is read-only for members", async () => {
    renderPage("member", () => json({}, 500));
    expect(await screen.findByText(/Only the project's owners and admins/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Add status" })).toBeNull();
  });
});
