/**
 * A project's workflow, from the tasks API (`GET /projects/{id}/statuses`): the board's
 * columns in the workflow's order, with colour and WIP limit. Rules read a status's
 * `category` (done, cancelled), never its name: names are the admins' to choose.
 */
import { useQuery } from "@tanstack/react-query";

import { tasksApi } from "../../api/client";
import { ApiError, unwrap } from "../../api/errors";
import type { ProjectStatus, StatusCategory } from "../../api/types";

export type { StatusCategory };

export const CATEGORIES: StatusCategory[] = ["backlog", "todo", "in_progress", "done", "cancelled"];

export const statusesKey = (projectId: string) => ["projects", projectId, "statuses"] as const;

export function useProjectStatuses(projectId: string): { statuses: ProjectStatus[]; isLoading: boolean; error: unknown } {
  const query = useQuery({
    queryKey: statusesKey(projectId),
    queryFn: async (): Promise<ProjectStatus[]> =>
      unwrap(await tasksApi.GET("/api/v1/projects/{project_id}/statuses", { params: { path: { project_id: projectId } } })).items,
    enabled: Boolean(projectId),
    staleTime: 30_000,
  });
  const statuses = [...(query.data ?? [])].sort((a, b) => a.position - b.position);
  return { statuses, isLoading: query.isPending, error: query.error };
}

/** A status's name for people: the default workflow's `in_progress` reads "In progress". */
export function displayName(name: string): string {
  if (!/^[a-z_]+$/.test(name)) return name;
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The name of a status id; `fallback` (the task's own `status` name) until the workflow loads. */
export function statusName(statuses: ProjectStatus[], id: string, fallback = "…"): string {
  const found = statuses.find((s) => s.id === id);
  return displayName(found ? found.name : fallback);
}

/** `count / limit` for a column header, and whether the column is full. */
export function wipState(count: number, limit: number | null | undefined): { label: string; full: boolean } {
  if (limit == null) return { label: String(count), full: false };
  return { label: `${count} / ${limit}`, full: count >= limit };
}

/**
 * What to tell a person whose move the API refused: which WIP limit is full, or which tasks
 * still block the one they tried to complete. `null` for any other error.
 */
export function refusalMessage(error: unknown, taskKey: string): string | null {
  if (!(error instanceof ApiError) || error.status !== 409) return null;
  const p = error.problem as Record<string, unknown>;
  if (error.code === "wip_limit_reached") {
    const name = typeof p.status_name === "string" ? displayName(p.status_name) : "that status";
    const limit = typeof p.wip_limit === "number" ? ` (limit ${p.wip_limit})` : "";
    return `${taskKey} not moved: ${name} is at its WIP limit${limit}.`;
  }
  if (error.code === "open_blockers") {
    const blockers = Array.isArray(p.blockers) ? (p.blockers as { key?: unknown; title?: unknown }[]) : [];
    const named = blockers.map((b) => `${String(b.key ?? "")} ${String(b.title ?? "")}`.trim()).filter(Boolean);
    return `${taskKey} cannot be completed: blocked by ${named.length ? named.join(", ") : "open tasks"}.`;
  }
  return null;
}
