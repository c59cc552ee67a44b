/**
 * What a live message means for the query cache: which keys to invalidate. Pure, so tested
 * without a socket. Keys follow the API paths (`["projects", id, "tasks", ...]`,
 * `["tasks", id]`), so invalidating a prefix refreshes every view of what changed.
 */

export type QueryKeyPrefix = readonly unknown[];

export interface LiveEvent {
  id: string;
  type: string;
  subject?: string | null;
  project_id?: string | null;
  actor_id?: string | null;
  data?: Record<string, unknown>;
}

export type LiveMessage =
  | { type: "ready"; user_id: string }
  | { type: "notification"; notification: { id: string; created_at: string; title: string; body?: string; link?: string | null } }
  | { type: "event"; event: LiveEvent }
  | { type: "ping" | "pong" | "resumed" }
  | { type: "error"; code: string };

/** The task id of a `task/<uuid>` or a comment event's data, when there is one. */
function taskIdOf(event: LiveEvent): string | null {
  if (event.subject?.startsWith("task/")) return event.subject.slice("task/".length);
  const fromData = event.data?.task_id;
  return typeof fromData === "string" ? fromData : null;
}

export function keysFor(message: LiveMessage): QueryKeyPrefix[] {
  if (message.type === "notification") return [["notifications"]];
  if (message.type !== "event") return [];
  const event = message.event;
  const keys: QueryKeyPrefix[] = [];
  if (event.project_id) keys.push(["projects", event.project_id]);
  const taskId = taskIdOf(event);
  if (taskId) keys.push(["tasks", taskId]);
  if (event.type.startsWith("project.")) keys.push(["projects", "list"]);
  // "My tasks" and search lists span projects.
  if (event.type.startsWith("task.")) keys.push(["tasks", "list"]);
  return keys;
}
