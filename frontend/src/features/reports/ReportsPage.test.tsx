/** Reports: the summary's figures, both charts drawn from the API's points, CSV downloads, empty history. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";

import { ToastProvider } from "../../components/toasts";
import ReportsPage from "./ReportsPage";

const PROJECT = "22222222-2222-4222-8222-222222222222";
const SUMMARY = {
  as_of: "2026-03-02T10:00:00Z",
  tz: "UTC",
  project_id: PROJECT,
  archived: false,
  total: 12,
  by_status: {},
  by_category: { backlog: 1, todo: 4, in_progress: 2, done: 5, cancelled: 0 },
  by_priority: {},
  overdue: 3,
  completion_rate: 0.4166,
  on_time_rate: null,
  cycle_time: { count: 5, median_hours: 30, p90_hours: 70 },
  lead_time: { count: 5, median_hours: 72, p90_hours: 120 },
};
const day = (d: string, done: number) => ({
  day: d,
  todo: 3,
  in_progress: 1,
  blocked: 0,
  done,
  cancelled: 0,
  by_status: {},
  by_category: { backlog: 0, todo: 3, in_progress: 1, done, cancelled: 0 },
  open: 4,
  overdue: 0,
});
const FLOW = { as_of: null, tz: "UTC", project_id: PROJECT, items: [day("2026-03-01", 1), day("2026-03-02", 2)] };
const THROUGHPUT = (items: unknown[]) => ({ as_of: null, tz: "UTC", project_id: PROJECT, interval: "day", from: "2026-03-01", to: "2026-03-02", items });

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" } });
}

let requests: URL[] = [];
beforeEach(() => {
  requests = [];
  // jsdom has no ResizeObserver: ResponsiveContainer then draws at its initialDimension.
});
afterEach(() => vi.unstubAllGlobals());

function renderPage(throughputItems: unknown[]) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      requests.push(url);
      if (url.searchParams.get("format") === "csv") return new Response("day,created,completed\n2026-03-01,2,1\n", { headers: { "Content-Type": "text/csv" } });
      if (url.pathname.endsWith("/summary")) return json(SUMMARY);
      if (url.pathname.endsWith("/cumulative-flow")) return json(FLOW);
      return json(THROUGHPUT(throughputItems));
    }),
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const view = render(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <MemoryRouter initialEntries={[`/projects/${PROJECT}/reports`]}>
          <Routes>
            <Route path="/projects/:projectId/reports" element={<ReportsPage />} />
          </Routes>
        </MemoryRouter>
      </ToastProvider>
    </QueryClientProvider>,
  );
  return view;
}

describe("ReportsPage", () => {
  it("shows the summary's figures and draws both charts", async () => {
    const { container } = renderPage([
      { period_start: "2026-03-01", created: 2, completed: 1 },
      { period_start: "2026-03-02", created: 0, completed: 1 },
    ]);
    const figure = (label: string) => screen.getByText(label).nextElementSibling;
    await screen.findByText("Tasks");
    expect(figure("Tasks")).toHaveTextContent("12");
    expect(figure("Overdue")).toHaveTextContent("3");
    expect(figure("Completion")).toHaveTextContent("42 %");
    expect(figure("On time")).toHaveTextContent("–");
    expect(figure("Cycle time (median)")).toHaveTextContent("30.0 h");
    expect(figure("Lead time (median)")).toHaveTextContent("3.0 d");
    const flow = await screen.findByRole("figure", { name: "Cumulative flow chart" });
    const bars = await screen.findByRole("figure", { name: "Throughput chart" });
    // One stacked area per category; a bar per non-zero value (3 of 2 points x 2 series).
    await waitFor(() => expect(flow.querySelectorAll(".recharts-area")).toHaveLength(4));
    await waitFor(() => expect(bars.querySelectorAll(".recharts-bar-rectangle")).toHaveLength(3));
    expect(container.textContent).toContain("2026-03-02");
    // Days are the viewer's: every request names the browser's zone.
    expect(requests.every((u) => u.searchParams.get("tz"))).toBe(true);
  });

  it("asks for weeks and downloads a report as CSV", async () => {
    const createObjectURL = vi.fn((_blob: Blob) => "blob:report");
    const saved = { createObjectURL: URL.createObjectURL, revokeObjectURL: URL.revokeObjectURL };
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    onTestFinished(() => {
      Object.assign(URL, saved);
    });
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    renderPage([{ period_start: "2026-03-02", created: 1, completed: 1 }]);
    fireEvent.change(await screen.findByLabelText("Per"), { target: { value: "week" } });
    await waitFor(() => expect(requests.some((u) => u.pathname.endsWith("/throughput") && u.searchParams.get("interval") === "week")).toBe(true));
    fireEvent.click(screen.getByRole("button", { name: "Download the throughput as CSV" }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    const csv = requests.find((u) => u.searchParams.get("format") === "csv");
    expect(csv?.pathname).toBe(`/api/v1/reports/projects/${PROJECT}/throughput`);
    expect(csv?.searchParams.get("interval")).toBe("week");
    const blob = createObjectURL.mock.calls[0]?.[0] as Blob;
    expect(await blob.text()).toBe("day,created,completed\n2026-03-01,2,1\n");
    click.mockRestore();
  });

  it("says what to expect when there is no history yet", async () => {
    renderPage([]);
    expect(await screen.findByText("Nothing created or completed yet")).toBeInTheDocument();
    expect(screen.queryByRole("figure", { name: "Throughput chart" })).toBeNull();
  });
});
