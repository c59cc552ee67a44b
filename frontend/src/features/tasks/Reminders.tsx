/**
 * A task's reminders: minutes before the due time or at a fixed time (the API's two kinds),
 * listed, added and removed; the list is saved whole with the task's `If-Match`. Reminders have
 * no channel of their own in the API: they go where the person's "Reminders" notification
 * preference sends them, so the channels are switched here too (the same preference as in
 * Settings).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";

import { notificationsApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { components } from "../../api/generated/notifications";
import type { Reminder, Task, TaskUpdate } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button } from "../../components/ui";
import { toIsoWithOffset } from "../../lib/quickadd";

type Prefs = components["schemas"]["PreferencesRead"];
type ChannelSet = components["schemas"]["ChannelSet"];
type Channel = keyof ChannelSet;
const PREFS_KEY = ["notifications", "preferences"];
/** Calendar only carries "due" (the API says so), so reminders go in app or by email. */
const CHANNELS: [Channel, string][] = [["in_app", "In app"], ["email", "Email"]];
const UNITS: [number, string][] = [[1, "minutes"], [60, "hours"], [1440, "days"]];
const input = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-900";

/** "1 hour before due", "2 days before due", "at Tue 8 Dec, 09:00". */
export function describeReminder(r: Reminder): string {
  if (r.at) return `at ${new Date(r.at).toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" })}`;
  const m = r.before_minutes ?? 0;
  if (m === 0) return "when it is due";
  const [size, unit] = m % 1440 === 0 ? [m / 1440, "day"] : m % 60 === 0 ? [m / 60, "hour"] : [m, "minute"];
  return `${size} ${unit}${size === 1 ? "" : "s"} before due`;
}

export function Reminders({ task, onSave }: { task: Task; onSave: (changes: TaskUpdate) => void }) {
  const id = useId();
  const [kind, setKind] = useState<"before" | "at">("before");
  const [amount, setAmount] = useState(1);
  const [unit, setUnit] = useState(60);
  const [at, setAt] = useState("");
  const [error, setError] = useState("");
  const reminders = task.reminders ?? [];

  const add = (event: FormEvent) => {
    event.preventDefault();
    setError("");
    let next: Reminder;
    if (kind === "before") {
      if (!task.due_at) return setError("Set a due date first: this reminder is counted from it.");
      next = { before_minutes: Math.max(0, amount) * unit };
    } else {
      if (!at) return setError("Choose a date and time.");
      next = { at: toIsoWithOffset(new Date(at)) };
    }
    onSave({ reminders: [...reminders, next] });
  };

  return (
    <section aria-labelledby={`${id}-h`} className="flex flex-col gap-2 text-sm">
      <h2 id={`${id}-h`} className="font-medium">
        Reminders
      </h2>
      {reminders.length ? (
        <ul className="flex flex-col gap-1" aria-label="Reminders of this task">
          {reminders.map((r, i) => (
            <li key={`${r.at ?? ""}-${r.before_minutes ?? ""}-${i}`} className="flex items-center justify-between gap-2">
              <span>{describeReminder(r)}</span>
              <Button variant="ghost" aria-label={`Remove reminder ${describeReminder(r)}`} onClick={() => onSave({ reminders: reminders.filter((_, j) => j !== i) })}>
                Remove
              </Button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-slate-600 dark:text-slate-400">No reminders.</p>
      )}
      <form onSubmit={add} className="flex flex-wrap items-center gap-2">
        <label htmlFor={`${id}-kind`} className="sr-only">
          Kind of reminder
        </label>
        <select id={`${id}-kind`} className={input} value={kind} onChange={(e) => setKind(e.target.value as "before" | "at")}>
          <option value="before">Before due</option>
          <option value="at">At a time</option>
        </select>
        {kind === "before" ? (
          <>
            <input aria-label="How long before" type="number" min={0} className={`${input} w-16`} value={amount} onChange={(e) => setAmount(Number(e.target.value) || 0)} />
            <select aria-label="Unit" className={input} value={unit} onChange={(e) => setUnit(Number(e.target.value))}>
              {UNITS.map(([m, name]) => (
                <option key={m} value={m}>
                  {name}
                </option>
              ))}
            </select>
          </>
        ) : (
          <input aria-label="Remind at" type="datetime-local" className={input} value={at} onChange={(e) => setAt(e.target.value)} />
        )}
        <Button type="submit" variant="secondary">
          Add reminder
        </Button>
      </form>
      {error ? (
        <p role="alert" className="text-red-700 dark:text-red-400">
          {error}
        </p>
      ) : null}
      <ReminderChannels />
    </section>
  );
}

/** The "Reminders" kind of the person's notification preferences, one switch per channel. */
function ReminderChannels() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const prefs = useQuery({ queryKey: PREFS_KEY, queryFn: async (): Promise<Prefs> => unwrap(await notificationsApi.GET("/api/v1/notifications/preferences")) });
  const save = useMutation({
    mutationFn: async (set: ChannelSet) => unwrap(await notificationsApi.PUT("/api/v1/notifications/preferences", { body: { kinds: { reminder: set } } })),
    onMutate: async (set) => {
      await queryClient.cancelQueries({ queryKey: PREFS_KEY });
      const before = queryClient.getQueryData<Prefs>(PREFS_KEY);
      if (before) queryClient.setQueryData<Prefs>(PREFS_KEY, { ...before, kinds: { ...before.kinds, reminder: set } });
      return { before };
    },
    onError: (error, _set, context) => {
      if (context?.before) queryClient.setQueryData(PREFS_KEY, context.before);
      toast.show(`Channels not changed: ${describe(error)}`, "error");
    },
    onSuccess: (saved) => queryClient.setQueryData(PREFS_KEY, saved),
  });
  const current = prefs.data?.kinds.reminder;
  if (!current) return null;
  return (
    <fieldset className="flex flex-wrap gap-3">
      <legend className="mb-1 text-xs text-slate-600 dark:text-slate-400">Send my reminders by (all tasks)</legend>
      {CHANNELS.map(([channel, label]) => (
        <label key={channel} className="flex items-center gap-1">
          <input type="checkbox" checked={Boolean(current[channel])} onChange={(e) => save.mutate({ ...current, [channel]: e.target.checked })} />
          {label}
        </label>
      ))}
    </fieldset>
  );
}
