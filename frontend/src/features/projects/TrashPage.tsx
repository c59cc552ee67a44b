/** A project's trash: its deleted tasks, most recent first, each with Restore (members up). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { Task } from "../../api/types";
import { Button, Empty, FormError, Skeleton } from "../../components/ui";
import { useToast } from "../../components/toasts";
import { useProject } from "../tasks/queries";

export const trashKey = (projectId: string) => ["projects", projectId, "trash"] as const;

export default function TrashPage() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  const queryClient = useQueryClient();
  const toast = useToast();
  const trash = useQuery({
    queryKey: trashKey(projectId),
    queryFn: async (): Promise<Task[]> =>
      unwrap(await tasksApi.GET("/api/v1/projects/{project_id}/trash", { params: { path: { project_id: projectId }, query: { limit: 200 } } })).items,
  });
  const restore = useMutation({
    mutationFn: async (task: Task) =>
      unwrap(await tasksApi.POST("/api/v1/tasks/{task_id}/restore", { params: { path: { task_id: task.id }, header: { "If-Match": `"${task.version}"` } } })),
    // Optimistic: the row leaves the trash at once and comes back if the API refuses.
    onMutate: (task) => {
      const before = queryClient.getQueryData<Task[]>(trashKey(projectId));
      queryClient.setQueryData<Task[]>(trashKey(projectId), (list) => list?.filter((t) => t.id !== task.id));
      return { before };
    },
    onSuccess: (task) => toast.show(`${task.key} is back on the board.`),
    onError: (error, task, saved) => {
      queryClient.setQueryData(trashKey(projectId), saved?.before);
      toast.show(`Could not restore ${task.key}: ${describe(error)}`, "error");
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ["projects", projectId] }),
  });
  const canRestore = project.data?.role != null && project.data.role !== "viewer";

  if (trash.isPending) return <Skeleton />;
  if (trash.isError) return <FormError message={describe(trash.error)} />;
  if (trash.data.length === 0) {
    return <Empty title="The trash is empty">Tasks you delete land here; restore them from here if you change your mind.</Empty>;
  }
  return (
    <ul aria-label="Deleted tasks" className="flex flex-col gap-2">
      {trash.data.map((t) => (
        <li key={t.id} className="flex flex-wrap items-center gap-3 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800">
          <span className="text-slate-500">{t.key}</span>
          <span className="min-w-0 flex-1 font-medium break-words">{t.title}</span>
          {t.deleted_at ? <time dateTime={t.deleted_at} className="text-xs text-slate-500">Deleted {new Date(t.deleted_at).toLocaleString()}</time> : null}
          {canRestore ? (
            <Button variant="secondary" onClick={() => restore.mutate(t)} aria-label={`Restore ${t.key} ${t.title}`}>
              Restore
            </Button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
