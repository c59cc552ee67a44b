/**
 * Server state of projects and tasks, in TanStack Query only. Keys follow the API paths so
 * that a live event can invalidate exactly what it touched (see live/bridge.ts).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { tasksApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { paths as TasksPaths } from "../../api/generated/tasks";
import type { Label, Member, Project, Task, TaskUpdate } from "../../api/types";
import { useToast } from "../../components/toasts";
import { refusalMessage } from "../board/statuses";
import { reportConflict } from "./conflicts";

export const keys = {
  projects: (filters: object = {}) => ["projects", "list", filters] as const,
  project: (id: string) => ["projects", id] as const,
  projectTasks: (id: string, filters: object = {}) => ["projects", id, "tasks", filters] as const,
  members: (id: string) => ["projects", id, "members"] as const,
  labels: (id: string) => ["projects", id, "labels"] as const,
  task: (id: string) => ["tasks", id] as const,
  comments: (id: string) => ["tasks", id, "comments"] as const,
  activity: (id: string) => ["tasks", id, "activity"] as const,
  myTasks: (filters: object = {}) => ["tasks", "list", filters] as const,
};

export function useProjects() {
  return useQuery({
    queryKey: keys.projects(),
    queryFn: async (): Promise<Project[]> => unwrap(await tasksApi.GET("/api/v1/projects", { params: { query: { limit: 200 } } })).items,
  });
}

export function useProject(id: string) {
  return useQuery({
    queryKey: keys.project(id),
    queryFn: async (): Promise<Project> => unwrap(await tasksApi.GET("/api/v1/projects/{project_id}", { params: { path: { project_id: id } } })),
  });
}

export type TaskQuery = NonNullable<TasksPaths["/api/v1/projects/{project_id}/tasks"]["get"]["parameters"]["query"]>;

/** Every page of a project's tasks (a board shows them all; the API pages by 200). */
export function useProjectTasks(projectId: string, query: TaskQuery = {}, maxPages = 10, enabled = true) {
  return useQuery({
    queryKey: keys.projectTasks(projectId, query),
    enabled,
    queryFn: async (): Promise<Task[]> => {
      const out: Task[] = [];
      let cursor: string | null | undefined;
      for (let page = 0; page < maxPages; page++) {
        const data = unwrap(
          await tasksApi.GET("/api/v1/projects/{project_id}/tasks", {
            params: { path: { project_id: projectId }, query: { limit: 200, ...query, ...(cursor ? { cursor } : {}) } },
          }),
        );
        out.push(...data.items);
        cursor = data.next_cursor;
        if (!cursor) break;
      }
      return out;
    },
    placeholderData: (previous) => previous,
  });
}

export function useMembers(projectId: string) {
  return useQuery({
    queryKey: keys.members(projectId),
    queryFn: async (): Promise<Member[]> =>
      unwrap(await tasksApi.GET("/api/v1/projects/{project_id}/members", { params: { path: { project_id: projectId }, query: { limit: 200 } } })).items,
    staleTime: 60_000,
  });
}

export function useLabels(projectId: string) {
  return useQuery({
    queryKey: keys.labels(projectId),
    queryFn: async (): Promise<Label[]> =>
      unwrap(await tasksApi.GET("/api/v1/projects/{project_id}/labels", { params: { path: { project_id: projectId }, query: { limit: 200 } } })).items,
    staleTime: 60_000,
  });
}

export function useTask(id: string) {
  return useQuery({
    queryKey: keys.task(id),
    queryFn: async (): Promise<Task> => unwrap(await tasksApi.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: id } } })),
  });
}

/**
 * Change a task optimistically: every cached list and the task itself show the change at once;
 * on failure they roll back and a toast says what failed (a 412 means someone else changed it
 * first: the fresh version is loaded and the conflict view shows theirs against yours).
 */
export function useUpdateTask() {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: async ({ task, changes }: { task: Task; changes: TaskUpdate }) =>
      unwrap(
        await tasksApi.PATCH("/api/v1/tasks/{task_id}", {
          params: { path: { task_id: task.id }, header: { "If-Match": `"${task.version}"` } },
          body: changes,
        }),
      ),
    onMutate: async ({ task, changes }) => {
      await queryClient.cancelQueries({ queryKey: ["projects", task.project_id, "tasks"] });
      await queryClient.cancelQueries({ queryKey: ["tasks", "list"] });
      // The project's lists and the cross-project ones ("my tasks", its calendar).
      const lists = [
        ...queryClient.getQueriesData<Task[]>({ queryKey: ["projects", task.project_id, "tasks"] }),
        ...queryClient.getQueriesData<Task[]>({ queryKey: ["tasks", "list"] }),
      ];
      const single = queryClient.getQueryData<Task>(keys.task(task.id));
      const apply = (t: Task): Task => (t.id === task.id ? ({ ...t, ...changes } as Task) : t);
      for (const [key, list] of lists) if (list) queryClient.setQueryData(key, list.map(apply));
      if (single) queryClient.setQueryData(keys.task(task.id), apply(single));
      return { lists, single };
    },
    onError: (error, { task, changes }, saved) => {
      for (const [key, list] of saved?.lists ?? []) queryClient.setQueryData(key, list);
      if (saved?.single) queryClient.setQueryData(keys.task(task.id), saved.single);
      const refused = refusalMessage(error, task.key);
      if (refused) {
        toast.show(refused, "error");
      } else if (error instanceof ApiError && error.status === 412) {
        // Someone changed it first: load theirs, then show both side by side (reload or
        // overwrite, ConflictDialog); without a dialog on screen, say so plainly.
        const said = () => toast.show(`${task.key} was changed by someone else meanwhile; their version is shown. Make your change again.`, "error");
        void tasksApi
          .GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: task.id } } })
          .then(unwrap)
          .then((theirs) => {
            queryClient.setQueryData(keys.task(task.id), theirs);
            if (!reportConflict({ base: task, theirs, mine: changes })) said();
          })
          .catch(said);
      } else {
        toast.show(`Could not save ${task.key}: ${describe(error)}`, "error");
      }
    },
    onSuccess: (fresh) => {
      queryClient.setQueryData(keys.task(fresh.id), fresh);
      const lists = [
        ...queryClient.getQueriesData<Task[]>({ queryKey: ["projects", fresh.project_id, "tasks"] }),
        ...queryClient.getQueriesData<Task[]>({ queryKey: ["tasks", "list"] }),
      ];
      for (const [key, list] of lists) if (list) queryClient.setQueryData(key, list.map((t) => (t.id === fresh.id ? fresh : t)));
    },
    onSettled: (_data, _error, { task }) => {
      void queryClient.invalidateQueries({ queryKey: keys.task(task.id) });
      void queryClient.invalidateQueries({ queryKey: ["projects", task.project_id] });
      void queryClient.invalidateQueries({ queryKey: ["tasks", task.id, "activity"] });
      void queryClient.invalidateQueries({ queryKey: ["tasks", "list"] });
    },
  });
}
