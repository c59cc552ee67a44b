/**
 * Edit conflicts (a task save answered 412: someone saved it first). The conflict is kept in a
 * tiny store outside React so that any screen's save (board, list, calendar, task detail) can
 * report it and the one dialog in the layout shows it. The comparison is pure and unit-tested.
 */
import { useSyncExternalStore } from "react";

import type { Task, TaskUpdate } from "../../api/types";

export interface Conflict {
  /** The task as it was when the person started the change. */
  base: Task;
  /** The task as the server has it now (with the version to overwrite with). */
  theirs: Task;
  /** What the person tried to save. */
  mine: TaskUpdate;
}

export interface ConflictRow {
  field: string;
  label: string;
  before: unknown;
  theirs: unknown;
  yours: unknown;
  /** The other person changed this field too (otherwise saving yours loses nothing). */
  clash: boolean;
}

/** The fields people edit, in the order the dialog lists them. */
export const FIELD_LABELS: Record<string, string> = {
  title: "Title",
  description: "Description",
  status_id: "Status",
  status: "Status",
  priority: "Priority",
  due_at: "Due",
  start_at: "Start",
  assignee_ids: "Assignees",
  label_ids: "Labels",
  milestone_id: "Milestone",
  estimate_minutes: "Estimate (minutes)",
  progress: "Progress",
  recurrence: "Repeat",
  reminders: "Reminders",
  parent_id: "Parent task",
  watcher_ids: "Watchers",
  position: "Position",
};

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** One row per field the person changed: before, theirs, yours, and whether they clash. */
export function conflictRows({ base, theirs, mine }: Conflict): ConflictRow[] {
  const before = base as unknown as Record<string, unknown>;
  const now = theirs as unknown as Record<string, unknown>;
  return Object.entries(mine as Record<string, unknown>).map(([field, yours]) => ({
    field,
    label: FIELD_LABELS[field] ?? field,
    before: before[field],
    theirs: now[field],
    yours,
    clash: !same(before[field], now[field]),
  }));
}

/** Fields the other person changed that this person did not touch (kept either way). */
export function theirOtherChanges({ base, theirs, mine }: Conflict): string[] {
  const before = base as unknown as Record<string, unknown>;
  const now = theirs as unknown as Record<string, unknown>;
  return Object.keys(FIELD_LABELS).filter((f) => f !== "status" && f !== "position" && !(f in mine) && f in now && !same(before[f], now[f]));
}

let current: Conflict | null = null;
const listeners = new Set<() => void>();

/** Show a conflict; false when no screen can show one (then the caller says it in a toast). */
export function reportConflict(conflict: Conflict): boolean {
  if (!listeners.size) return false;
  current = conflict;
  for (const l of listeners) l();
  return true;
}

export function clearConflict(): void {
  current = null;
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useConflict(): Conflict | null {
  return useSyncExternalStore(subscribe, () => current);
}
