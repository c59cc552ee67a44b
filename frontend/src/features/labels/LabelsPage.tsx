/**
 * A project's labels: list, create (name, colour), rename or recolour, delete (the API takes
 * it off every task). Members and up change them; viewers read. A refusal (a taken name, a
 * bad colour) shows next to the field it names.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useParams } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, fieldMessages, unwrap } from "../../api/errors";
import type { Label } from "../../api/types";
import { Button, Empty, Field, FormError, Skeleton } from "../../components/ui";
import { useToast } from "../../components/toasts";
import { keys, useLabels, useProject } from "../tasks/queries";

const DEFAULT_COLOUR = "#6366f1";

export default function LabelsPage() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  const labels = useLabels(projectId);
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.labels(projectId) });
  const canEdit = project.data?.role != null && project.data.role !== "viewer" && project.data.archived_at == null;

  if (labels.isPending || project.isPending) return <Skeleton />;
  if (labels.isError) return <FormError message={describe(labels.error)} />;
  return (
    <div className="flex max-w-3xl flex-col gap-4">
      {canEdit ? <AddLabel projectId={projectId} onDone={refresh} /> : null}
      {labels.data.length === 0 ? (
        <Empty title="No labels yet">
          {canEdit ? "Add one above, or type #name in quick add: labels group tasks across statuses (#finance, #urgent-fix)." : "Members of the project can add labels."}
        </Empty>
      ) : (
        <ul aria-label="Labels" className="flex flex-col gap-2">
          {labels.data.map((l) => (
            <li key={l.id} className="rounded-md border border-slate-200 p-3 dark:border-slate-800">
              {canEdit ? (
                <LabelEditor key={`${l.id}:${l.name}:${l.colour}`} label={l} onDone={refresh} />
              ) : (
                <span className="flex items-center gap-2 text-sm">
                  <span aria-hidden="true" className="inline-block h-3 w-3 rounded-full" style={{ backgroundColor: l.colour }} />
                  {l.name}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function AddLabel({ projectId, onDone }: { projectId: string; onDone: () => void }) {
  const [name, setName] = useState("");
  const [colour, setColour] = useState(DEFAULT_COLOUR);
  const [fields, setFields] = useState<Record<string, string>>({});
  const add = useMutation({
    mutationFn: async () =>
      unwrap(await tasksApi.POST("/api/v1/projects/{project_id}/labels", { params: { path: { project_id: projectId } }, body: { name: name.trim(), colour } })),
    onSuccess: () => {
      setName("");
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
    <form onSubmit={submit} aria-label="New label" className="flex flex-wrap items-start gap-3 rounded-md border border-dashed border-slate-300 p-3 dark:border-slate-700">
      <Field label="Label name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={50} error={fields.name} />
      <Field label="Label colour" type="color" value={colour} onChange={(e) => setColour(e.target.value)} error={fields.colour} className="w-28" />
      <div className="sm:pt-6">
        <Button type="submit" disabled={add.isPending || !name.trim()}>
          Add label
        </Button>
      </div>
    </form>
  );
}

function LabelEditor({ label, onDone }: { label: Label; onDone: () => void }) {
  const [name, setName] = useState(label.name);
  const [colour, setColour] = useState(label.colour);
  const [fields, setFields] = useState<Record<string, string>>({});
  const toast = useToast();
  const save = useMutation({
    mutationFn: async () =>
      unwrap(await tasksApi.PATCH("/api/v1/labels/{label_id}", { params: { path: { label_id: label.id } }, body: { name: name.trim(), colour } })),
    onSuccess: () => setFields({}),
    onError: (e) => setFields(fieldMessages(e, "name")),
    onSettled: onDone,
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await tasksApi.DELETE("/api/v1/labels/{label_id}", { params: { path: { label_id: label.id } } })),
    onSuccess: () => toast.show(`Label ${label.name} deleted.`),
    onError: (e) => toast.show(`Could not delete ${label.name}: ${describe(e)}`, "error"),
    onSettled: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFields({});
    save.mutate();
  };
  const changed = name.trim() !== label.name || colour.toLowerCase() !== label.colour.toLowerCase();
  return (
    <form onSubmit={submit} aria-label={`Label ${label.name}`} className="flex flex-wrap items-start gap-3">
      <Field label={`Name of label ${label.name}`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={50} error={fields.name} />
      <Field label={`Colour of label ${label.name}`} type="color" value={colour} onChange={(e) => setColour(e.target.value)} error={fields.colour} className="w-28" />
      <div className="flex gap-2 sm:pt-6">
        <Button type="submit" variant="secondary" disabled={save.isPending || !changed || !name.trim()}>
          Save
        </Button>
        <Button
          variant="ghost"
          disabled={remove.isPending}
          aria-label={`Delete label ${label.name}`}
          onClick={() => {
            if (window.confirm(`Delete the label ${label.name}? It is taken off every task.`)) remove.mutate();
          }}
        >
          Delete
        </Button>
      </div>
    </form>
  );
}
