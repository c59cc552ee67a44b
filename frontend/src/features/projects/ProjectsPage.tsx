/** Projects: the caller's projects and a form to start one. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";

import { tasksApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { Project } from "../../api/types";
import { Button, Empty, Field, FormError, SelectField, Skeleton } from "../../components/ui";
import { keys, useProjects } from "../tasks/queries";
import { ArchivedLink, TrashedBanner, TrashLink } from "./lifecycle";

/** A key suggestion from a name: "Finance Ops" -> "FO", "Payments" -> "PAY". */
export function suggestKey(name: string): string {
  const words = name.toUpperCase().replace(/[^A-Z0-9 ]/g, " ").split(/\s+/).filter(Boolean);
  const key = words.length > 1 ? words.map((w) => w[0]).join("") : (words[0] ?? "").slice(0, 3);
  const clean = key.replace(/^[^A-Z]+/, "").slice(0, 10);
  return clean.length >= 2 ? clean : clean.padEnd(2, "X");
}

export default function ProjectsPage() {
  const projects = useProjects();
  const [creating, setCreating] = useState(false);
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">Projects</h1>
        <div className="flex flex-wrap items-center gap-3">
          <ArchivedLink />
          <TrashLink />
          <Button onClick={() => setCreating((v) => !v)} aria-expanded={creating}>
            New project
          </Button>
        </div>
      </div>
      <TrashedBanner />
      {creating ? <CreateProject templates={projects.data ?? []} onDone={() => setCreating(false)} /> : null}
      {projects.isPending ? <Skeleton /> : null}
      {projects.isError ? <FormError message={describe(projects.error)} /> : null}
      {projects.data?.length === 0 && !creating ? (
        <Empty title="No projects yet">Start one with “New project”: you become its owner and can invite your team.</Empty>
      ) : null}
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {projects.data?.map((p) => (
          <li key={p.id}>
            <Link to={`/projects/${p.id}/board`} className="block rounded-lg border border-slate-200 p-4 hover:border-indigo-400 dark:border-slate-800">
              <span className="text-xs font-semibold text-slate-500">{p.key}</span>
              <span className="block font-medium">{p.name}</span>
              <span className="mt-2 block h-1.5 overflow-hidden rounded bg-slate-200 dark:bg-slate-800" aria-hidden="true">
                <span className="block h-full bg-indigo-500" style={{ width: `${p.progress}%` }} />
              </span>
              <span className="mt-1 block text-xs text-slate-500">
                {p.tasks_done} of {p.tasks_total} done
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The new-project form. "Start from" copies another project's workflow, labels and milestones
 * (any project the caller can see; the API asks only viewer there), and optionally its tasks.
 */
function CreateProject({ onDone, templates }: { onDone: () => void; templates: Project[] }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [key, setKey] = useState("");
  const [keyTouched, setKeyTouched] = useState(false);
  const [template, setTemplate] = useState("");
  const [includeTasks, setIncludeTasks] = useState(false);
  const [fields, setFields] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.POST("/api/v1/projects", {
          body: {
            name: name.trim(),
            key: (keyTouched ? key : suggestKey(name)).trim(),
            ...(template ? { template_project_id: template, include_tasks: includeTasks } : {}),
          },
        }),
      ),
    onSuccess: (project) => {
      void queryClient.invalidateQueries({ queryKey: keys.projects() });
      onDone();
      navigate(`/projects/${project.id}/board`);
    },
    onError: (error) => setFields(error instanceof ApiError ? error.fieldErrors() : {}),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFields({});
    create.mutate();
  };
  const shownKey = keyTouched ? key : suggestKey(name);
  return (
    <form onSubmit={submit} className="flex flex-col gap-3 rounded-lg border border-slate-200 p-4 sm:flex-row sm:flex-wrap sm:items-start dark:border-slate-800" aria-label="New project">
      <Field label="Name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus error={fields.name} className="flex-1" />
      <Field
        label="Key"
        value={name || keyTouched ? shownKey : ""}
        onChange={(e) => {
          setKeyTouched(true);
          setKey(e.target.value.toUpperCase());
        }}
        required
        error={fields.key}
        hint="2-10 letters, used in task keys (OPS-12)."
      />
      {templates.length ? (
        <div className="flex flex-col gap-2">
          <SelectField label="Start from" value={template} onChange={(e) => setTemplate(e.target.value)}>
            <option value="">A blank project</option>
            {templates.map((p) => (
              <option key={p.id} value={p.id}>
                A copy of {p.name}
              </option>
            ))}
          </SelectField>
          {template ? (
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={includeTasks} onChange={(e) => setIncludeTasks(e.target.checked)} />
              Copy its tasks too
            </label>
          ) : null}
          {fields.template_project_id ? <p className="text-sm text-red-700 dark:text-red-400">{fields.template_project_id}</p> : null}
        </div>
      ) : null}
      <div className="flex gap-2 sm:pt-6">
        <Button type="submit" disabled={create.isPending || !name.trim()}>
          Create
        </Button>
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
      {create.isError && !Object.keys(fields).length ? <FormError message={describe(create.error)} /> : null}
    </form>
  );
}
