/**
 * A task's "Blocked by" list: what blocks it (open ones first in words, not colour only), add a
 * blocker found by title (the tasks search API) or by key, and remove one.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { Link } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { Dependencies, Task } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button, FormError } from "../../components/ui";

export const dependenciesKey = (taskId: string) => ["tasks", taskId, "dependencies"] as const;

const KEY = /^[A-Za-z][A-Za-z0-9]*-\d+$/;

/**
 * Candidates for a blocker: a key (`WL-12`) is matched among the project's recent tasks (the
 * search API indexes titles and descriptions, not keys); anything else goes to `q`.
 */
export function useBlockerSearch(projectId: string, text: string) {
  const term = text.trim();
  const byKey = KEY.test(term);
  return useQuery({
    queryKey: ["projects", projectId, "tasks", { blockerSearch: term }],
    enabled: term.length >= 2,
    queryFn: async (): Promise<Task[]> => {
      const query = byKey ? { limit: 200, sort: "-updated_at" as const } : { limit: 10, q: term, sort: "rank" as const };
      const items = unwrap(await tasksApi.GET("/api/v1/projects/{project_id}/tasks", { params: { path: { project_id: projectId }, query } })).items;
      return byKey ? items.filter((t) => t.key.toLowerCase() === term.toLowerCase()) : items;
    },
  });
}

export function BlockedBy({ task }: { task: Task }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const inputId = useId();
  const [text, setText] = useState("");
  const [debounced, setDebounced] = useState("");
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(text), 200);
    return () => clearTimeout(timer);
  }, [text]);
  const deps = useQuery({
    queryKey: dependenciesKey(task.id),
    queryFn: async (): Promise<Dependencies> => unwrap(await tasksApi.GET("/api/v1/tasks/{task_id}/dependencies", { params: { path: { task_id: task.id } } })),
  });
  const found = useBlockerSearch(task.project_id, debounced);
  const linked = new Set((deps.data?.blocked_by ?? []).map((b) => b.task_id));
  const candidates = (found.data ?? []).filter((t) => t.id !== task.id && !linked.has(t.id));
  const settled = () => {
    void queryClient.invalidateQueries({ queryKey: ["tasks", task.id] });
    void queryClient.invalidateQueries({ queryKey: ["projects", task.project_id, "tasks"] });
  };
  const add = useMutation({
    mutationFn: async (blockerId: string) =>
      unwrap(await tasksApi.POST("/api/v1/tasks/{task_id}/blocked-by", { params: { path: { task_id: task.id } }, body: { task_id: blockerId } })),
    onSuccess: () => {
      setText("");
      setError(undefined);
    },
    // A cycle or a duplicate is said next to the field, where the choice was made.
    onError: (e) => setError(describe(e)),
    onSettled: settled,
  });
  const remove = useMutation({
    mutationFn: async (blockerId: string) =>
      unwrap(await tasksApi.DELETE("/api/v1/tasks/{task_id}/blocked-by/{blocker_id}", { params: { path: { task_id: task.id, blocker_id: blockerId } } })),
    onError: (e) => toast.show(`Blocker not removed: ${describe(e)}`, "error"),
    onSettled: settled,
  });

  return (
    <section aria-labelledby={`${inputId}-heading`} className="flex flex-col gap-2 text-sm">
      <h2 id={`${inputId}-heading`} className="font-medium">
        Blocked by
      </h2>
      {deps.isError ? <FormError message={describe(deps.error)} /> : null}
      <ul aria-label="Blocked by" className="flex flex-col gap-1">
        {deps.data?.blocked_by.length === 0 ? <li className="text-slate-500">Nothing</li> : null}
        {deps.data?.blocked_by.map((b) => (
          <li key={b.task_id} className="flex items-center justify-between gap-2">
            <Link to={`/projects/${b.project_id}/tasks/${b.task_id}`} className={b.open ? "hover:underline" : "text-slate-500 line-through hover:underline"}>
              {b.key} {b.title}
              <span className="sr-only">{b.open ? " (open)" : " (closed)"}</span>
            </Link>
            <Button variant="ghost" aria-label={`Remove blocker ${b.key}`} onClick={() => remove.mutate(b.task_id)}>
              ×
            </Button>
          </li>
        ))}
      </ul>
      <label htmlFor={inputId} className="text-xs text-slate-600 dark:text-slate-300">
        Add a blocker (key or title)
      </label>
      <input
        id={inputId}
        type="search"
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${inputId}-error` : undefined}
        className="rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-600 dark:bg-slate-900"
      />
      {error ? (
        <p id={`${inputId}-error`} className="text-red-700 dark:text-red-400">
          {error}
        </p>
      ) : null}
      {debounced.trim().length >= 2 && candidates.length ? (
        <ul aria-label="Matching tasks" className="flex flex-col rounded-md border border-slate-200 dark:border-slate-700">
          {candidates.map((t) => (
            <li key={t.id}>
              <button type="button" className="w-full px-2 py-1 text-left hover:bg-slate-100 dark:hover:bg-slate-800" onClick={() => add.mutate(t.id)}>
                {t.key} {t.title}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
