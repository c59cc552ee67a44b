/**
 * The list view's filters live in the URL (`?status=todo&status=done&priority=high&q=vendor
 * &sort=-due_at`) so that a view can be shared by a link. Pure: parse and write back.
 */
import type { TaskPriority } from "../../api/types";

export const SORTS = ["position", "-updated_at", "due_at", "-due_at", "-priority", "-created_at", "rank"] as const;
export type Sort = (typeof SORTS)[number];

export interface ListFilters {
  /** Status ids of the project's workflow, or categories (`done`): the API takes both. */
  status: string[];
  priority: TaskPriority[];
  q: string;
  sort: Sort;
  assignee: string;
}

const CATEGORY_VALUES: readonly string[] = ["backlog", "todo", "in_progress", "done", "cancelled"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRIORITY_VALUES: readonly string[] = ["none", "low", "medium", "high", "urgent"];

export function readFilters(params: URLSearchParams): ListFilters {
  const sort = params.get("sort");
  return {
    status: params.getAll("status").filter((s) => CATEGORY_VALUES.includes(s) || UUID.test(s)),
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
