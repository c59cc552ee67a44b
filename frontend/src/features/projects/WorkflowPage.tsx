/**
 * A project's workflow (admins and owners): add, rename, recolour, set a WIP limit, reorder
 * (up/down buttons: keyboard and screen readers work without extra wiring), and remove a
 * status after choosing where its tasks go. A refusal (problem+json) shows next to its field.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useParams } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, fieldMessages, unwrap } from "../../api/errors";
import type { ProjectStatus, StatusCategory } from "../../api/types";
import { Button, Field, FormError, SelectField, Skeleton } from "../../components/ui";
import { CATEGORIES, displayName, statusesKey, useProjectStatuses } from "../board/statuses";
import { useProject } from "../tasks/queries";

// Lives with the errors now (other screens use it without loading this one); kept importable here.
export { fieldMessages } from "../../api/errors";

/** `""` is no limit (`null`); anything else is sent as typed and judged by the API. */
function limitOf(text: string): number | null {
  return text.trim() === "" ? null : Number(text);
}

export default function WorkflowPage() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  const { statuses, isLoading, error } = useProjectStatuses(projectId);
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["projects", projectId] });
  const manage = project.data?.role === "owner" || project.data?.role === "admin";

  const reorder = useMutation({
    mutationFn: async (ids: string[]) =>
      unwrap(await tasksApi.PUT("/api/v1/projects/{project_id}/statuses/order", { params: { path: { project_id: projectId } }, body: { status_ids: ids } })),
    onSuccess: (answer) => queryClient.setQueryData(statusesKey(projectId), answer.items),
    onSettled: refresh,
  });
  const move = (index: number, by: -1 | 1) => {
    const ids = statuses.map((s) => s.id);
    const [id] = ids.splice(index, 1);
    ids.splice(index + by, 0, id!);
    reorder.mutate(ids);
  };

  if (isLoading || project.isPending) return <Skeleton />;
  if (error) return <FormError message={describe(error)} />;
  if (!manage) return <p className="text-sm text-slate-600">Only the project's owners and admins change its workflow.</p>;

  return (
    <div className="flex max-w-4xl flex-col gap-6">
      {reorder.isError ? <FormError message={`Order not saved: ${describe(reorder.error)}`} /> : null}
      <ol aria-label="Statuses" className="flex flex-col gap-3">
        {statuses.map((s, i) => (
          <li key={s.id} className="flex flex-wrap items-start gap-2 rounded-md border border-slate-200 p-3 dark:border-slate-800">
            <div className="flex flex-col gap-1 pt-6">
              <Button variant="ghost" aria-label={`Move ${displayName(s.name)} up`} disabled={i === 0 || reorder.isPending} onClick={() => move(i, -1)}>
                ↑
              </Button>
              <Button variant="ghost" aria-label={`Move ${displayName(s.name)} down`} disabled={i === statuses.length - 1 || reorder.isPending} onClick={() => move(i, 1)}>
                ↓
              </Button>
            </div>
            <StatusEditor key={`${s.id}:${s.version}`} status={s} others={statuses.filter((o) => o.id !== s.id)} projectId={projectId} onDone={refresh} />
          </li>
        ))}
      </ol>
      <AddStatus projectId={projectId} onDone={refresh} />
    </div>
  );
}

function StatusEditor({ status, others, projectId, onDone }: { status: ProjectStatus; others: ProjectStatus[]; projectId: string; onDone: () => void }) {
  const [name, setName] = useState(status.name);
  const [colour, setColour] = useState(status.colour);
  const [limit, setLimit] = useState(status.wip_limit == null ? "" : String(status.wip_limit));
  const [moveTo, setMoveTo] = useState(others[0]?.id ?? "");
  const [fields, setFields] = useState<Record<string, string>>({});
  const label = displayName(status.name);

  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.PATCH("/api/v1/projects/{project_id}/statuses/{status_id}", {
          params: { path: { project_id: projectId, status_id: status.id }, header: { "If-Match": `"${status.version}"` } },
          body: { name: name.trim(), colour, wip_limit: limitOf(limit) },
        }),
      ),
    onSuccess: () => setFields({}),
    onError: (e) => setFields(fieldMessages(e, "name")),
    onSettled: onDone,
  });
  const remove = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.DELETE("/api/v1/projects/{project_id}/statuses/{status_id}", {
          params: { path: { project_id: projectId, status_id: status.id }, query: { move_to: moveTo }, header: { "If-Match": `"${status.version}"` } },
        }),
      ),
    onError: (e) => setFields(fieldMessages(e, "move_to")),
    onSettled: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFields({});
    save.mutate();
  };

  return (
    <div className="flex flex-1 flex-col gap-2">
      <form onSubmit={submit} aria-label={`Status ${label}`} className="flex flex-wrap items-start gap-3">
        <Field label={`Name of ${label}`} value={name} onChange={(e) => setName(e.target.value)} required error={fields.name} />
        <Field label={`Colour of ${label}`} type="color" value={colour} onChange={(e) => setColour(e.target.value)} error={fields.colour} className="w-24" />
        <Field label={`WIP limit of ${label}`} type="number" min={1} value={limit} onChange={(e) => setLimit(e.target.value)} error={fields.wip_limit} hint="Empty: no limit" className="w-36" />
        <div className="flex flex-col gap-1 pt-6 text-xs text-slate-500">
          <span>{displayName(status.category)}</span>
          <span>{status.task_count} tasks</span>
        </div>
        <div className="pt-6">
          <Button type="submit" variant="secondary" disabled={save.isPending}>
            Save {label}
          </Button>
        </div>
      </form>
      {others.length ? (
        <div className="flex flex-wrap items-end gap-2">
          <SelectField label={`Move the tasks of ${label} to`} value={moveTo} onChange={(e) => setMoveTo(e.target.value)}>
            {others.map((o) => (
              <option key={o.id} value={o.id}>
                {displayName(o.name)}
              </option>
            ))}
          </SelectField>
          <Button variant="ghost" disabled={remove.isPending || !moveTo} onClick={() => remove.mutate()}>
            Remove {label}
          </Button>
        </div>
      ) : null}
      {fields.move_to || fields[""] ? <FormError message={fields.move_to ?? fields[""] ?? ""} /> : null}
    </div>
  );
}

function AddStatus({ projectId, onDone }: { projectId: string; onDone: () => void }) {
  const [name, setName] = useState("");
  const [category, setCategory] = useState<StatusCategory>("in_progress");
  const [colour, setColour] = useState("#6b7280");
  const [limit, setLimit] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const add = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.POST("/api/v1/projects/{project_id}/statuses", {
          params: { path: { project_id: projectId } },
          body: { name: name.trim(), category, colour, wip_limit: limitOf(limit) },
        }),
      ),
    onSuccess: () => {
      setName("");
      setLimit("");
      setFields({});
    },
    onError: (e) => setFields(fieldMessages(e, "name")),
    onSettled: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFields({});
    add.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Add a status" className="flex flex-wrap items-start gap-3 rounded-md border border-dashed border-slate-300 p-3 dark:border-slate-700">
      <Field label="New status name" value={name} onChange={(e) => setName(e.target.value)} required error={fields.name} />
      <SelectField label="Category" value={category} onChange={(e) => setCategory(e.target.value as StatusCategory)}>
        {CATEGORIES.map((c) => (
          <option key={c} value={c}>
            {displayName(c)}
          </option>
        ))}
      </SelectField>
      <Field label="Colour" type="color" value={colour} onChange={(e) => setColour(e.target.value)} error={fields.colour} className="w-24" />
      <Field label="WIP limit" type="number" min={1} value={limit} onChange={(e) => setLimit(e.target.value)} error={fields.wip_limit} hint="Empty: no limit" className="w-36" />
      <div className="pt-6">
        <Button type="submit" disabled={add.isPending || !name.trim()}>
          Add status
        </Button>
      </div>
    </form>
  );
}
