/**
 * RFC 5545 RRULE values as the tasks API stores them (`FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH`, no
 * DTSTART): parse into parts the recurrence builder edits, write back, say in words, and list the
 * next dates. Pure and dependency-free: the builder only makes the subset below, and a rule
 * outside it (BYSETPOS, BYHOUR, ...) is shown as written instead of being guessed at. Dates are
 * wall-clock dates in the browser's zone, stepped with `setDate`, so 09:00 stays 09:00 across DST
 * (the server does the same in the owner's zone).
 */

export const FREQS = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"] as const;
export type Freq = (typeof FREQS)[number];

/** RRULE weekday codes in `Date.getDay()` order (Sunday first). */
export const DAY_CODES = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"] as const;
export const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTH_NAMES = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

export interface WeekdayRule {
  /** 0 = Sunday ... 6 = Saturday. */
  day: number;
  /** 1..5 = first..fifth, -1 = last, -2 = second to last; absent = every such day. */
  n?: number;
}

export interface RuleParts {
  freq: Freq;
  interval: number;
  byDay: WeekdayRule[];
  byMonthDay: number[];
  byMonth: number[];
  count?: number;
  /** The last day on which the rule may fire (inclusive, end of that day). */
  until?: Date;
}

const KNOWN = new Set(["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL", "WKST"]);

function parseUntil(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, z] = m;
  if (h === undefined) return new Date(Number(y), Number(mo) - 1, Number(d), 23, 59, 59);
  const args = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  return z ? new Date(Date.UTC(...args)) : new Date(...args);
}

function ints(value: string, min: number, max: number): number[] | null {
  const out = value.split(",").map((v) => Number(v));
  return out.every((v) => Number.isInteger(v) && v !== 0 && v >= min && v <= max) ? out : null;
}

/** The parts of a rule, or null when it uses something the builder does not make. */
export function parseRule(text: string): RuleParts | null {
  const body = text.trim().replace(/^RRULE:/i, "").toUpperCase();
  if (!body) return null;
  const fields = new Map<string, string>();
  for (const part of body.split(";")) {
    if (!part) continue;
    const [key, value] = part.split("=");
    if (!key || value === undefined || !KNOWN.has(key) || fields.has(key)) return null;
    fields.set(key, value);
  }
  const freq = fields.get("FREQ") as Freq | undefined;
  if (!freq || !FREQS.includes(freq)) return null;
  if ((fields.get("WKST") ?? "MO") !== "MO") return null;
  const interval = Number(fields.get("INTERVAL") ?? "1");
  if (!Number.isInteger(interval) || interval < 1 || interval > 999) return null;
  const parts: RuleParts = { freq, interval, byDay: [], byMonthDay: [], byMonth: [] };
  const byDay = fields.get("BYDAY");
  if (byDay) {
    for (const item of byDay.split(",")) {
      const m = /^([+-]?\d{1,2})?(SU|MO|TU|WE|TH|FR|SA)$/.exec(item);
      if (!m) return null;
      const day = DAY_CODES.indexOf(m[2] as (typeof DAY_CODES)[number]);
      if (m[1] === undefined) {
        parts.byDay.push({ day });
        continue;
      }
      const n = Number(m[1]);
      // An ordinal weekday only means something within a month here.
      if (n === 0 || n < -5 || n > 5 || freq !== "MONTHLY") return null;
      parts.byDay.push({ day, n });
    }
  }
  const byMonthDay = fields.get("BYMONTHDAY");
  if (byMonthDay) {
    const days = ints(byMonthDay, -31, 31);
    if (!days || freq === "DAILY" || freq === "WEEKLY") return null;
    parts.byMonthDay = days;
  }
  const byMonth = fields.get("BYMONTH");
  if (byMonth) {
    const months = ints(byMonth, 1, 12);
    if (!months || freq !== "YEARLY") return null;
    parts.byMonth = months;
  }
  if (freq === "YEARLY" && parts.byDay.length) return null;
  if (freq === "DAILY" && parts.byDay.length) return null;
  const count = fields.get("COUNT");
  const until = fields.get("UNTIL");
  if (count !== undefined && until !== undefined) return null;
  if (count !== undefined) {
    const n = Number(count);
    if (!Number.isInteger(n) || n < 1) return null;
    parts.count = n;
  }
  if (until !== undefined) {
    const date = parseUntil(until);
    if (!date) return null;
    parts.until = date;
  }
  return parts;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** The RRULE value of some parts (what the API takes). */
export function formatRule(parts: RuleParts): string {
  const out = [`FREQ=${parts.freq}`];
  if (parts.interval > 1) out.push(`INTERVAL=${parts.interval}`);
  if (parts.byMonth.length) out.push(`BYMONTH=${parts.byMonth.join(",")}`);
  if (parts.byMonthDay.length) out.push(`BYMONTHDAY=${parts.byMonthDay.join(",")}`);
  if (parts.byDay.length) {
    const sorted = [...parts.byDay].sort((a, b) => ((a.day + 6) % 7) - ((b.day + 6) % 7));
    out.push(`BYDAY=${sorted.map((d) => `${d.n ?? ""}${DAY_CODES[d.day]}`).join(",")}`);
  }
  if (parts.count) out.push(`COUNT=${parts.count}`);
  if (parts.until) {
    const u = parts.until;
    out.push(`UNTIL=${u.getFullYear()}${pad(u.getMonth() + 1)}${pad(u.getDate())}T235959`);
  }
  return out.join(";");
}

function ordinal(n: number): string {
  if (n === -1) return "last";
  if (n === -2) return "second to last";
  return ["", "first", "second", "third", "fourth", "fifth"][n] ?? `${n}th`;
}

function dayOfMonth(n: number): string {
  if (n === -1) return "the last day";
  if (n < 0) return `${-n} days before the end`;
  const suffix = n % 10 === 1 && n !== 11 ? "st" : n % 10 === 2 && n !== 12 ? "nd" : n % 10 === 3 && n !== 13 ? "rd" : "th";
  return `the ${n}${suffix}`;
}

/** "a, b and c". */
export function joinWords(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

const UNIT: Record<Freq, string> = { DAILY: "day", WEEKLY: "week", MONTHLY: "month", YEARLY: "year" };

function every(parts: RuleParts): string {
  const unit = UNIT[parts.freq];
  return parts.interval === 1 ? `every ${unit}` : `every ${parts.interval} ${unit}s`;
}

const WEEKDAYS = [1, 2, 3, 4, 5];

function sortedDays(days: WeekdayRule[]): number[] {
  return days.map((d) => d.day).sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
}

function core(parts: RuleParts): string {
  switch (parts.freq) {
    case "DAILY":
      return every(parts);
    case "WEEKLY": {
      const days = sortedDays(parts.byDay);
      if (parts.interval === 1 && days.length === 5 && WEEKDAYS.every((d) => days.includes(d))) return "every weekday";
      if (!days.length) return every(parts);
      return `${every(parts)} on ${joinWords(days.map((d) => DAY_NAMES[d] ?? ""))}`;
    }
    case "MONTHLY": {
      const span = parts.interval === 1 ? "each month" : `every ${parts.interval} months`;
      const ordinals = parts.byDay.filter((d) => d.n !== undefined);
      if (ordinals.length && ordinals.length === parts.byDay.length && !parts.byMonthDay.length) {
        const named = ordinals.map((d) => `${ordinal(d.n ?? 1)} ${DAY_NAMES[d.day]}`);
        return `${joinWords(named)} of ${span}`;
      }
      if (parts.byMonthDay.length && !parts.byDay.length) {
        return `${every(parts)} on ${joinWords(parts.byMonthDay.map(dayOfMonth))}`;
      }
      if (parts.byDay.length && !parts.byMonthDay.length) {
        return `every ${joinWords(sortedDays(parts.byDay).map((d) => DAY_NAMES[d] ?? ""))} of ${span}`;
      }
      return every(parts) + (parts.byMonthDay.length || parts.byDay.length ? " (custom days)" : "");
    }
    case "YEARLY": {
      const months = parts.byMonth.map((m) => MONTH_NAMES[m - 1] ?? "");
      if (months.length && parts.byMonthDay.length) {
        const days = parts.byMonthDay.map((d) => (d > 0 ? String(d) : dayOfMonth(d)));
        return `${every(parts)} on ${joinWords(days)} ${joinWords(months)}`;
      }
      if (months.length) return `${every(parts)} in ${joinWords(months)}`;
      return every(parts);
    }
  }
}

/** The rule in words ("every 2 weeks on Tuesday and Thursday"); parts outside the subset: null. */
export function describeParts(parts: RuleParts): string {
  let words = core(parts);
  if (parts.count) words += parts.count === 1 ? ", once" : `, ${parts.count} times`;
  if (parts.until) words += `, until ${parts.until.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" })}`;
  return words;
}

/** The rule in words, or the rule as written when it is outside what we can say. */
export function describeRule(text: string): string {
  const parts = parseRule(text);
  return parts ? describeParts(parts) : `custom rule (${text.replace(/^RRULE:/i, "")})`;
}

function daysInMonth(year: number, month: number): number {
  return new Date(year, month + 1, 0).getDate();
}

function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/** Whole weeks (Monday-based) between the weeks of a and b. */
function weeksBetween(a: Date, b: Date): number {
  const monday = (d: Date) => {
    const s = startOfDay(d);
    s.setDate(s.getDate() - ((s.getDay() + 6) % 7));
    return s;
  };
  return Math.round((monday(b).getTime() - monday(a).getTime()) / (7 * 86_400_000));
}

function matchesWeekday(rule: WeekdayRule, d: Date): boolean {
  if (d.getDay() !== rule.day) return false;
  if (rule.n === undefined) return true;
  const date = d.getDate();
  if (rule.n > 0) return Math.ceil(date / 7) === rule.n;
  const fromEnd = daysInMonth(d.getFullYear(), d.getMonth()) - date;
  return Math.floor(fromEnd / 7) === -rule.n - 1;
}

function matchesMonthDay(md: number, d: Date): boolean {
  const last = daysInMonth(d.getFullYear(), d.getMonth());
  return md > 0 ? d.getDate() === md : d.getDate() === last + md + 1;
}

function matches(parts: RuleParts, start: Date, d: Date): boolean {
  const monthsApart = (d.getFullYear() - start.getFullYear()) * 12 + d.getMonth() - start.getMonth();
  switch (parts.freq) {
    case "DAILY": {
      const days = Math.round((startOfDay(d).getTime() - startOfDay(start).getTime()) / 86_400_000);
      return days % parts.interval === 0;
    }
    case "WEEKLY": {
      if (weeksBetween(start, d) % parts.interval !== 0) return false;
      const days = parts.byDay.length ? parts.byDay.map((r) => r.day) : [start.getDay()];
      return days.includes(d.getDay());
    }
    case "MONTHLY": {
      if (monthsApart % parts.interval !== 0) return false;
      const dayOk = !parts.byDay.length || parts.byDay.some((r) => matchesWeekday(r, d));
      const mdOk = !parts.byMonthDay.length || parts.byMonthDay.some((m) => matchesMonthDay(m, d));
      if (!parts.byDay.length && !parts.byMonthDay.length) return d.getDate() === start.getDate();
      return dayOk && mdOk;
    }
    case "YEARLY": {
      if ((d.getFullYear() - start.getFullYear()) % parts.interval !== 0) return false;
      const months = parts.byMonth.length ? parts.byMonth : [start.getMonth() + 1];
      if (!months.includes(d.getMonth() + 1)) return false;
      if (parts.byMonthDay.length) return parts.byMonthDay.some((m) => matchesMonthDay(m, d));
      return d.getDate() === start.getDate();
    }
  }
}

/** About 27 years of days: far enough for "every 5 years", short enough to stay instant. */
const HORIZON_DAYS = 10_000;

/**
 * The next `n` dates of a series that starts at `start` (its first occurrence, when it fits the
 * rule, as in RFC 5545), strictly after `after`, at `start`'s time of day.
 */
export function nextDates(parts: RuleParts, start: Date, n = 5, after: Date = start): Date[] {
  const out: Date[] = [];
  let seen = 0;
  const day = new Date(start);
  for (let i = 0; i < HORIZON_DAYS && out.length < n; i++, day.setDate(day.getDate() + 1)) {
    if (!matches(parts, start, day)) continue;
    if (parts.until && day > parts.until) break;
    seen += 1;
    if (parts.count && seen > parts.count) break;
    if (day > after) out.push(new Date(day));
  }
  return out;
}
