import { describe, expect, it } from "vitest";

import { dueToIso, parseQuickAdd, toIsoWithOffset } from "./quickadd";

// Wednesday 9 December 2026, 10:00 local time.
const NOW = new Date(2026, 11, 9, 10, 0, 0);

function local(y: number, m: number, d: number, h = 0, min = 0): Date {
  return new Date(y, m - 1, d, h, min, 0, 0);
}

describe("the example from the issue", () => {
  it("parses every part", () => {
    const parsed = parseQuickAdd("Pay vendor invoice fri 5pm !high #finance every last friday @bob", NOW);
    expect(parsed.title).toBe("Pay vendor invoice");
    expect(parsed.due).toEqual(local(2026, 12, 11, 17));
    expect(parsed.hasTime).toBe(true);
    expect(parsed.priority).toBe("high");
    expect(parsed.labels).toEqual(["finance"]);
    expect(parsed.assignees).toEqual(["bob"]);
    expect(parsed.recurrence).toEqual({
      rrule: "FREQ=MONTHLY;BYDAY=-1FR",
      words: "every last Friday of the month",
    });
  });
});

describe("dates", () => {
  it.each([
    ["Call bank today", local(2026, 12, 9)],
    ["Call bank tomorrow", local(2026, 12, 10)],
    ["Call bank tmrw", local(2026, 12, 10)],
    ["Call bank wed", local(2026, 12, 9)],
    ["Call bank next wed", local(2026, 12, 16)],
    ["Call bank mon", local(2026, 12, 14)],
    ["Call bank on Thursday", local(2026, 12, 10)],
    ["Call bank in 3 days", local(2026, 12, 12)],
    ["Call bank in 2 weeks", local(2026, 12, 23)],
    ["Call bank next week", local(2026, 12, 14)],
    ["Call bank 2027-01-15", local(2027, 1, 15)],
    ["Call bank dec 24", local(2026, 12, 24)],
    ["Call bank 24 December", local(2026, 12, 24)],
    ["Call bank jan 3rd", local(2027, 1, 3)],
    ["Call bank 1 dec", local(2027, 12, 1)],
  ])("%s", (text, day) => {
    const parsed = parseQuickAdd(text, NOW);
    expect(parsed.title).toBe("Call bank");
    expect(parsed.due).toEqual(day);
    expect(parsed.hasTime).toBe(false);
  });
});

describe("times", () => {
  it.each([
    ["Standup tomorrow 9am", local(2026, 12, 10, 9)],
    ["Standup tomorrow at 9:30am", local(2026, 12, 10, 9, 30)],
    ["Standup tomorrow 17:45", local(2026, 12, 10, 17, 45)],
    ["Standup tomorrow 12pm", local(2026, 12, 10, 12)],
    ["Standup tomorrow 12am", local(2026, 12, 10, 0)],
    ["Standup tomorrow at 14", local(2026, 12, 10, 14)],
    ["Standup 3pm", local(2026, 12, 9, 15)],
    ["Standup 8am", local(2026, 12, 10, 8)],
  ])("%s", (text, due) => {
    const parsed = parseQuickAdd(text, NOW);
    expect(parsed.title).toBe("Standup");
    expect(parsed.due).toEqual(due);
    expect(parsed.hasTime).toBe(true);
  });
});

describe("priorities, labels and assignees", () => {
  it.each([
    ["Fix login !urgent", "urgent"],
    ["Fix login !1", "urgent"],
    ["Fix login !2", "high"],
    ["Fix login !med", "medium"],
    ["Fix login !low", "low"],
    ["Fix login !4", "low"],
  ])("%s", (text, priority) => {
    const parsed = parseQuickAdd(text, NOW);
    expect(parsed.title).toBe("Fix login");
    expect(parsed.priority).toBe(priority);
  });

  it("takes several labels and assignees once each", () => {
    const parsed = parseQuickAdd("Review #ops #q4-close @ann @bob.s #ops @ann", NOW);
    expect(parsed.title).toBe("Review");
    expect(parsed.labels).toEqual(["ops", "q4-close"]);
    expect(parsed.assignees).toEqual(["ann", "bob.s"]);
  });

  it("leaves markers inside words alone", () => {
    const parsed = parseQuickAdd("Email ann@example.com about C#!", NOW);
    expect(parsed.title).toBe("Email ann@example.com about C#!");
    expect(parsed.labels).toEqual([]);
    expect(parsed.assignees).toEqual([]);
    expect(parsed.priority).toBeNull();
  });
});

describe("recurrence in words", () => {
  it.each([
    ["Backup every day", "FREQ=DAILY", "every day"],
    ["Backup daily", "FREQ=DAILY", "every day"],
    ["Backup every weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"],
    ["Backup every week", "FREQ=WEEKLY", "every week"],
    ["Backup weekly", "FREQ=WEEKLY", "every week"],
    ["Backup monthly", "FREQ=MONTHLY", "every month"],
    ["Backup every year", "FREQ=YEARLY", "every year"],
    ["Backup every 2 weeks", "FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"],
    ["Backup every other month", "FREQ=MONTHLY;INTERVAL=2", "every 2 months"],
    ["Backup every 1 day", "FREQ=DAILY", "every day"],
    ["Backup every monday", "FREQ=WEEKLY;BYDAY=MO", "every Monday"],
    ["Backup every tue and thu", "FREQ=WEEKLY;BYDAY=TU,TH", "every Tuesday and Thursday"],
    ["Backup every fri, mon, wed", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "every Monday, Wednesday and Friday"],
    ["Backup every sunday", "FREQ=WEEKLY;BYDAY=SU", "every Sunday"],
    ["Backup every first monday", "FREQ=MONTHLY;BYDAY=1MO", "every first Monday of the month"],
    ["Backup every 3rd wed", "FREQ=MONTHLY;BYDAY=3WE", "every third Wednesday of the month"],
  ])("%s", (text, rrule, words) => {
    const parsed = parseQuickAdd(text, NOW);
    expect(parsed.title).toBe("Backup");
    expect(parsed.recurrence).toEqual({ rrule, words });
    expect(parsed.due).toBeNull();
  });
});

describe("what it does not recognise stays in the title", () => {
  it.each(["Plan the every-day routine", "Read chapter 12", "Buy 3 apples", "Marchers meeting"])("%s", (text) => {
    const parsed = parseQuickAdd(text, NOW);
    expect(parsed.title).toBe(text);
    expect(parsed.due).toBeNull();
    expect(parsed.recurrence).toBeNull();
  });
});

describe("due to ISO", () => {
  it("sends the end of the day when no time was typed", () => {
    const iso = dueToIso({ due: local(2026, 12, 11), hasTime: false });
    expect(iso?.startsWith("2026-12-11T23:59:00")).toBe(true);
  });
  it("keeps the offset so that the server reads the same instant", () => {
    const d = local(2026, 12, 11, 17, 0);
    expect(new Date(toIsoWithOffset(d)).getTime()).toBe(d.getTime());
  });
  it("is null without a date", () => {
    expect(dueToIso({ due: null, hasTime: false })).toBeNull();
  });
});
