/**
 * Move a task to another project, or duplicate it. A move keeps the task (and its subtasks,
 * comments, activity) under a new key; the old key keeps working through `/t/<old key>`. The
 * API maps labels and the milestone by name and removes assignees and watchers who are not
 * members of the target: the answer says what each moved task lost, and so do we, plainly.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import { tasksApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { MoveResult, MovedTask, Project, Task } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button, FormError, SelectField } from "../../components/ui";
import { keys, useProjects } from "./queries";

/** Projects a task may move to: live ones, not its own, where the caller may create tasks. */
export function moveTargets(projects: Project[], from: string): Project[] {
  return projects.filter((p) => p.id !== from && p.archived_at == null && p.deleted_at == null && (p.role === "owner" || p.role === "admin" || p.role === "member"));
}

/** What one moved task lost, in words (empty when nothing). */
export function lossesInWords(moved: MovedTask, names: Map<string, string>): string[] {
  const out: string[] = [];
  if (moved.dropped_labels.length) out.push(`labels dropped: ${moved.dropped_labels.map((l) => l.name).join(", ")}`);
  if (moved.dropped_milestone) out.push(`milestone dropped: ${moved.dropped_milestone.title}`);
  if (moved.removed_assignee_ids.length) out.push(`assignees removed (not members there): ${moved.removed_assignee_ids.map((id) => names.get(id) ?? "a former member").join(", ")}`);
  if (moved.removed_watcher_ids.length) out.push(`watchers removed: ${moved.removed_watcher_ids.map((id) => names.get(id) ?? "a former member").join(", ")}`);
  if (moved.detached_from_parent) out.push("now a top-level task (its parent stayed behind)");
  return out;
}

export function MoveDuplicate({ task, names }: { task: Task; names: Map<string, string> }) {
  const [open, setOpen] = useState<"move" | "duplicate" | null>(null);
  const [result, setResult] = useState<{ answer: MoveResult; names: Map<string, string> } | null>(null);
  return (
    <section aria-label="Move or duplicate" className="flex flex-col gap-2">
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" aria-expanded={open === "move"} onClick={() => setOpen(open === "move" ? null : "move")}>
          Move…
        </Button>
        <Button variant="secondary" aria-expanded={open === "duplicate"} onClick={() => setOpen(open === "duplicate" ? null : "duplicate")}>
          Duplicate…
        </Button>
      </div>
      {open === "move" ? (
        <MoveForm
          task={task}
          onMoved={(answer) => {
            setResult({ answer, names });
            setOpen(null);
          }}
        />
      ) : null}
      {open === "duplicate" ? <DuplicateForm task={task} onDone={() => setOpen(null)} /> : null}
      {result ? <MoveReport answer={result.answer} names={result.names} onDismiss={() => setResult(null)} /> : null}
    </section>
  );
}

function MoveForm({ task, onMoved }: { task: Task; onMoved: (answer: MoveResult) => void }) {
  const projects = useProjects();
  const targets = moveTargets(projects.data ?? [], task.project_id);
  const [target, setTarget] = useState("");
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const chosen = target || targets[0]?.id || "";
  const move = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.POST("/api/v1/tasks/{task_id}/move", {
          params: { path: { task_id: task.id }, header: { "If-Match": `"${task.version}"` } },
          body: { project_id: chosen },
        }),
      ),
    onSuccess: (answer) => {
      queryClient.setQueryData(keys.task(answer.task.id), answer.task);
      void queryClient.invalidateQueries({ queryKey: ["projects", task.project_id] });
      void queryClient.invalidateQueries({ queryKey: ["projects", answer.task.project_id] });
      void queryClient.invalidateQueries({ queryKey: ["tasks"] });
      onMoved(answer);
      navigate(`/projects/${answer.task.project_id}/tasks/${answer.task.id}`, { replace: true });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen) move.mutate();
  };
  if (projects.isSuccess && !targets.length) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">There is no other project where you may create tasks.</p>;
  }
  const field = move.error instanceof ApiError ? move.error.fieldErrors().project_id : undefined;
  return (
    <form onSubmit={submit} aria-label="Move the task" className="flex flex-col gap-2 rounded-md border border-slate-200 p-3 dark:border-slate-800">
      <SelectField label="Move to project" value={chosen} onChange={(e) => setTarget(e.target.value)}>
        {targets.map((p) => (
          <option key={p.id} value={p.id}>
            {p.key} · {p.name}
          </option>
        ))}
      </SelectField>
      <p className="text-xs text-slate-600 dark:text-slate-400">Subtasks, comments and activity move with it; it gets a new key and the old one still leads here.</p>
      <div>
        <Button type="submit" disabled={move.isPending || !chosen}>
          Move task
        </Button>
      </div>
      {move.isError ? <FormError message={field ?? `Not moved: ${describe(move.error)}`} /> : null}
    </form>
  );
}

/** The answer of a move: new keys, and what each task lost. */
export function MoveReport({ answer, names, onDismiss }: { answer: MoveResult; names: Map<string, string>; onDismiss: () => void }) {
  return (
    <div role="status" className="flex flex-col gap-1 rounded-md bg-slate-100 px-3 py-2 text-sm dark:bg-slate-800">
      <p className="font-medium">
        Moved: {answer.moved.map((m) => `${m.from_key} is now ${m.to_key}`).join("; ")}.
      </p>
      <ul className="list-disc pl-5">
        {answer.moved.map((m) => {
          const lost = lossesInWords(m, names);
          return (
            <li key={m.task_id}>
              {m.to_key}: {lost.length ? lost.join("; ") : "nothing lost"} (status “{m.status}”)
            </li>
          );
        })}
      </ul>
      <div>
        <Button variant="ghost" onClick={onDismiss}>
          Dismiss
        </Button>
      </div>
    </div>
  );
}

function DuplicateForm({ task, onDone }: { task: Task; onDone: () => void }) {
  const [title, setTitle] = useState(`${task.title} (copy)`);
  const [withSubtasks, setWithSubtasks] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const duplicate = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.POST("/api/v1/tasks/{task_id}/duplicate", {
          params: { path: { task_id: task.id } },
          body: { title: title.trim() || null, include_subtasks: withSubtasks },
        }),
      ),
    onSuccess: (copy) => {
      void queryClient.invalidateQueries({ queryKey: ["projects", copy.project_id, "tasks"] });
      toast.show(`${task.key} duplicated as ${copy.key}${withSubtasks ? " with its subtasks" : ""}.`);
      onDone();
      navigate(`/projects/${copy.project_id}/tasks/${copy.id}`);
    },
  });
  const fieldErrors = duplicate.error instanceof ApiError ? duplicate.error.fieldErrors() : {};
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        duplicate.mutate();
      }}
      aria-label="Duplicate the task"
      className="flex flex-col gap-2 rounded-md border border-slate-200 p-3 dark:border-slate-800"
    >
      <label htmlFor="duplicate-title" className="text-sm font-medium">
        Title of the copy
      </label>
      <input
        id="duplicate-title"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        aria-invalid={fieldErrors.title ? true : undefined}
        className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-600 dark:bg-slate-900"
      />
      {fieldErrors.title ? <p className="text-sm text-red-700 dark:text-red-400">{fieldErrors.title}</p> : null}
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={withSubtasks} onChange={(e) => setWithSubtasks(e.target.checked)} />
        Copy its subtasks too
      </label>
      <div>
        <Button type="submit" disabled={duplicate.isPending}>
          Duplicate task
        </Button>
      </div>
      {duplicate.isError && !fieldErrors.title ? <FormError message={`Not duplicated: ${describe(duplicate.error)}`} /> : null}
    </form>
  );
}
