/**
 * Saved views: a name and the list's filters, stored by the tasks API (`/views`, per person,
 * for one project or all). The list's filters live in the URL; a view is those filters in the
 * API's `TaskFilters` shape, converted both ways here (pure).
 */
import type { TaskFilters } from "../../api/types";
import { readFilters, SORTS, toApiQuery, writeFilters, type ListFilters, type Sort } from "./filters";

/** What a view stores for the list's current filters. */
export function filtersToView(filters: ListFilters): TaskFilters {
  const query = toApiQuery(filters);
  return { ...query, sort: query.sort };
}

/** The list's filters of a stored view; what the list cannot show is left out. */
export function viewToFilters(view: TaskFilters): ListFilters {
  const params = new URLSearchParams();
  for (const s of view.status ?? []) params.append("status", s);
  for (const p of view.priority ?? []) params.append("priority", p);
  if (view.q) params.set("q", view.q);
  if (view.assignee) params.set("assignee", view.assignee);
  if (view.sort && (SORTS as readonly string[]).includes(view.sort)) params.set("sort", view.sort as Sort);
  return readFilters(params);
}

/** The URL search of a stored view (what "open view" navigates to). */
export function viewSearch(view: TaskFilters): string {
  return writeFilters(viewToFilters(view)).toString();
}
