/**
 * Saved views of the list: open one (its filters go into the URL), save the current filters
 * under a name, delete one. Views are the person's own (`/views`), for this project.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";

import { tasksApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { SavedView } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button } from "../../components/ui";
import type { ListFilters } from "./filters";
import { filtersToView, viewToFilters } from "./views";

const KEY = ["views"] as const;
const input = "rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-600 dark:bg-slate-900";

export function SavedViews({ projectId, filters, onOpen }: { projectId: string; filters: ListFilters; onOpen: (filters: ListFilters) => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const [chosen, setChosen] = useState("");
  const views = useQuery({
    queryKey: KEY,
    queryFn: async (): Promise<SavedView[]> => unwrap(await tasksApi.GET("/api/v1/views", { params: { query: { limit: 200 } } })).items,
  });
  const mine = (views.data ?? []).filter((v) => v.project_id === projectId);

  const save = useMutation({
    mutationFn: async (viewName: string) => unwrap(await tasksApi.POST("/api/v1/views", { body: { name: viewName, project_id: projectId, filters: filtersToView(filters) } })),
    onSuccess: (view) => {
      setName("");
      setChosen(view.id);
      queryClient.setQueryData<SavedView[]>(KEY, (old) => [...(old ?? []), view]);
      toast.show(`View "${view.name}" saved`);
    },
    onError: (e) => {
      const fields = e instanceof ApiError ? e.fieldErrors() : {};
      setError(fields.name ?? describe(e));
    },
  });
  const remove = useMutation({
    mutationFn: async (view: SavedView) => unwrap(await tasksApi.DELETE("/api/v1/views/{view_id}", { params: { path: { view_id: view.id } } })),
    onSuccess: (_data, view) => {
      setChosen("");
      queryClient.setQueryData<SavedView[]>(KEY, (old) => (old ?? []).filter((v) => v.id !== view.id));
      toast.show(`View "${view.name}" deleted`);
    },
    onError: (e) => toast.show(`View not deleted: ${describe(e)}`, "error"),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError("");
    if (name.trim()) save.mutate(name.trim());
  };
  const current = mine.find((v) => v.id === chosen);

  return (
    <div className="flex flex-wrap items-end gap-3">
      <div className="flex flex-col gap-1">
        <label htmlFor={`${id}-open`} className="text-sm font-medium">
          Saved view
        </label>
        <div className="flex gap-1">
          <select
            id={`${id}-open`}
            className={input}
            value={chosen}
            onChange={(e) => {
              setChosen(e.target.value);
              const view = mine.find((v) => v.id === e.target.value);
              if (view) onOpen(viewToFilters(view.filters));
            }}
          >
            <option value="">{mine.length ? "Choose a view…" : "No saved views"}</option>
            {mine.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
          {current ? (
            <Button variant="ghost" aria-label={`Delete view ${current.name}`} onClick={() => remove.mutate(current)}>
              Delete
            </Button>
          ) : null}
        </div>
      </div>
      <form onSubmit={submit} className="flex flex-col gap-1">
        <label htmlFor={`${id}-name`} className="text-sm font-medium">
          Save these filters as
        </label>
        <div className="flex gap-1">
          <input
            id={`${id}-name`}
            className={input}
            value={name}
            maxLength={100}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
          />
          <Button type="submit" variant="secondary" disabled={save.isPending || !name.trim()}>
            Save view
          </Button>
        </div>
        {error ? (
          <p id={`${id}-error`} className="text-sm text-red-700 dark:text-red-400">
            {error}
          </p>
        ) : null}
      </form>
    </div>
  );
}
