/**
 * A project's milestones with their progress (done / total, from the API), create (title, due
 * date), edit (title, due date, open or closed; `If-Match` with the version shown) and delete
 * (its tasks stay, without a milestone). Members and up change them; viewers read.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useParams } from "react-router";

import { tasksApi } from "../../api/client";
import { ApiError, describe, fieldMessages, unwrap } from "../../api/errors";
import type { Milestone } from "../../api/types";
import { Button, Empty, Field, FormError, SelectField, Skeleton } from "../../components/ui";
import { useToast } from "../../components/toasts";
import { useProject } from "../tasks/queries";

export const milestonesKey = (projectId: string) => ["projects", projectId, "milestones"] as const;

/** "3 of 4 done" and the percent, said in words (the bar is only a picture of it). */
export function progressText(m: Pick<Milestone, "tasks_done" | "tasks_total" | "progress">): string {
  if (m.tasks_total === 0) return "No tasks yet";
  return `${m.tasks_done} of ${m.tasks_total} done (${m.progress}%)`;
}

/** A `date` input's value as the API's date (`""` clears it). */
function dateOrNull(value: string): string | null {
  return value === "" ? null : value;
}

export function useMilestones(projectId: string) {
  return useQuery({
    queryKey: milestonesKey(projectId),
    queryFn: async (): Promise<Milestone[]> =>
      unwrap(await tasksApi.GET("/api/v1/projects/{project_id}/milestones", { params: { path: { project_id: projectId }, query: { limit: 200 } } })).items,
  });
}

export default function MilestonesPage() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  const milestones = useMilestones(projectId);
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: milestonesKey(projectId) });
  const canEdit = project.data?.role != null && project.data.role !== "viewer" && project.data.archived_at == null;

  if (milestones.isPending || project.isPending) return <Skeleton />;
  if (milestones.isError) return <FormError message={describe(milestones.error)} />;
  return (
    <div className="flex max-w-4xl flex-col gap-4">
      {canEdit ? <AddMilestone projectId={projectId} onDone={refresh} /> : null}
      {milestones.data.length === 0 ? (
        <Empty title="No milestones yet">
          {canEdit ? "Add one above (a name and a due date), then set it on tasks: its progress counts them." : "Members of the project can add milestones."}
        </Empty>
      ) : (
        <ul aria-label="Milestones" className="flex flex-col gap-3">
          {milestones.data.map((m) => (
            <li key={m.id} className="flex flex-col gap-2 rounded-md border border-slate-200 p-3 dark:border-slate-800">
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <span className="font-medium break-words">{m.title}</span>
                <span className="text-xs text-slate-600 dark:text-slate-300">
                  {m.state === "closed" ? "Closed · " : ""}
                  {m.due_date ? `Due ${new Date(`${m.due_date}T00:00:00`).toLocaleDateString()}` : "No due date"}
                </span>
              </div>
              <div
                role="progressbar"
                aria-label={`Progress of ${m.title}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={m.progress}
                aria-valuetext={progressText(m)}
                className="h-1.5 overflow-hidden rounded bg-slate-200 dark:bg-slate-800"
              >
                <div className="h-full bg-indigo-500" style={{ width: `${m.progress}%` }} />
              </div>
              <p className="text-xs text-slate-600 dark:text-slate-300">{progressText(m)}</p>
              {canEdit ? <MilestoneEditor key={`${m.id}:${m.version}`} milestone={m} onDone={refresh} /> : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function AddMilestone({ projectId, onDone }: { projectId: string; onDone: () => void }) {
  const [title, setTitle] = useState("");
  const [due, setDue] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const add = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.POST("/api/v1/projects/{project_id}/milestones", {
          params: { path: { project_id: projectId } },
          body: { title: title.trim(), due_date: dateOrNull(due) },
        }),
      ),
    onSuccess: () => {
      setTitle("");
      setDue("");
      setFields({});
    },
    onError: (e) => setFields(fieldMessages(e, "title")),
    onSettled: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFields({});
    add.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="New milestone" className="flex flex-wrap items-start gap-3 rounded-md border border-dashed border-slate-300 p-3 dark:border-slate-700">
      <Field label="Milestone name" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} error={fields.title} />
      <Field label="Due date" type="date" value={due} onChange={(e) => setDue(e.target.value)} error={fields.due_date} />
      <div className="sm:pt-6">
        <Button type="submit" disabled={add.isPending || !title.trim()}>
          Add milestone
        </Button>
      </div>
    </form>
  );
}

function MilestoneEditor({ milestone, onDone }: { milestone: Milestone; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState(milestone.title);
  const [due, setDue] = useState(milestone.due_date ?? "");
  const [state, setState] = useState<Milestone["state"]>(milestone.state);
  const [fields, setFields] = useState<Record<string, string>>({});
  const toast = useToast();
  const ifMatch = { "If-Match": `"${milestone.version}"` };
  const stale = (e: unknown) => e instanceof ApiError && e.status === 412;
  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.PATCH("/api/v1/milestones/{milestone_id}", {
          params: { path: { milestone_id: milestone.id }, header: ifMatch },
          body: { title: title.trim(), due_date: dateOrNull(due), state },
        }),
      ),
    onSuccess: () => setOpen(false),
    onError: (e) => {
      if (stale(e)) toast.show(`${milestone.title} was changed by someone else meanwhile; their version is shown.`, "error");
      else setFields(fieldMessages(e, "title"));
    },
    onSettled: onDone,
  });
  const remove = useMutation({
    mutationFn: async () =>
      unwrap(await tasksApi.DELETE("/api/v1/milestones/{milestone_id}", { params: { path: { milestone_id: milestone.id }, header: ifMatch } })),
    onSuccess: () => toast.show(`Milestone ${milestone.title} deleted; its tasks stay.`),
    onError: (e) => toast.show(`Could not delete ${milestone.title}: ${describe(e)}`, "error"),
    onSettled: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFields({});
    save.mutate();
  };
  if (!open) {
    return (
      <div className="flex gap-2">
        <Button variant="secondary" onClick={() => setOpen(true)} aria-label={`Edit milestone ${milestone.title}`}>
          Edit
        </Button>
        <Button
          variant="ghost"
          disabled={remove.isPending}
          aria-label={`Delete milestone ${milestone.title}`}
          onClick={() => {
            if (window.confirm(`Delete the milestone ${milestone.title}? Its tasks stay, without a milestone.`)) remove.mutate();
          }}
        >
          Delete
        </Button>
      </div>
    );
  }
  return (
    <form onSubmit={submit} aria-label={`Edit milestone ${milestone.title}`} className="flex flex-wrap items-start gap-3">
      <Field label="Name" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} error={fields.title} />
      <Field label="Due date" type="date" value={due} onChange={(e) => setDue(e.target.value)} error={fields.due_date} />
      <SelectField label="State" value={state} onChange={(e) => setState(e.target.value as Milestone["state"])}>
        <option value="open">Open</option>
        <option value="closed">Closed</option>
      </SelectField>
      <div className="flex gap-2 sm:pt-6">
        <Button type="submit" disabled={save.isPending || !title.trim()}>
          Save milestone
        </Button>
        <Button variant="ghost" onClick={() => setOpen(false)}>
          Cancel
        </Button>
      </div>
      {fields[""] ? <FormError message={fields[""]} /> : null}
    </form>
  );
}
