/**
 * Projects in the trash (`GET /projects?trashed=true`: the ones the caller owns, since only
 * owners may restore): when each was trashed, and Restore (optimistic: it leaves the list at
 * once and comes back with a toast when the API refuses).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { Project } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button, Empty, FormError, Skeleton } from "../../components/ui";
import { keys } from "../tasks/queries";

const TRASHED = keys.projects({ trashed: true });

export default function TrashedProjectsPage() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const projects = useQuery({
    queryKey: TRASHED,
    queryFn: async (): Promise<Project[]> =>
      unwrap(await tasksApi.GET("/api/v1/projects", { params: { query: { trashed: true, limit: 200 } } })).items,
  });
  const restore = useMutation({
    mutationFn: async (project: Project) => unwrap(await tasksApi.POST("/api/v1/projects/{project_id}/restore", { params: { path: { project_id: project.id } } })),
    onMutate: async (project) => {
      await queryClient.cancelQueries({ queryKey: TRASHED });
      const before = queryClient.getQueryData<Project[]>(TRASHED);
      queryClient.setQueryData<Project[]>(TRASHED, (all) => all?.filter((p) => p.id !== project.id));
      return { before };
    },
    onSuccess: (project) => toast.show(`${project.name} is restored.`),
    onError: (error, project, context) => {
      queryClient.setQueryData(TRASHED, context?.before);
      toast.show(`Could not restore ${project.name}: ${describe(error)}`, "error");
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["projects", "list"] }),
  });
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold">Trash</h1>
        <Link to="/projects" className="text-sm text-indigo-700 hover:underline dark:text-indigo-300">
          Back to projects
        </Link>
      </div>
      <p className="text-sm text-slate-600 dark:text-slate-400">Projects you own that were moved to the trash. Restore one to bring it back with its tasks; the trash is emptied after a while.</p>
      {projects.isPending ? <Skeleton /> : null}
      {projects.isError ? <FormError message={describe(projects.error)} /> : null}
      {projects.data?.length === 0 ? <Empty title="The trash is empty">A project you move to the trash (“Move to trash” on its page) waits here until you restore it.</Empty> : null}
      <ul aria-label="Trashed projects" className="flex flex-col gap-2">
        {projects.data?.map((p) => (
          <li key={p.id} className="flex flex-wrap items-center gap-3 rounded-md border border-slate-200 p-3 dark:border-slate-800">
            <span className="min-w-0 flex-1">
              <span className="mr-2 text-xs font-semibold text-slate-600 dark:text-slate-400">{p.key}</span>
              <span className="font-medium">{p.name}</span>
              {p.deleted_at ? (
                <span className="block text-xs text-slate-600 dark:text-slate-400">
                  trashed <time dateTime={p.deleted_at}>{new Date(p.deleted_at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}</time>
                </span>
              ) : null}
            </span>
            <Button variant="secondary" disabled={restore.isPending} onClick={() => restore.mutate(p)} aria-label={`Restore ${p.name}`}>
              Restore
            </Button>
          </li>
        ))}
      </ul>
    </div>
  );
}

