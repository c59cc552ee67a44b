/** A task: its fields (saved optimistically), description, comments and activity. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";

import { tasksApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { Activity, Comment, Task, TaskPriority } from "../../api/types";
import { describeChange } from "./activity";
import { Markdown } from "../../components/Markdown";
import { useToast } from "../../components/toasts";
import { Button, FormError, SelectField, Skeleton } from "../../components/ui";
import { toIsoWithOffset } from "../../lib/quickadd";
import { displayName, useProjectStatuses } from "../board/statuses";
import { BlockedBy } from "./BlockedBy";
import { BlockedBadge, PRIORITIES } from "./bits";
import { RecurrenceBuilder } from "./RecurrenceBuilder";
import { MoveDuplicate } from "./MoveDuplicate";
import { Reminders } from "./Reminders";
import { Subtasks } from "./Subtasks";
import { keys, useMembers, useTask, useUpdateTask } from "./queries";

/** `datetime-local` value for an ISO instant, in the browser's time zone. */
function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  return toIsoWithOffset(new Date(iso)).slice(0, 16);
}

export default function TaskDetail() {
  const { taskId = "" } = useParams();
  const task = useTask(taskId);
  if (task.isPending) return <Skeleton lines={5} />;
  if (task.isError) {
    const gone = task.error instanceof ApiError && task.error.status === 404;
    return <FormError message={gone ? "This task does not exist, or you are not a member of its project." : describe(task.error)} />;
  }
  return <TaskView key={task.data.id} task={task.data} />;
}

function TaskView({ task }: { task: Task }) {
  const update = useUpdateTask();
  const { statuses } = useProjectStatuses(task.project_id);
  const members = useMembers(task.project_id);
  const names = new Map((members.data ?? []).map((m) => [m.user_id, m.display_name ?? m.email ?? "someone"]));
  const [title, setTitle] = useState(task.title);
  // Someone else renamed it (live update): show theirs.
  useEffect(() => setTitle(task.title), [task.title]);
  const [editingDescription, setEditingDescription] = useState(false);
  const save = (changes: Parameters<typeof update.mutate>[0]["changes"]) => update.mutate({ task, changes });

  return (
    <article className="grid grid-cols-1 gap-8 lg:grid-cols-[minmax(0,1fr)_18rem]">
      <div className="flex min-w-0 flex-col gap-6">
        <nav aria-label="Breadcrumb" className="text-sm text-slate-500">
          <Link to={`/projects/${task.project_id}/board`} className="hover:underline">
            Board
          </Link>{" "}
          {task.parent_id ? (
            <>
              {" / "}
              <Link to={`/projects/${task.project_id}/tasks/${task.parent_id}`} className="hover:underline">
                parent task
              </Link>
            </>
          ) : null}{" "}
          / {task.key}
        </nav>
        <label className="sr-only" htmlFor="task-title">
          Title
        </label>
        {/* A textarea sized to its text, so a long title wraps instead of being cut at 360 px;
            Enter saves (a title has no line breaks). */}
        <textarea
          id="task-title"
          rows={1}
          className="field-sizing-content resize-none rounded-md border border-transparent bg-transparent px-1 text-2xl font-semibold break-words hover:border-slate-300 focus:border-slate-400"
          value={title}
          onChange={(e) => setTitle(e.target.value.replace(/\n/g, " "))}
          onBlur={() => title.trim() && title !== task.title && save({ title: title.trim() })}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              (e.target as HTMLTextAreaElement).blur();
            }
          }}
        />
        <section aria-labelledby="description-heading" className="flex flex-col gap-2">
          <div className="flex items-center justify-between">
            <h2 id="description-heading" className="text-sm font-semibold">
              Description
            </h2>
            <Button variant="ghost" onClick={() => setEditingDescription((v) => !v)}>
              {editingDescription ? "Close" : "Edit"}
            </Button>
          </div>
          {editingDescription ? (
            <DescriptionEditor
              initial={task.description}
              onSave={(description) => {
                save({ description });
                setEditingDescription(false);
              }}
            />
          ) : task.description ? (
            <Markdown source={task.description} />
          ) : (
            <p className="text-sm text-slate-500">No description yet.</p>
          )}
        </section>
        <Subtasks task={task} />
        <Comments taskId={task.id} names={names} />
        <ActivityList taskId={task.id} names={names} />
      </div>
      <aside className="flex min-w-0 flex-col gap-4" aria-label="Fields">
        <SelectField label="Status" value={task.status_id} onChange={(e) => save({ status_id: e.target.value })}>
          {statuses.map((s) => (
            <option key={s.id} value={s.id}>
              {displayName(s.name)}
            </option>
          ))}
        </SelectField>
        {task.blocked ? (
          <p>
            <BlockedBadge />
          </p>
        ) : null}
        <BlockedBy task={task} />
        <SelectField label="Priority" value={task.priority} onChange={(e) => save({ priority: e.target.value as TaskPriority })}>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </SelectField>
        <div className="flex flex-col gap-1">
          <label htmlFor="task-due" className="text-sm font-medium">
            Due
          </label>
          <input
            id="task-due"
            type="datetime-local"
            className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-600 dark:bg-slate-900"
            defaultValue={toLocalInput(task.due_at)}
            key={task.due_at ?? "none"}
            onBlur={(e) => {
              const value = e.target.value ? toIsoWithOffset(new Date(e.target.value)) : null;
              if (value !== task.due_at && toLocalInput(value) !== toLocalInput(task.due_at)) save({ due_at: value });
            }}
          />
        </div>
        <div className="text-sm">
          <p className="font-medium">Assignees</p>
          <p className="text-slate-600 dark:text-slate-300">{task.assignee_ids.map((id) => names.get(id) ?? "…").join(", ") || "Nobody"}</p>
        </div>
        <RecurrenceBuilder key={`${task.recurrence?.rrule ?? ""}-${task.due_at ?? ""}`} task={task} onSave={save} />
        <Reminders task={task} onSave={save} />
        <MoveDuplicate task={task} names={names} />
        <p className="text-xs text-slate-500">
          Version {task.version} · updated {new Date(task.updated_at).toLocaleString()}
        </p>
      </aside>
    </article>
  );
}

function DescriptionEditor({ initial, onSave }: { initial: string; onSave: (value: string) => void }) {
  const [value, setValue] = useState(initial);
  return (
    <div className="flex flex-col gap-2">
      <label htmlFor="task-description" className="sr-only">
        Description (markdown)
      </label>
      <textarea
        id="task-description"
        rows={6}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        className="rounded-md border border-slate-300 bg-white p-2 text-sm dark:border-slate-600 dark:bg-slate-900"
      />
      <div>
        <Button onClick={() => onSave(value)}>Save description</Button>
      </div>
    </div>
  );
}

function Comments({ taskId, names }: { taskId: string; names: Map<string, string> }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [body, setBody] = useState("");
  const comments = useQuery({
    queryKey: keys.comments(taskId),
    queryFn: async (): Promise<Comment[]> =>
      unwrap(await tasksApi.GET("/api/v1/tasks/{task_id}/comments", { params: { path: { task_id: taskId }, query: { limit: 200 } } })).items,
  });
  const add = useMutation({
    mutationFn: async (text: string) => unwrap(await tasksApi.POST("/api/v1/tasks/{task_id}/comments", { params: { path: { task_id: taskId } }, body: { body: text } })),
    onSuccess: () => {
      setBody("");
      void queryClient.invalidateQueries({ queryKey: ["tasks", taskId] });
    },
    // The text stays in the box: a failure never loses what was typed.
    onError: (error) => toast.show(`Comment not posted: ${describe(error)}`, "error"),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (body.trim()) add.mutate(body);
  };
  return (
    <section aria-labelledby="comments-heading" className="flex flex-col gap-3">
      <h2 id="comments-heading" className="text-sm font-semibold">
        Comments
      </h2>
      {comments.isPending ? <Skeleton lines={2} /> : null}
      <ul className="flex flex-col gap-3">
        {comments.data?.map((c) => (
          <li key={c.id} className="rounded-md border border-slate-200 p-3 dark:border-slate-800">
            <p className="mb-1 text-xs text-slate-500">
              <strong>{names.get(c.author_id) ?? "Someone"}</strong> · {new Date(c.created_at).toLocaleString()}
              {c.edited_at ? " · edited" : ""}
            </p>
            <Markdown source={c.body} />
          </li>
        ))}
      </ul>
      <form onSubmit={submit} className="flex flex-col gap-2">
        <label htmlFor="new-comment" className="text-sm font-medium">
          Add a comment (markdown; @email mentions a member)
        </label>
        <textarea
          id="new-comment"
          rows={3}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          className="rounded-md border border-slate-300 bg-white p-2 text-sm dark:border-slate-600 dark:bg-slate-900"
        />
        <div>
          <Button type="submit" disabled={add.isPending || !body.trim()}>
            Comment
          </Button>
        </div>
      </form>
    </section>
  );
}

function ActivityList({ taskId, names }: { taskId: string; names: Map<string, string> }) {
  const activity = useQuery({
    queryKey: keys.activity(taskId),
    queryFn: async (): Promise<Activity[]> =>
      unwrap(await tasksApi.GET("/api/v1/tasks/{task_id}/activity", { params: { path: { task_id: taskId }, query: { limit: 100 } } })).items,
  });
  return (
    <section aria-labelledby="activity-heading" className="flex flex-col gap-2">
      <h2 id="activity-heading" className="text-sm font-semibold">
        Activity
      </h2>
      <ol className="flex flex-col gap-1 text-sm text-slate-600 dark:text-slate-300">
        {activity.data?.map((a) => (
          <li key={a.id}>
            <time dateTime={a.created_at} className="mr-2 text-xs text-slate-500">
              {new Date(a.created_at).toLocaleString()}
            </time>
            {describeChange(a, names)}
          </li>
        ))}
      </ol>
    </section>
  );
}
