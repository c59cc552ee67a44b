/**
 * Quick add: one line typed by a person, parsed into the fields of a new task, e.g.
 * `Pay vendor invoice fri 5pm !high #finance every last friday @bob`.
 *
 * Pure (the clock is a parameter) so that it is tested with many examples. What it does not
 * recognise stays in the title: a person can always fix the title, never a wrongly eaten word.
 */

export type Priority = "none" | "low" | "medium" | "high" | "urgent";

export interface Recurrence {
  /** RFC 5545 RRULE body (no `RRULE:` prefix), what the tasks API takes. */
  rrule: string;
  /** The rule in words, for the preview. */
  words: string;
}

export interface QuickAdd {
  title: string;
  /** Local date and time; `hasTime` false means "some time that day" (end of day is sent). */
  due: Date | null;
  hasTime: boolean;
  priority: Priority | null;
  labels: string[];
  assignees: string[];
  recurrence: Recurrence | null;
}

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const RRULE_DAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
const DAY_WORDS: Record<string, number> = {};
DAYS.forEach((name, index) => {
  DAY_WORDS[name] = index;
  DAY_WORDS[name.slice(0, 3)] = index;
});
Object.assign(DAY_WORDS, { tues: 2, weds: 3, thur: 4, thurs: 4 });
const DAY_RE = Object.keys(DAY_WORDS).sort((a, b) => b.length - a.length).join("|");

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH_RE = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";

const PRIORITIES: Record<string, Priority> = {
  low: "low",
  medium: "medium",
  med: "medium",
  high: "high",
  urgent: "urgent",
  "1": "urgent",
  "2": "high",
  "3": "medium",
  "4": "low",
};

const ORDINALS: Record<string, number> = { first: 1, "1st": 1, second: 2, "2nd": 2, third: 3, "3rd": 3, fourth: 4, "4th": 4, last: -1 };
const UNITS: Record<string, [string, string]> = {
  day: ["DAILY", "day"],
  week: ["WEEKLY", "week"],
  month: ["MONTHLY", "month"],
  year: ["YEARLY", "year"],
};

function cap(day: number): string {
  const name = DAYS[day] ?? "";
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function ordinalWord(n: number): string {
  return n === -1 ? "last" : (["", "first", "second", "third", "fourth"][n] ?? String(n));
}

function listWords(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** `every ...` phrases: returns the rule and the text it consumed, or null. */
function parseRecurrence(text: string): { rule: Recurrence; match: string } | null {
  const simple: [RegExp, (m: RegExpMatchArray) => Recurrence][] = [
    [/\b(?:every\s+day|daily)\b/i, () => ({ rrule: "FREQ=DAILY", words: "every day" })],
    [
      /\bevery\s+(?:weekday|work\s*day)s?\b/i,
      () => ({ rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", words: "every weekday" }),
    ],
    [
      new RegExp(`\\bevery\\s+(first|1st|second|2nd|third|3rd|fourth|4th|last)\\s+(${DAY_RE})\\b`, "i"),
      (m) => {
        const n = ORDINALS[m[1]!.toLowerCase()]!;
        const day = DAY_WORDS[m[2]!.toLowerCase()]!;
        return {
          rrule: `FREQ=MONTHLY;BYDAY=${n}${RRULE_DAYS[day]}`,
          words: `every ${ordinalWord(n)} ${cap(day)} of the month`,
        };
      },
    ],
    [
      new RegExp(`\\bevery\\s+((?:${DAY_RE})(?:\\s*(?:,|and|&)\\s*(?:${DAY_RE}))*)\\b`, "i"),
      (m) => {
        const days = [...new Set(m[1]!.toLowerCase().split(/\s*(?:,|and|&)\s*/).map((d) => DAY_WORDS[d]!))].sort(
          (a, b) => ((a + 6) % 7) - ((b + 6) % 7),
        );
        return {
          rrule: `FREQ=WEEKLY;BYDAY=${days.map((d) => RRULE_DAYS[d]).join(",")}`,
          words: `every ${listWords(days.map(cap))}`,
        };
      },
    ],
    [
      /\bevery\s+(\d{1,3})\s+(day|week|month|year)s?\b/i,
      (m) => {
        const n = Number(m[1]);
        const [freq, unit] = UNITS[m[2]!.toLowerCase()]!;
        return n === 1
          ? { rrule: `FREQ=${freq}`, words: `every ${unit}` }
          : { rrule: `FREQ=${freq};INTERVAL=${n}`, words: `every ${n} ${unit}s` };
      },
    ],
    [
      /\bevery\s+(?:other)\s+(day|week|month|year)\b/i,
      (m) => {
        const [freq, unit] = UNITS[m[1]!.toLowerCase()]!;
        return { rrule: `FREQ=${freq};INTERVAL=2`, words: `every 2 ${unit}s` };
      },
    ],
    [
      /\b(?:every\s+(week|month|year)|(weekly|monthly|yearly|annually))\b/i,
      (m) => {
        const word = (m[1] ?? m[2])!.toLowerCase();
        const unit = { weekly: "week", monthly: "month", yearly: "year", annually: "year" }[word] ?? word;
        const [freq] = UNITS[unit]!;
        return { rrule: `FREQ=${freq}`, words: `every ${unit}` };
      },
    ],
  ];
  for (const [pattern, build] of simple) {
    const m = text.match(pattern);
    if (m) return { rule: build(m), match: m[0] };
  }
  return null;
}

function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

function addDays(d: Date, n: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
}

/** A date phrase: returns the day and the text it consumed, or null. */
function parseDate(text: string, now: Date): { day: Date; match: string } | null {
  const today = startOfDay(now);
  const rules: [RegExp, (m: RegExpMatchArray) => Date | null][] = [
    [/\b(\d{4})-(\d{2})-(\d{2})\b/, (m) => new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))],
    [/\b(?:today|tod)\b/i, () => today],
    [/\b(?:tomorrow|tmrw|tmr)\b/i, () => addDays(today, 1)],
    [/\bnext\s+week\b/i, () => addDays(today, ((8 - today.getDay()) % 7) || 7)],
    [/\bin\s+(\d{1,3})\s+days?\b/i, (m) => addDays(today, Number(m[1]))],
    [/\bin\s+(\d{1,2})\s+weeks?\b/i, (m) => addDays(today, 7 * Number(m[1]))],
    [
      new RegExp(`\\b(?:(next)\\s+|on\\s+)?(${DAY_RE})\\b`, "i"),
      (m) => {
        const target = DAY_WORDS[m[2]!.toLowerCase()]!;
        const ahead = (target - today.getDay() + 7) % 7;
        // "fri" on a Friday is today; "next fri" on a Friday is a week later.
        return addDays(today, m[1] && ahead === 0 ? 7 : ahead);
      },
    ],
    [
      new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(${MONTH_RE})\\b|\\b(${MONTH_RE})\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b`, "i"),
      (m) => {
        const day = Number(m[1] ?? m[4]);
        const month = MONTHS.indexOf((m[2] ?? m[3])!.toLowerCase().slice(0, 3));
        if (day < 1 || day > 31 || month < 0) return null;
        let date = new Date(today.getFullYear(), month, day);
        if (date < today) date = new Date(today.getFullYear() + 1, month, day);
        return date;
      },
    ],
  ];
  for (const [pattern, build] of rules) {
    const m = text.match(pattern);
    if (m) {
      const day = build(m);
      if (day && !Number.isNaN(day.getTime())) return { day, match: m[0] };
    }
  }
  return null;
}

/** A time phrase (`5pm`, `5:30 pm`, `17:00`, `at 9`): hours and minutes, or null. */
function parseTime(text: string): { hours: number; minutes: number; match: string } | null {
  const twelve = text.match(/\b(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b/i);
  if (twelve) {
    let hours = Number(twelve[1]);
    const minutes = Number(twelve[2] ?? 0);
    if (hours < 1 || hours > 12 || minutes > 59) return null;
    const pm = twelve[3]!.toLowerCase() === "pm";
    if (hours === 12) hours = pm ? 12 : 0;
    else if (pm) hours += 12;
    return { hours, minutes, match: twelve[0] };
  }
  const clock = text.match(/\b(?:at\s+)?([01]?\d|2[0-3]):([0-5]\d)\b/);
  if (clock) return { hours: Number(clock[1]), minutes: Number(clock[2]), match: clock[0] };
  const bare = text.match(/\bat\s+(\d{1,2})\b/i);
  if (bare && Number(bare[1]) <= 23) return { hours: Number(bare[1]), minutes: 0, match: bare[0] };
  return null;
}

function remove(text: string, part: string): string {
  const at = text.indexOf(part);
  return at < 0 ? text : `${text.slice(0, at)} ${text.slice(at + part.length)}`;
}

export function parseQuickAdd(input: string, now: Date = new Date()): QuickAdd {
  let rest = ` ${input} `;
  const labels: string[] = [];
  const assignees: string[] = [];
  let priority: Priority | null = null;

  const recurrence = parseRecurrence(rest);
  if (recurrence) rest = remove(rest, recurrence.match);

  rest = rest.replace(/(^|\s)!(low|medium|med|high|urgent|[1-4])(?=\s|$)/gi, (_all, lead: string, word: string) => {
    priority = PRIORITIES[word.toLowerCase()] ?? priority;
    return lead;
  });
  rest = rest.replace(/(^|\s)#([\p{L}\p{N}_-]+)(?=\s|$)/gu, (_all, lead: string, name: string) => {
    if (!labels.includes(name)) labels.push(name);
    return lead;
  });
  rest = rest.replace(/(^|\s)@([\w.+-]+(?:@[\w.-]+)?)(?=\s|$)/g, (_all, lead: string, who: string) => {
    if (!assignees.includes(who)) assignees.push(who);
    return lead;
  });

  const time = parseTime(rest);
  if (time) rest = remove(rest, time.match);
  const date = parseDate(rest, now);
  if (date) rest = remove(rest, date.match);

  let due: Date | null = null;
  if (date) {
    due = new Date(date.day);
    if (time) due.setHours(time.hours, time.minutes, 0, 0);
  } else if (time) {
    due = startOfDay(now);
    due.setHours(time.hours, time.minutes, 0, 0);
    if (due <= now) {
      // A time already past today means the same time tomorrow.
      due = addDays(due, 1);
      due.setHours(time.hours, time.minutes, 0, 0);
    }
  }

  return {
    title: rest.replace(/\s+/g, " ").trim(),
    due,
    hasTime: time !== null,
    priority,
    labels,
    assignees,
    recurrence: recurrence?.rule ?? null,
  };
}

/** The due time to send: the chosen time, or the end of that day when only a day was typed. */
export function dueToIso(parsed: Pick<QuickAdd, "due" | "hasTime">): string | null {
  if (!parsed.due) return null;
  const at = new Date(parsed.due);
  if (!parsed.hasTime) at.setHours(23, 59, 0, 0);
  return toIsoWithOffset(at);
}

/** ISO 8601 with the browser's offset (`2026-12-11T17:00:00+01:00`), as the API expects. */
export function toIsoWithOffset(d: Date): string {
  const pad = (n: number) => String(Math.abs(n)).padStart(2, "0");
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}
