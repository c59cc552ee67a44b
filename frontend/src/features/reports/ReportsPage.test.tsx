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

const ADA = "33333333-3333-4333-8333-333333333333";
const BOB = "44444444-4444-4444-8444-444444444444";
const MEMBERS = [
  { user_id: ADA, role: "owner", display_name: "Ada", email: "ada@example.com" },
  { user_id: BOB, role: "member", display_name: "Bob", email: "bob@example.com" },
];
const TEAM = {
  as_of: null,
  tz: "UTC",
  project_id: PROJECT,
  items: [
    { user_id: ADA, role: "owner", assigned: 4, completed: 3, overdue: 1, on_time_rate: 0.75, median_cycle_hours: 12.5 },
    { user_id: BOB, role: "member", assigned: 2, completed: 0, overdue: 0, on_time_rate: null, median_cycle_hours: null },
  ],
};
const M1 = { id: "55555555-5555-4555-8555-555555555555", title: "Launch", state: "open" };
const M2 = { id: "66666666-6666-4666-8666-666666666666", title: "Beta", state: "closed" };
const BURNDOWN = (milestone: string) => ({
  as_of: null,
  tz: "UTC",
  milestone_id: milestone,
  project_id: PROJECT,
  title: milestone === M1.id ? "Launch" : "Beta",
  due_date: "2026-03-10",
  items: [
    { day: "2026-03-01", scope: 4, done: 0, remaining: 4, ideal: 4 },
    { day: "2026-03-02", scope: 4, done: 1, remaining: milestone === M1.id ? 3 : 1, ideal: 2 },
  ],
});
let milestones: unknown[] = [M2, M1];
let team: () => Response = () => json(TEAM);

let requests: URL[] = [];
beforeEach(() => {
  requests = [];
  milestones = [M2, M1];
  team = () => json(TEAM);
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
      if (url.pathname.endsWith("/team")) return team();
      if (url.pathname.endsWith("/members")) return json({ items: MEMBERS, next_cursor: null });
      if (url.pathname.endsWith("/milestones")) return json({ items: milestones, next_cursor: null });
      if (url.pathname.endsWith("/burndown")) return json(BURNDOWN(url.pathname.split("/")[5] ?? ""));
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
    const figure = (label: string) => screen.getByText(label, { selector: "dt" }).nextElementSibling;
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
    expect(requests.filter((u) => u.pathname.startsWith("/api/v1/reports/")).every((u) => u.searchParams.get("tz"))).toBe(true);
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

  it("draws the burndown of the first open milestone, switches milestone and downloads it as CSV", async () => {
    const createObjectURL = vi.fn((_blob: Blob) => "blob:report");
    const saved = { createObjectURL: URL.createObjectURL, revokeObjectURL: URL.revokeObjectURL };
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    onTestFinished(() => {
      Object.assign(URL, saved);
    });
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    renderPage([]);
    const chart = await screen.findByRole("figure", { name: "Burndown chart" });
    // Remaining, ideal and scope: three lines, drawn from the open milestone's points.
    await waitFor(() => expect(chart.querySelectorAll(".recharts-line")).toHaveLength(3));
    expect(chart).toHaveTextContent("3 of 4 tasks remaining on 2026-03-02; due 2026-03-10");
    expect(screen.getByLabelText("Milestone")).toHaveValue(M1.id);
    fireEvent.change(screen.getByLabelText("Milestone"), { target: { value: M2.id } });
    expect(await screen.findByText(/1 of 4 tasks remaining/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Download the burndown as CSV" }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    const csv = requests.find((u) => u.searchParams.get("format") === "csv");
    expect(csv?.pathname).toBe(`/api/v1/reports/milestones/${M2.id}/burndown`);
    click.mockRestore();
  });

  it("says how to get a burndown when the project has no milestone", async () => {
    milestones = [];
    renderPage([]);
    expect(await screen.findByText("No milestones yet")).toBeInTheDocument();
    expect(requests.some((u) => u.pathname.endsWith("/burndown"))).toBe(false);
  });

  it("shows the team's figures by name as bars and a table, and downloads them as CSV", async () => {
    const createObjectURL = vi.fn((_blob: Blob) => "blob:report");
    const saved = { createObjectURL: URL.createObjectURL, revokeObjectURL: URL.revokeObjectURL };
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    onTestFinished(() => {
      Object.assign(URL, saved);
    });
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    renderPage([]);
    const chart = await screen.findByRole("figure", { name: "Team chart" });
    // Bars for the non-zero values: Ada 4, 3, 1; Bob 2.
    await waitFor(() => expect(chart.querySelectorAll(".recharts-bar-rectangle")).toHaveLength(4));
    // No data key leaks onto the shapes as an attribute (a `role="owner"` broke ARIA).
    expect(chart.querySelectorAll("[role=owner], [role=member]")).toHaveLength(0);
    const ada = await screen.findByRole("row", { name: /Ada/ });
    expect(ada).toHaveTextContent("75 %");
    expect(ada).toHaveTextContent("12.5 h");
    expect(screen.getByRole("row", { name: /Bob/ })).toHaveTextContent("–");
    fireEvent.click(screen.getByRole("button", { name: "Download the team report as CSV" }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(requests.find((u) => u.searchParams.get("format") === "csv")?.pathname).toBe(`/api/v1/reports/projects/${PROJECT}/team`);
    click.mockRestore();
  });

  it("tells members that the team report is for owners and admins", async () => {
    team = () => json({ status: 403, title: "Forbidden", code: "forbidden", detail: "Owners and admins only." }, 403);
    renderPage([]);
    expect(await screen.findByText("Only the project's owners and admins see the team report.")).toBeInTheDocument();
    expect(screen.queryByRole("figure", { name: "Team chart" })).toBeNull();
  });
});
