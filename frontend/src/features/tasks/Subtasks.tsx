/**
 * A task's subtasks (tasks whose `parent_id` is this one): listed with a checkbox that completes
 * or reopens them (the first status of category done / todo, optimistic through useUpdateTask),
 * and a field that adds one under this task.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { Task } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button, Skeleton } from "../../components/ui";
import { useProjectStatuses } from "../board/statuses";
import { useProjectTasks, useUpdateTask } from "./queries";

export function Subtasks({ task }: { task: Task }) {
  const id = useId();
  const queryClient = useQueryClient();
  const toast = useToast();
  const update = useUpdateTask();
  const { statuses } = useProjectStatuses(task.project_id);
  const children = useProjectTasks(task.project_id, { parent: task.id, sort: "position" }, 1);
  const [title, setTitle] = useState("");
  const doneStatus = statuses.find((s) => s.category === "done");
  const openStatus = statuses.find((s) => s.category === "todo") ?? statuses.find((s) => s.category === "backlog");
  const isDone = (t: Task) => statuses.find((s) => s.id === t.status_id)?.category === "done";

  const add = useMutation({
    mutationFn: async (text: string) =>
      unwrap(await tasksApi.POST("/api/v1/projects/{project_id}/tasks", { params: { path: { project_id: task.project_id } }, body: { title: text, parent_id: task.id } })),
    onSuccess: () => {
      setTitle("");
      void queryClient.invalidateQueries({ queryKey: ["projects", task.project_id, "tasks"] });
    },
    // What was typed stays in the field.
    onError: (error) => toast.show(`Subtask not added: ${describe(error)}`, "error"),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim()) add.mutate(title.trim());
  };
  const items = children.data ?? [];
  const done = items.filter(isDone).length;

  return (
    <section aria-labelledby={`${id}-h`} className="flex flex-col gap-2">
      <h2 id={`${id}-h`} className="text-sm font-semibold">
        Subtasks {items.length ? <span className="font-normal text-slate-600 dark:text-slate-400">({done} of {items.length} done)</span> : null}
      </h2>
      {children.isPending ? <Skeleton lines={1} /> : null}
      <ul className="flex flex-col gap-1 text-sm">
        {items.map((t) => (
          <li key={t.id} className="flex items-center gap-2">
            <input
              type="checkbox"
              aria-label={`${isDone(t) ? "Reopen" : "Complete"} ${t.title}`}
              checked={isDone(t)}
              disabled={!doneStatus || !openStatus}
              onChange={(e) => {
                const target = e.target.checked ? doneStatus : openStatus;
                if (target) update.mutate({ task: t, changes: { status_id: target.id } });
              }}
            />
            <Link to={`/projects/${t.project_id}/tasks/${t.id}`} className={`hover:underline ${isDone(t) ? "text-slate-500 line-through" : ""}`}>
              {t.title}
            </Link>
            <span className="text-xs text-slate-500">{t.key}</span>
          </li>
        ))}
      </ul>
      <form onSubmit={submit} className="flex gap-2">
        <label htmlFor={`${id}-new`} className="sr-only">
          New subtask
        </label>
        <input
          id={`${id}-new`}
          placeholder="Add a subtask"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          className="flex-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-900"
        />
        <Button type="submit" variant="secondary" disabled={add.isPending || !title.trim()}>
          Add
        </Button>
      </form>
    </section>
  );
}
