/**
 * Quick add: one line, parsed as you type (lib/quickadd.ts), previewed, created on Enter.
 * Labels are matched by name (a new name makes the label); assignees by name or email.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useMemo, useState, type FormEvent } from "react";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { Member, Project, TaskCreate } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button } from "../../components/ui";
import { dueToIso, parseQuickAdd } from "../../lib/quickadd";
import { useLabels, useMembers } from "./queries";

export function matchMember(members: Member[], handle: string): Member | undefined {
  const h = handle.toLowerCase();
  return (
    members.find((m) => m.email?.toLowerCase() === h) ??
    members.find((m) => m.email?.toLowerCase().split("@")[0] === h) ??
    members.find((m) => m.display_name?.toLowerCase().replace(/\s+/g, "") === h) ??
    members.find((m) => m.display_name?.toLowerCase().split(/\s+/)[0] === h)
  );
}

export function QuickAdd({ project }: { project: Project }) {
  const [text, setText] = useState("");
  const id = useId();
  const queryClient = useQueryClient();
  const toast = useToast();
  const members = useMembers(project.id);
  const labels = useLabels(project.id);
  const parsed = useMemo(() => parseQuickAdd(text), [text]);
  const unknownPeople = parsed.assignees.filter((a) => !matchMember(members.data ?? [], a));

  const create = useMutation({
    mutationFn: async () => {
      const labelIds: string[] = [];
      for (const name of parsed.labels) {
        const existing = labels.data?.find((l) => l.name.toLowerCase() === name.toLowerCase());
        labelIds.push(
          existing?.id ??
            unwrap(await tasksApi.POST("/api/v1/projects/{project_id}/labels", { params: { path: { project_id: project.id } }, body: { name } })).id,
        );
      }
      const body: TaskCreate = {
        title: parsed.title,
        priority: parsed.priority ?? "none",
        due_at: dueToIso(parsed),
        label_ids: labelIds,
        assignee_ids: parsed.assignees.map((a) => matchMember(members.data ?? [], a)?.user_id).filter((v): v is string => !!v),
        recurrence: parsed.recurrence ? { rrule: parsed.recurrence.rrule, mode: "fixed" } : null,
      };
      return unwrap(await tasksApi.POST("/api/v1/projects/{project_id}/tasks", { params: { path: { project_id: project.id } }, body }));
    },
    onSuccess: (task) => {
      setText("");
      toast.show(`Created ${task.key}`);
      void queryClient.invalidateQueries({ queryKey: ["projects", project.id] });
    },
    onError: (error) => toast.show(`Could not create the task: ${describe(error)}`, "error"),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (parsed.title) create.mutate();
  };

  const chips: string[] = [];
  if (parsed.due) chips.push(`Due ${parsed.due.toLocaleString(undefined, parsed.hasTime ? { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" } : { weekday: "short", month: "short", day: "numeric" })}`);
  if (parsed.priority) chips.push(`Priority ${parsed.priority}`);
  for (const l of parsed.labels) chips.push(`#${l}`);
  for (const a of parsed.assignees) chips.push(`@${a}${unknownPeople.includes(a) ? " (not a member)" : ""}`);
  if (parsed.recurrence) chips.push(`Repeats ${parsed.recurrence.words}`);

  return (
    <form onSubmit={submit} className="flex flex-col gap-2">
      <label htmlFor={id} className="sr-only">
        Quick add a task
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          data-shortcut="quick-add"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="Add a task: Pay vendor invoice fri 5pm !high #finance every last friday @bob"
          className="flex-1 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-600 dark:bg-slate-900"
          aria-describedby={`${id}-preview`}
        />
        <Button type="submit" disabled={!parsed.title || create.isPending}>
          Add
        </Button>
      </div>
      <div id={`${id}-preview`} aria-live="polite" className="flex min-h-6 flex-wrap gap-1 text-xs">
        {text.trim() && chips.length ? (
          <>
            <span className="py-0.5 text-slate-500">“{parsed.title}”</span>
            {chips.map((c) => (
              <span key={c} className="rounded bg-indigo-50 px-2 py-0.5 text-indigo-900 dark:bg-indigo-950 dark:text-indigo-100">
                {c}
              </span>
            ))}
          </>
        ) : null}
      </div>
    </form>
  );
}
