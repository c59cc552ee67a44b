import { describe, expect, it } from "vitest";

import { describeRule, formatRule, nextDates, parseRule, type RuleParts } from "./rrule";

const day = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

describe("describeRule", () => {
  it.each([
    ["FREQ=DAILY", "every day"],
    ["FREQ=DAILY;INTERVAL=3", "every 3 days"],
    ["FREQ=WEEKLY", "every week"],
    ["FREQ=WEEKLY;BYDAY=MO", "every week on Monday"],
    ["FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "every 2 weeks on Tuesday and Thursday"],
    ["FREQ=WEEKLY;BYDAY=TH,TU", "every week on Tuesday and Thursday"],
    ["FREQ=WEEKLY;BYDAY=SU,MO,WE", "every week on Monday, Wednesday and Sunday"],
    ["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"],
    ["FREQ=MONTHLY", "every month"],
    ["FREQ=MONTHLY;BYDAY=-1FR", "last Friday of each month"],
    ["FREQ=MONTHLY;BYDAY=1MO", "first Monday of each month"],
    ["FREQ=MONTHLY;INTERVAL=3;BYDAY=2WE", "second Wednesday of every 3 months"],
    ["FREQ=MONTHLY;BYDAY=1MO,3MO", "first Monday and third Monday of each month"],
    ["FREQ=MONTHLY;BYMONTHDAY=15", "every month on the 15th"],
    ["FREQ=MONTHLY;BYMONTHDAY=1", "every month on the 1st"],
    ["FREQ=MONTHLY;BYMONTHDAY=-1", "every month on the last day"],
    ["FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1,15", "every 2 months on the 1st and the 15th"],
    ["FREQ=YEARLY", "every year"],
    ["FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=31", "every year on 31 March"],
    ["FREQ=YEARLY;BYMONTH=1,7", "every year in January and July"],
    ["FREQ=WEEKLY;BYDAY=FR;COUNT=10", "every week on Friday, 10 times"],
    ["FREQ=DAILY;COUNT=1", "every day, once"],
    ["FREQ=DAILY;UNTIL=20261231T235959", "every day, until 31 Dec 2026"],
    ["RRULE:FREQ=DAILY", "every day"],
    ["freq=daily;interval=2", "every 2 days"],
    ["FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR", "custom rule (FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR)"],
    ["FREQ=HOURLY;INTERVAL=2", "custom rule (FREQ=HOURLY;INTERVAL=2)"],
  ])("%s -> %s", (rule, words) => {
    expect(describeRule(rule)).toBe(words);
  });
});

describe("parseRule", () => {
  it.each(["", "FREQ=", "FREQ=WEEKLY;BYDAY=XX", "FREQ=WEEKLY;INTERVAL=0", "FREQ=WEEKLY;BYDAY=1MO", "FREQ=DAILY;COUNT=2;UNTIL=20260101", "FREQ=DAILY;FREQ=DAILY", "FREQ=WEEKLY;WKST=SU"])(
    "refuses %j",
    (rule) => expect(parseRule(rule)).toBeNull(),
  );

  it.each([
    "FREQ=DAILY",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=31",
    "FREQ=WEEKLY;BYDAY=FR;COUNT=10",
    "FREQ=DAILY;UNTIL=20261231T235959",
  ])("round-trips %s", (rule) => {
    const parts = parseRule(rule) as RuleParts;
    expect(formatRule(parts)).toBe(rule);
  });
});

describe("nextDates", () => {
  const at = (rule: string, start: Date, n = 5) => nextDates(parseRule(rule) as RuleParts, start, n).map(day);

  it("every 2 weeks on Tuesday and Thursday, from a Tuesday", () => {
    // 2026-12-01 is a Tuesday.
    expect(at("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", new Date(2026, 11, 1, 9))).toEqual([
      "2026-12-03", "2026-12-15", "2026-12-17", "2026-12-29", "2026-12-31",
    ]);
  });

  it("last Friday of each month", () => {
    expect(at("FREQ=MONTHLY;BYDAY=-1FR", new Date(2026, 11, 7))).toEqual([
      "2026-12-25", "2027-01-29", "2027-02-26", "2027-03-26", "2027-04-30",
    ]);
  });

  it("the 31st skips short months, the last day does not", () => {
    expect(at("FREQ=MONTHLY;BYMONTHDAY=31", new Date(2027, 0, 31), 3)).toEqual(["2027-03-31", "2027-05-31", "2027-07-31"]);
    expect(at("FREQ=MONTHLY;BYMONTHDAY=-1", new Date(2027, 0, 31), 3)).toEqual(["2027-02-28", "2027-03-31", "2027-04-30"]);
  });

  it("plain monthly keeps the start's day", () => {
    expect(at("FREQ=MONTHLY", new Date(2026, 0, 15), 3)).toEqual(["2026-02-15", "2026-03-15", "2026-04-15"]);
  });

  it("every weekday skips the weekend", () => {
    // 2026-12-04 is a Friday.
    expect(at("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", new Date(2026, 11, 4), 3)).toEqual(["2026-12-07", "2026-12-08", "2026-12-09"]);
  });

  it("yearly on the start's date, and on 29 February only in leap years", () => {
    expect(at("FREQ=YEARLY", new Date(2026, 5, 1), 2)).toEqual(["2027-06-01", "2028-06-01"]);
    expect(at("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", new Date(2024, 1, 29), 2)).toEqual(["2028-02-29", "2032-02-29"]);
  });

  it("COUNT counts the first occurrence; UNTIL ends the series", () => {
    expect(at("FREQ=DAILY;COUNT=3", new Date(2026, 0, 1))).toEqual(["2026-01-02", "2026-01-03"]);
    expect(at("FREQ=DAILY;UNTIL=20260103T235959", new Date(2026, 0, 1))).toEqual(["2026-01-02", "2026-01-03"]);
  });

  it("keeps the time of day", () => {
    const dates = nextDates(parseRule("FREQ=DAILY") as RuleParts, new Date(2026, 2, 27, 9, 30), 3);
    expect(dates.map((d) => [d.getHours(), d.getMinutes()])).toEqual([[9, 30], [9, 30], [9, 30]]);
  });

  it("only dates after `after`", () => {
    const parts = parseRule("FREQ=WEEKLY;BYDAY=MO") as RuleParts;
    expect(nextDates(parts, new Date(2026, 0, 5), 2, new Date(2026, 1, 1)).map(day)).toEqual(["2026-02-02", "2026-02-09"]);
  });
});
