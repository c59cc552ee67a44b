/**
 * Calendar arithmetic, pure and in the browser's zone: the weeks of a month view (Monday first),
 * the days of a week, the range to ask the API for, and a task's due instant moved to another day
 * at the same wall-clock time (so 17:00 stays 17:00 across a DST change).
 */
import { toIsoWithOffset } from "../../lib/quickadd";

export type CalendarMode = "month" | "week";

export function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

export function addDays(d: Date, n: number): Date {
  const out = new Date(d);
  out.setDate(out.getDate() + n);
  return out;
}

/** The Monday on or before `d`. */
export function startOfWeek(d: Date): Date {
  const day = startOfDay(d);
  return addDays(day, -((day.getDay() + 6) % 7));
}

/** `YYYY-MM-DD` of a local date: the key of a day cell and the URL's `date`. */
export function dayKey(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The local date of a `YYYY-MM-DD`, or null. */
export function parseDayKey(key: string | null): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key ?? "");
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) || dayKey(d) !== key ? null : d;
}

/** The days shown: whole weeks covering the month, or the seven days of the week. */
export function visibleDays(mode: CalendarMode, anchor: Date): Date[] {
  if (mode === "week") return Array.from({ length: 7 }, (_, i) => addDays(startOfWeek(anchor), i));
  const first = new Date(anchor.getFullYear(), anchor.getMonth(), 1);
  const last = new Date(anchor.getFullYear(), anchor.getMonth() + 1, 0);
  const start = startOfWeek(first);
  const days: Date[] = [];
  for (let d = start; d <= last || days.length % 7 !== 0; d = addDays(d, 1)) days.push(d);
  return days;
}

/** The API's `due_after` / `due_before` for the visible days (the end is exclusive). */
export function rangeOf(days: Date[]): { due_after: string; due_before: string } {
  const first = days[0] ?? new Date();
  const last = days[days.length - 1] ?? first;
  return { due_after: toIsoWithOffset(startOfDay(first)), due_before: toIsoWithOffset(addDays(startOfDay(last), 1)) };
}

/** The anchor one page earlier or later. */
export function step(mode: CalendarMode, anchor: Date, by: 1 | -1): Date {
  if (mode === "week") return addDays(anchor, 7 * by);
  return new Date(anchor.getFullYear(), anchor.getMonth() + by, 1);
}

/** `iso` moved to the local day `key`, keeping its local time of day. */
export function moveToDay(iso: string, key: string): string | null {
  const target = parseDayKey(key);
  if (!target) return null;
  const from = new Date(iso);
  target.setHours(from.getHours(), from.getMinutes(), from.getSeconds(), 0);
  return toIsoWithOffset(target);
}

/** Tasks grouped by the local day of their due date. */
export function byDay<T extends { due_at?: string | null }>(tasks: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of tasks) {
    if (!t.due_at) continue;
    const key = dayKey(new Date(t.due_at));
    out.set(key, [...(out.get(key) ?? []), t]);
  }
  for (const list of out.values()) list.sort((a, b) => (a.due_at ?? "").localeCompare(b.due_at ?? ""));
  return out;
}

/** "December 2026" or "30 Nov – 6 Dec 2026". */
export function title(mode: CalendarMode, anchor: Date): string {
  if (mode === "month") return anchor.toLocaleDateString("en-GB", { month: "long", year: "numeric" });
  const days = visibleDays("week", anchor);
  const first = days[0] as Date;
  const last = days[6] as Date;
  const short = (d: Date) => d.toLocaleDateString("en-GB", { day: "numeric", month: "short" });
  return `${short(first)} – ${short(last)} ${last.getFullYear()}`;
}
