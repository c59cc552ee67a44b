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

/** How long a burst of events is gathered before the views they touch are refetched. */
export const INVALIDATION_WINDOW_MS = 400;

export interface InvalidationBatcher {
  add(keys: QueryKeyPrefix[]): void;
  stop(): void;
}

/**
 * Gathers the keys of the events of a short window and invalidates each once when it ends.
 * A burst (an import of 1,000 tasks, a bulk edit) would otherwise refetch a board's every page
 * once per event: a storm of requests that the gateway's per-address limit answers with 429.
 * The first event opens the window, so a lone change still shows within the window's length.
 */
export function invalidationBatcher(invalidate: (key: QueryKeyPrefix) => void, windowMs = INVALIDATION_WINDOW_MS): InvalidationBatcher {
  const pending = new Map<string, QueryKeyPrefix>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    timer = null;
    const keys = [...pending.values()];
    pending.clear();
    for (const key of keys) invalidate(key);
  };
  return {
    add(keys) {
      for (const key of keys) pending.set(JSON.stringify(key), key);
      if (pending.size && timer === null) timer = setTimeout(flush, windowMs);
    },
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending.clear();
    },
  };
}
