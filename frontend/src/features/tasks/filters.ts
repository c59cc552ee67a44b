/**
 * The list view's filters live in the URL (`?status=todo&status=done&priority=high&q=vendor
 * &sort=-due_at`) so that a view can be shared by a link. Pure: parse and write back.
 */
import type { TaskPriority, TaskStatus } from "../../api/types";

export const SORTS = ["position", "-updated_at", "due_at", "-due_at", "-priority", "-created_at", "rank"] as const;
export type Sort = (typeof SORTS)[number];

export interface ListFilters {
  status: TaskStatus[];
  priority: TaskPriority[];
  q: string;
  sort: Sort;
  assignee: string;
}

const STATUSES: readonly string[] = ["todo", "in_progress", "blocked", "done", "cancelled"];
const PRIORITY_VALUES: readonly string[] = ["none", "low", "medium", "high", "urgent"];

export function readFilters(params: URLSearchParams): ListFilters {
  const sort = params.get("sort");
  return {
    status: params.getAll("status").filter((s): s is TaskStatus => STATUSES.includes(s)),
    priority: params.getAll("priority").filter((p): p is TaskPriority => PRIORITY_VALUES.includes(p)),
    q: params.get("q") ?? "",
    sort: (SORTS as readonly string[]).includes(sort ?? "") ? (sort as Sort) : "position",
    assignee: params.get("assignee") ?? "",
  };
}

export function writeFilters(filters: ListFilters): URLSearchParams {
  const out = new URLSearchParams();
  for (const s of filters.status) out.append("status", s);
  for (const p of filters.priority) out.append("priority", p);
  if (filters.q.trim()) out.set("q", filters.q);
  if (filters.assignee) out.set("assignee", filters.assignee);
  if (filters.sort !== "position") out.set("sort", filters.sort);
  return out;
}

/** The API query of a set of filters (empty values left out; `rank` only with a search). */
export function toApiQuery(filters: ListFilters) {
  const q = filters.q.trim();
  return {
    ...(filters.status.length ? { status: filters.status } : {}),
    ...(filters.priority.length ? { priority: filters.priority } : {}),
    ...(q ? { q } : {}),
    ...(filters.assignee ? { assignee: filters.assignee } : {}),
    sort: filters.sort === "rank" && !q ? ("position" as const) : filters.sort,
  };
}
