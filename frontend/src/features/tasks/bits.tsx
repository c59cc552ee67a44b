/** Small task displays shared by the board, the list and the detail. */
import type { TaskPriority } from "../../api/types";

const PRIORITY_LOOK: Record<TaskPriority, string> = {
  none: "",
  low: "bg-slate-200 text-slate-800 dark:bg-slate-700 dark:text-slate-100",
  medium: "bg-sky-100 text-sky-900 dark:bg-sky-900 dark:text-sky-100",
  high: "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
  urgent: "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
};

export const PRIORITIES: TaskPriority[] = ["none", "low", "medium", "high", "urgent"];

export function PriorityBadge({ priority }: { priority: TaskPriority }) {
  if (priority === "none") return null;
  return <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${PRIORITY_LOOK[priority]}`}>{priority}</span>;
}

/** A due date in the browser's time zone; overdue ones say so in words, not colour only. */
export function DueDate({ iso, now = new Date() }: { iso: string; now?: Date }) {
  const at = new Date(iso);
  const overdue = at < now;
  return (
    <time dateTime={iso} className={overdue ? "font-medium text-red-700 dark:text-red-400" : "text-slate-600 dark:text-slate-300"}>
      {overdue ? "Overdue: " : "Due "}
      {at.toLocaleString(undefined, { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" })}
    </time>
  );
}

/** A task with an open blocker (the API's `blocked`), said in words, not colour only. */
export function BlockedBadge() {
  return <span className="rounded bg-red-100 px-1.5 py-0.5 text-xs font-medium text-red-900 dark:bg-red-900 dark:text-red-100">blocked</span>;
}
