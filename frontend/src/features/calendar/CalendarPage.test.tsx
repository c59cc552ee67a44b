/** The calendar on a narrow screen: days as rows (no seven-column grid), chips in their day. */
import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi, json, renderAt, signOutAfterTest } from "../../testing/render";
import CalendarPage from "./CalendarPage";
import { dayKey } from "./dates";

afterEach(signOutAfterTest);

const PROJECT = "22222222-2222-4222-8222-222222222222";
const TASK = { id: "88888888-8888-4888-8888-888888888888", project_id: PROJECT, key: "OPS-7", title: "Close the books", version: 3, due_at: "2026-12-09T10:00:00Z", status_category: "todo", labels: [], assignee_ids: [] };

function screenWidth(narrow: boolean) {
  vi.stubGlobal("matchMedia", (query: string) => ({ matches: narrow && query.includes("max-width"), media: query, addEventListener: () => undefined, removeEventListener: () => undefined }));
}

describe("CalendarPage on a narrow screen", () => {
  it("shows the month's days as rows, the task in its day", async () => {
    fakeApi(() => json({ items: [TASK], next_cursor: null }));
    screenWidth(true);
    renderAt("/projects/:projectId/calendar", `/projects/${PROJECT}/calendar?date=2026-12-07`, <CalendarPage />);
    const days = screen.getByRole("list", { name: "Days" });
    expect(Array.from(days.children)).toHaveLength(31);
    expect(await within(days).findByRole("link", { name: "Close the books" })).toBeInTheDocument();
    const day = screen.getByRole("link", { name: "Close the books" }).closest("[data-day]");
    expect(day?.getAttribute("data-day")).toBe(dayKey(new Date(TASK.due_at)));
  });

  it("shows a week as seven rows", async () => {
    fakeApi(() => json({ items: [], next_cursor: null }));
    screenWidth(true);
    renderAt("/projects/:projectId/calendar", `/projects/${PROJECT}/calendar?mode=week&date=2026-12-07`, <CalendarPage />);
    const days = screen.getByRole("list", { name: "Days" });
    expect(Array.from(days.children)).toHaveLength(7);
  });

  it("keeps the seven-column grid on a wide screen", () => {
    fakeApi(() => json({ items: [], next_cursor: null }));
    screenWidth(false);
    renderAt("/projects/:projectId/calendar", `/projects/${PROJECT}/calendar?date=2026-12-07`, <CalendarPage />);
    expect(screen.queryByRole("list", { name: "Days" })).toBeNull();
    expect(document.querySelectorAll("[data-day]").length).toBeGreaterThanOrEqual(35);
  });
});
