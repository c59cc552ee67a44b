/**
 * `/t/OPS-12`: a task by its key, for links people paste. A key the task had before it moved
 * to another project answers 308 to the task (the browser's fetch follows it with the same
 * token), so an old link still lands on the task, now under its new key.
 */
import { useQuery } from "@tanstack/react-query";
import { Navigate, useParams } from "react-router";

import { tasksApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import { FormError, Skeleton } from "../../components/ui";

export default function TaskByKey() {
  const { key = "" } = useParams();
  const task = useQuery({
    queryKey: ["tasks", "by-key", key.toUpperCase()],
    queryFn: async () => unwrap(await tasksApi.GET("/api/v1/tasks/by-key/{key}", { params: { path: { key } } })),
    retry: false,
  });
  if (task.isPending) return <Skeleton lines={3} />;
  if (task.isError) {
    const gone = task.error instanceof ApiError && (task.error.status === 404 || task.error.status === 422);
    return <FormError message={gone ? `No task ${key} that you can see: the key is wrong, or you are not a member of its project.` : describe(task.error)} />;
  }
  return <Navigate to={`/projects/${task.data.project_id}/tasks/${task.data.id}`} replace />;
}
