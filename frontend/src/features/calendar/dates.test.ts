import { describe, expect, it } from "vitest";

import { byDay, dayKey, moveToDay, parseDayKey, rangeOf, step, title, visibleDays } from "./dates";

describe("calendar dates", () => {
  it("a month view is whole weeks from Monday", () => {
    // December 2026 starts on a Tuesday and ends on a Thursday.
    const days = visibleDays("month", new Date(2026, 11, 17));
    expect(days.length % 7).toBe(0);
    expect(dayKey(days[0] as Date)).toBe("2026-11-30");
    expect(dayKey(days[days.length - 1] as Date)).toBe("2027-01-03");
    expect(days).toHaveLength(35);
  });

  it("a month that starts on Monday starts with its first day", () => {
    expect(dayKey(visibleDays("month", new Date(2027, 1, 10))[0] as Date)).toBe("2027-02-01");
  });

  it("a week view is Monday to Sunday around the anchor", () => {
    expect(visibleDays("week", new Date(2026, 11, 6)).map(dayKey)).toEqual([
      "2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06",
    ]);
  });

  it("the range asks for the first day to the day after the last", () => {
    const range = rangeOf(visibleDays("week", new Date(2026, 11, 6)));
    expect(new Date(range.due_after).getTime()).toBe(new Date(2026, 10, 30).getTime());
    expect(new Date(range.due_before).getTime()).toBe(new Date(2026, 11, 7).getTime());
  });

  it("steps by a month or a week", () => {
    expect(dayKey(step("month", new Date(2026, 0, 31), 1))).toBe("2026-02-01");
    expect(dayKey(step("month", new Date(2026, 0, 31), -1))).toBe("2025-12-01");
    expect(dayKey(step("week", new Date(2026, 11, 30), 1))).toBe("2027-01-06");
  });

  it("moving keeps the time of day", () => {
    const due = new Date(2026, 11, 4, 17, 30).toISOString();
    const moved = new Date(moveToDay(due, "2026-12-09") as string);
    expect([dayKey(moved), moved.getHours(), moved.getMinutes()]).toEqual(["2026-12-09", 17, 30]);
    // Across the spring DST change the wall-clock time stays.
    const spring = new Date(moveToDay(new Date(2027, 2, 20, 9).toISOString(), "2027-04-02") as string);
    expect(spring.getHours()).toBe(9);
    expect(moveToDay(due, "2026-02-31")).toBeNull();
  });

  it("parses only real days", () => {
    expect(parseDayKey("2026-12-07")?.getDate()).toBe(7);
    expect(parseDayKey("2026-13-01")).toBeNull();
    expect(parseDayKey(null)).toBeNull();
  });

  it("groups by local day, earliest first, and skips undated tasks", () => {
    const tasks = [
      { id: "b", due_at: new Date(2026, 11, 4, 15).toISOString() },
      { id: "a", due_at: new Date(2026, 11, 4, 9).toISOString() },
      { id: "c", due_at: null },
    ];
    const grouped = byDay(tasks);
    expect(grouped.get("2026-12-04")?.map((t) => t.id)).toEqual(["a", "b"]);
    expect(grouped.size).toBe(1);
  });

  it("titles", () => {
    expect(title("month", new Date(2026, 11, 4))).toBe("December 2026");
    expect(title("week", new Date(2026, 11, 4))).toBe("30 Nov – 6 Dec 2026");
  });
});
