/** How a task's activity reads: who did what, in words rather than event names. */
import type { Activity } from "../../api/types";

/** What each activity of a task reads as; an action not listed reads as its words. */
const ACTIONS: Record<string, string> = {
  "task.created": "created the task",
  "task.updated": "updated the task",
  "task.deleted": "moved the task to the trash",
  "task.restored": "restored the task",
  "task.moved": "moved the task",
  "task.dependency_added": "added a dependency",
  "task.dependency_removed": "removed a dependency",
  "comment.added": "commented",
  "comment.edited": "edited a comment",
  "comment.deleted": "deleted a comment",
};

export function describeChange(a: Pick<Activity, "actor_id" | "action" | "changes">, names: Map<string, string>): string {
  const who = (a.actor_id && names.get(a.actor_id)) || "Someone";
  const fields = Object.keys(a.changes ?? {});
  if (a.action === "task.updated" && fields.length) return `${who} changed ${fields.join(", ")}`;
  return `${who} ${ACTIONS[a.action] ?? a.action.replace(/[._]/g, " ")}`;
}
