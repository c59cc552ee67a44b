/**
 * A project's life: archive (read-only) and unarchive (owners and admins), move to the trash
 * and restore (owners). Right after trashing, a banner offers the undo (the id travels in the
 * URL, `/projects?trashed=<id>`); later, the Trash page (`/projects/trash`, the API's
 * `?trashed=true`) lists the owner's trashed projects with Restore.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { Project } from "../../api/types";
import { Button } from "../../components/ui";
import { useToast } from "../../components/toasts";
import { keys } from "../tasks/queries";

/** Who may do what to a project's life, by the caller's project role. */
export function lifecycleRights(role: Project["role"]): { archive: boolean; trash: boolean } {
  return { archive: role === "owner" || role === "admin", trash: role === "owner" };
}

function useRefreshProjects() {
  const queryClient = useQueryClient();
  return (id: string) => {
    void queryClient.invalidateQueries({ queryKey: ["projects", "list"] });
    void queryClient.invalidateQueries({ queryKey: keys.project(id) });
  };
}

/** Archive or unarchive; `If-Match` with the version shown. */
export function useSetArchived() {
  const refresh = useRefreshProjects();
  const toast = useToast();
  return useMutation({
    mutationFn: async ({ project, archived }: { project: Project; archived: boolean }) => {
      const params = { path: { project_id: project.id }, header: { "If-Match": `"${project.version}"` } };
      return unwrap(
        archived
          ? await tasksApi.POST("/api/v1/projects/{project_id}/archive", { params })
          : await tasksApi.POST("/api/v1/projects/{project_id}/unarchive", { params }),
      );
    },
    onSuccess: (fresh, { archived }) => toast.show(`${fresh.name} is ${archived ? "archived: read-only until unarchived" : "active again"}.`),
    onError: (error, { project, archived }) => toast.show(`Could not ${archived ? "archive" : "unarchive"} ${project.name}: ${describe(error)}`, "error"),
    onSettled: (_d, _e, { project }) => refresh(project.id),
  });
}

/** The project's menu of lifecycle actions, next to its name; nothing for plain members. */
export function ProjectActions({ project }: { project: Project }) {
  const rights = lifecycleRights(project.role);
  const setArchived = useSetArchived();
  const refresh = useRefreshProjects();
  const navigate = useNavigate();
  const toast = useToast();
  const trash = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.DELETE("/api/v1/projects/{project_id}", {
          params: { path: { project_id: project.id }, header: { "If-Match": `"${project.version}"` } },
        }),
      ),
    onSuccess: () => {
      refresh(project.id);
      navigate(`/projects?${new URLSearchParams({ trashed: project.id, name: project.name }).toString()}`);
    },
    onError: (error) => toast.show(`Could not move ${project.name} to the trash: ${describe(error)}`, "error"),
  });
  if (!rights.archive && !rights.trash) return null;
  const archived = project.archived_at != null;
  return (
    <div className="flex flex-wrap gap-2">
      {rights.archive ? (
        <Button variant="secondary" disabled={setArchived.isPending} onClick={() => setArchived.mutate({ project, archived: !archived })}>
          {archived ? "Unarchive project" : "Archive project"}
        </Button>
      ) : null}
      {rights.trash ? (
        <Button
          variant="ghost"
          disabled={trash.isPending}
          onClick={() => {
            if (window.confirm(`Move ${project.name} and its tasks to the trash? You can restore it right after.`)) trash.mutate();
          }}
        >
          Move to trash
        </Button>
      ) : null}
    </div>
  );
}

/** Said above an archived project's views: read-only, and how to change that. */
export function ArchivedBanner({ project }: { project: Project }) {
  if (project.archived_at == null) return null;
  return (
    <p role="status" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
      This project is archived: it is read-only.{" "}
      {lifecycleRights(project.role).archive ? "Unarchive it to change anything." : "Its owners or admins can unarchive it."}
    </p>
  );
}

/** The undo after trashing a project (`?trashed=<id>&name=`): restore it, or dismiss. */
export function TrashedBanner() {
  const [params, setParams] = useSearchParams();
  const id = params.get("trashed");
  const name = params.get("name") || "The project";
  const refresh = useRefreshProjects();
  const navigate = useNavigate();
  const restore = useMutation({
    mutationFn: async (projectId: string) => unwrap(await tasksApi.POST("/api/v1/projects/{project_id}/restore", { params: { path: { project_id: projectId } } })),
    onSuccess: (project) => {
      refresh(project.id);
      navigate(`/projects/${project.id}/board`);
    },
  });
  if (!id) return null;
  return (
    <div role="status" className="flex flex-wrap items-center gap-3 rounded-md bg-slate-100 px-3 py-2 text-sm dark:bg-slate-800">
      <span>{name} is in the trash.</span>
      <Button variant="secondary" disabled={restore.isPending} onClick={() => restore.mutate(id)}>
        Restore {name}
      </Button>
      <Button variant="ghost" onClick={() => setParams({}, { replace: true })}>
        Dismiss
      </Button>
      {restore.isError ? <span className="text-red-700 dark:text-red-400">Could not restore: {describe(restore.error)}</span> : null}
    </div>
  );
}

/** A link to the archived projects, for the projects page. */
export function ArchivedLink() {
  return (
    <Link to="/projects/archived" className="text-sm text-indigo-700 underline-offset-2 hover:underline dark:text-indigo-300">
      Archived projects
    </Link>
  );
}

/** A link to the trashed projects, for the projects page. */
export function TrashLink() {
  return (
    <Link to="/projects/trash" className="text-sm text-indigo-700 underline-offset-2 hover:underline dark:text-indigo-300">
      Trash
    </Link>
  );
}
