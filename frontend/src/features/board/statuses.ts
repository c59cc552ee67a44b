/**
 * The board's columns. Today every project has the same fixed statuses (the enum of the
 * generated tasks client); per-project workflows are coming to the tasks API. Everything on
 * the board asks `useProjectStatuses(projectId)` and reads `category` for rules (done,
 * cancelled), never a status name, so switching to the API's statuses is a change here only.
 */
import type { TaskStatus } from "../../api/types";

export type StatusCategory = "backlog" | "todo" | "in_progress" | "done" | "cancelled";

export interface StatusColumn {
  /** The value the API takes in `status`. */
  id: TaskStatus;
  name: string;
  category: StatusCategory;
  /** Work-in-progress limit, when the workflow has one. */
  wipLimit?: number | null;
}

/** Every project's default workflow (the tasks API gives new projects these five). */
export const DEFAULT_WORKFLOW: StatusColumn[] = [
  { id: "todo", name: "To do", category: "todo" },
  { id: "in_progress", name: "In progress", category: "in_progress" },
  { id: "blocked", name: "Blocked", category: "in_progress" },
  { id: "done", name: "Done", category: "done" },
  { id: "cancelled", name: "Cancelled", category: "cancelled" },
];

export function useProjectStatuses(_projectId: string): { statuses: StatusColumn[]; isLoading: boolean } {
  // When the tasks API serves `/projects/{id}/workflow`, fetch it here with useQuery under
  // ["projects", projectId, "workflow"] and map it to StatusColumn.
  return { statuses: DEFAULT_WORKFLOW, isLoading: false };
}

export function statusName(statuses: StatusColumn[], id: string): string {
  return statuses.find((s) => s.id === id)?.name ?? id;
}
