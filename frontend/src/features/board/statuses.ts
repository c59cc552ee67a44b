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

/**
 * The fixed workflow, keyed by status so that the compiler fails here when the generated
 * client gains or loses a status (the `Record<TaskStatus, ...>` must name each exactly once).
 */
const FIXED: Record<TaskStatus, Omit<StatusColumn, "id">> = {
  todo: { name: "To do", category: "todo" },
  in_progress: { name: "In progress", category: "in_progress" },
  blocked: { name: "Blocked", category: "in_progress" },
  done: { name: "Done", category: "done" },
  cancelled: { name: "Cancelled", category: "cancelled" },
};

export const DEFAULT_WORKFLOW: StatusColumn[] = (Object.keys(FIXED) as TaskStatus[]).map((id) => ({ id, ...FIXED[id] }));

export function useProjectStatuses(_projectId: string): { statuses: StatusColumn[]; isLoading: boolean } {
  // When the tasks API serves `/projects/{id}/workflow`, fetch it here with useQuery under
  // ["projects", projectId, "workflow"] and map it to StatusColumn.
  return { statuses: DEFAULT_WORKFLOW, isLoading: false };
}

export function statusName(statuses: StatusColumn[], id: string): string {
  return statuses.find((s) => s.id === id)?.name ?? id;
}
