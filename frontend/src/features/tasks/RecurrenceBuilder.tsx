/**
 * The recurrence builder: frequency, interval, weekdays, "day N" or "the last Friday" of the
 * month, an end, and whether the next occurrence follows the schedule or the completion. It shows
 * the rule in words and the next five dates as you change it, and saves an RRULE value the tasks
 * API validates (a refusal comes back as a toast). A rule the builder cannot make (written through
 * the API) is shown as written and can still be replaced or removed.
 */
import { useId, useState } from "react";

import type { Task, TaskUpdate } from "../../api/types";
import { Button } from "../../components/ui";
import { DAY_NAMES, describeParts, formatRule, FREQS, nextDates, parseRule, type Freq, type RuleParts } from "../../lib/rrule";

type Mode = "after_completion" | "fixed";
type Ends = "never" | "count" | "until";
type MonthlyBy = "monthday" | "weekday";

const FREQ_WORDS: Record<Freq, string> = { DAILY: "Daily", WEEKLY: "Weekly", MONTHLY: "Monthly", YEARLY: "Yearly" };
const UNITS: Record<Freq, string> = { DAILY: "day(s)", WEEKLY: "week(s)", MONTHLY: "month(s)", YEARLY: "year(s)" };
/** Monday first, as people read a week. */
const WEEK = [1, 2, 3, 4, 5, 6, 0];
const ORDINALS: [number, string][] = [[1, "first"], [2, "second"], [3, "third"], [4, "fourth"], [-1, "last"]];
const input = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-900";

function defaults(start: Date): RuleParts {
  return { freq: "WEEKLY", interval: 1, byDay: [{ day: start.getDay() }], byMonthDay: [], byMonth: [] };
}

function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function RecurrenceBuilder({ task, onSave }: { task: Task; onSave: (changes: TaskUpdate) => void }) {
  const id = useId();
  const start = task.due_at ? new Date(task.due_at) : new Date();
  const saved = task.recurrence ? parseRule(task.recurrence.rrule) : null;
  const [editing, setEditing] = useState(false);
  const [parts, setParts] = useState<RuleParts>(saved ?? defaults(start));
  const [mode, setMode] = useState<Mode>((task.recurrence?.mode as Mode | undefined) ?? "after_completion");
  const [ends, setEnds] = useState<Ends>(parts.count ? "count" : parts.until ? "until" : "never");
  const monthlyBy: MonthlyBy = parts.byDay.some((d) => d.n !== undefined) ? "weekday" : "monthday";

  const set = (changes: Partial<RuleParts>) => setParts((p) => ({ ...p, ...changes }));
  const chooseFreq = (freq: Freq) => {
    const base: RuleParts = { freq, interval: parts.interval, byDay: [], byMonthDay: [], byMonth: [], ...(parts.count ? { count: parts.count } : {}), ...(parts.until ? { until: parts.until } : {}) };
    if (freq === "WEEKLY") base.byDay = [{ day: start.getDay() }];
    if (freq === "MONTHLY") base.byMonthDay = [start.getDate()];
    setParts(base);
  };
  const toggleDay = (day: number) => {
    const has = parts.byDay.some((d) => d.day === day);
    const byDay = has ? parts.byDay.filter((d) => d.day !== day) : [...parts.byDay, { day }];
    if (byDay.length) set({ byDay });
  };
  const chooseEnds = (value: Ends) => {
    setEnds(value);
    const { count: _c, until: _u, ...rest } = parts;
    if (value === "count") setParts({ ...rest, count: 10 });
    else if (value === "until") setParts({ ...rest, until: new Date(start.getFullYear(), start.getMonth() + 3, start.getDate(), 23, 59, 59) });
    else setParts(rest);
  };

  const words = describeParts(parts);
  const upcoming = nextDates(parts, start, 5);
  const rrule = formatRule(parts);

  if (!editing) {
    return (
      <section aria-labelledby={`${id}-h`} className="flex flex-col gap-1 text-sm">
        <h2 id={`${id}-h`} className="font-medium">
          Repeats
        </h2>
        {task.recurrence ? (
          <>
            <p data-testid="recurrence-words">{saved ? describeParts(saved) : `custom rule (${task.recurrence.rrule})`}</p>
            <p className="text-xs text-slate-600 dark:text-slate-400">
              {task.recurrence.mode === "fixed" ? "On a fixed schedule" : "Counted from when it is completed"}
            </p>
          </>
        ) : (
          <p className="text-slate-600 dark:text-slate-400">Does not repeat</p>
        )}
        <div>
          <Button variant="secondary" onClick={() => setEditing(true)}>
            {task.recurrence ? "Change repeat" : "Make it repeat"}
          </Button>
        </div>
      </section>
    );
  }

  return (
    <fieldset className="flex flex-col gap-3 rounded-md border border-slate-300 p-3 text-sm dark:border-slate-700">
      <legend className="px-1 font-medium">Repeats</legend>
      <div className="flex flex-wrap items-center gap-2">
        <label htmlFor={`${id}-freq`}>Frequency</label>
        <select id={`${id}-freq`} className={input} value={parts.freq} onChange={(e) => chooseFreq(e.target.value as Freq)}>
          {FREQS.map((f) => (
            <option key={f} value={f}>
              {FREQ_WORDS[f]}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-interval`}>every</label>
        <input
          id={`${id}-interval`}
          type="number"
          min={1}
          max={999}
          className={`${input} w-16`}
          value={parts.interval}
          onChange={(e) => set({ interval: Math.max(1, Math.min(999, Number(e.target.value) || 1)) })}
        />
        <span>{UNITS[parts.freq]}</span>
      </div>
      {parts.freq === "WEEKLY" ? (
        <fieldset className="flex flex-wrap gap-2">
          <legend className="mb-1">On</legend>
          {WEEK.map((day) => (
            <label key={day} className="flex items-center gap-1">
              <input type="checkbox" checked={parts.byDay.some((d) => d.day === day)} onChange={() => toggleDay(day)} />
              {DAY_NAMES[day]?.slice(0, 3)}
              <span className="sr-only">{DAY_NAMES[day]}</span>
            </label>
          ))}
        </fieldset>
      ) : null}
      {parts.freq === "MONTHLY" ? (
        <fieldset className="flex flex-col gap-2">
          <legend className="mb-1">On</legend>
          <label className="flex items-center gap-2">
            <input type="radio" name={`${id}-monthly`} checked={monthlyBy === "monthday"} onChange={() => set({ byDay: [], byMonthDay: [start.getDate()] })} />
            day
            <select
              aria-label="Day of the month"
              className={input}
              disabled={monthlyBy !== "monthday"}
              value={parts.byMonthDay[0] ?? start.getDate()}
              onChange={(e) => set({ byMonthDay: [Number(e.target.value)] })}
            >
              {Array.from({ length: 31 }, (_, i) => i + 1).map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
              <option value={-1}>last day</option>
            </select>
          </label>
          <label className="flex items-center gap-2">
            <input type="radio" name={`${id}-monthly`} checked={monthlyBy === "weekday"} onChange={() => set({ byMonthDay: [], byDay: [{ day: start.getDay(), n: -1 }] })} />
            the
            <select
              aria-label="Which week"
              className={input}
              disabled={monthlyBy !== "weekday"}
              value={parts.byDay[0]?.n ?? -1}
              onChange={(e) => set({ byDay: [{ day: parts.byDay[0]?.day ?? start.getDay(), n: Number(e.target.value) }] })}
            >
              {ORDINALS.map(([n, word]) => (
                <option key={n} value={n}>
                  {word}
                </option>
              ))}
            </select>
            <select
              aria-label="Weekday"
              className={input}
              disabled={monthlyBy !== "weekday"}
              value={parts.byDay[0]?.day ?? start.getDay()}
              onChange={(e) => set({ byDay: [{ day: Number(e.target.value), n: parts.byDay[0]?.n ?? -1 }] })}
            >
              {WEEK.map((d) => (
                <option key={d} value={d}>
                  {DAY_NAMES[d]}
                </option>
              ))}
            </select>
          </label>
        </fieldset>
      ) : null}
      <div className="flex flex-wrap items-center gap-2">
        <label htmlFor={`${id}-ends`}>Ends</label>
        <select id={`${id}-ends`} className={input} value={ends} onChange={(e) => chooseEnds(e.target.value as Ends)}>
          <option value="never">never</option>
          <option value="count">after a number of times</option>
          <option value="until">on a date</option>
        </select>
        {ends === "count" ? (
          <input
            aria-label="Number of times"
            type="number"
            min={1}
            className={`${input} w-20`}
            value={parts.count ?? 1}
            onChange={(e) => set({ count: Math.max(1, Number(e.target.value) || 1) })}
          />
        ) : null}
        {ends === "until" && parts.until ? (
          <input
            aria-label="Last date"
            type="date"
            className={input}
            value={isoDay(parts.until)}
            onChange={(e) => {
              const [y, m, d] = e.target.value.split("-").map(Number);
              if (y && m && d) set({ until: new Date(y, m - 1, d, 23, 59, 59) });
            }}
          />
        ) : null}
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <label htmlFor={`${id}-mode`}>Next one</label>
        <select id={`${id}-mode`} className={input} value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
          <option value="after_completion">counted from when it is completed</option>
          <option value="fixed">on a fixed schedule</option>
        </select>
      </div>
      <div aria-live="polite" className="rounded-md bg-slate-100 p-2 dark:bg-slate-800">
        <p className="font-medium" data-testid="recurrence-preview">
          {words.charAt(0).toUpperCase() + words.slice(1)}
        </p>
        <p className="mt-1 text-xs text-slate-600 dark:text-slate-300">Next dates{task.due_at ? "" : " (from today: the task has no due date)"}:</p>
        <ol className="text-xs" data-testid="recurrence-next">
          {upcoming.map((d) => (
            <li key={d.toISOString()}>
              <time dateTime={d.toISOString()}>{d.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric" })}</time>
            </li>
          ))}
        </ol>
        <code className="mt-1 block text-[11px] break-all text-slate-600 dark:text-slate-400">{rrule}</code>
      </div>
      <div className="flex flex-wrap gap-2">
        <Button
          onClick={() => {
            onSave({ recurrence: { rrule, mode } });
            setEditing(false);
          }}
        >
          Save repeat
        </Button>
        {task.recurrence ? (
          <Button
            variant="secondary"
            onClick={() => {
              onSave({ recurrence: null });
              setEditing(false);
            }}
          >
            Stop repeating
          </Button>
        ) : null}
        <Button variant="ghost" onClick={() => setEditing(false)}>
          Cancel
        </Button>
      </div>
    </fieldset>
  );
}
