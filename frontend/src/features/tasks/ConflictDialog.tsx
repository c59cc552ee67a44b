/**
 * The conflict view: a task save answered 412 because someone saved the task first. Per field
 * the person changed it shows the value before, theirs and yours; "Reload" keeps theirs (already
 * in the cache), "Overwrite" sends the same change again with their version's ETag, so only the
 * fields you changed are replaced and their other changes stay.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";

import type { ProjectStatus } from "../../api/types";
import { displayName, statusesKey } from "../board/statuses";
import { clearConflict, conflictRows, FIELD_LABELS, theirOtherChanges, useConflict } from "./conflicts";
import { useUpdateTask } from "./queries";

function show(field: string, value: unknown, statuses: ProjectStatus[]): string {
  if (value === null || value === undefined || value === "") return "(none)";
  if ((field === "status_id" || field === "status") && typeof value === "string") {
    const found = statuses.find((s) => s.id === value || s.name === value);
    return displayName(found ? found.name : value);
  }
  if ((field === "due_at" || field === "start_at") && typeof value === "string") return new Date(value).toLocaleString();
  if (Array.isArray(value)) return value.length ? value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ") : "(none)";
  if (typeof value === "object") {
    const rrule = (value as { rrule?: unknown }).rrule;
    return typeof rrule === "string" ? rrule : JSON.stringify(value);
  }
  return String(value);
}

export function ConflictDialog() {
  const conflict = useConflict();
  const update = useUpdateTask();
  const queryClient = useQueryClient();
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (conflict && !el.open) {
      // jsdom has no showModal; a real browser traps focus and returns it on close.
      if (typeof el.showModal === "function") el.showModal();
      else el.setAttribute("open", "");
    } else if (!conflict && el.open) {
      if (typeof el.close === "function") el.close();
      else el.removeAttribute("open");
    }
  }, [conflict]);

  const statuses = conflict ? (queryClient.getQueryData<ProjectStatus[]>(statusesKey(conflict.theirs.project_id)) ?? []) : [];
  const rows = conflict ? conflictRows(conflict) : [];
  const others = conflict ? theirOtherChanges(conflict) : [];

  return (
    <dialog
      ref={dialog}
      aria-labelledby="conflict-heading"
      onClose={() => clearConflict()}
      className="m-auto w-[40rem] max-w-[calc(100vw-2rem)] rounded-lg p-6 backdrop:bg-black/40 dark:bg-slate-900 dark:text-slate-100"
    >
      {conflict ? (
        <div className="flex flex-col gap-4">
          <h2 id="conflict-heading" className="font-semibold">
            {conflict.theirs.key} was changed by someone else
          </h2>
          <p className="text-sm">They saved it while you were editing. Compare, then keep theirs or save yours over it.</p>
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Your change and theirs, per field</caption>
              <thead>
                <tr className="border-b border-slate-200 dark:border-slate-700">
                  <th scope="col" className="py-1 pr-2">
                    Field
                  </th>
                  <th scope="col" className="py-1 pr-2">
                    Before
                  </th>
                  <th scope="col" className="py-1 pr-2">
                    Theirs
                  </th>
                  <th scope="col" className="py-1">
                    Yours
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.field} data-field={r.field} className="border-b border-slate-100 align-top dark:border-slate-800">
                    <th scope="row" className="py-1 pr-2 font-medium">
                      {r.label}
                      {r.clash ? <span className="block text-xs font-normal text-amber-800 dark:text-amber-300">changed by both</span> : null}
                    </th>
                    <td className="py-1 pr-2 break-words text-slate-600 dark:text-slate-300">{show(r.field, r.before, statuses)}</td>
                    <td className="py-1 pr-2 break-words">{show(r.field, r.theirs, statuses)}</td>
                    <td className="py-1 break-words">{show(r.field, r.yours, statuses)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {others.length ? (
            <p className="text-sm text-slate-600 dark:text-slate-300">They also changed {others.map((f) => FIELD_LABELS[f]?.toLowerCase() ?? f).join(", ")}; that stays either way.</p>
          ) : null}
          <div className="flex flex-wrap justify-end gap-2">
            <button
              type="button"
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-100"
              onClick={() => {
                void queryClient.invalidateQueries({ queryKey: ["tasks", conflict.theirs.id] });
                clearConflict();
              }}
            >
              Reload (keep theirs)
            </button>
            <button
              type="button"
              className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
              onClick={() => {
                update.mutate({ task: conflict.theirs, changes: conflict.mine });
                clearConflict();
              }}
            >
              Overwrite with mine
            </button>
          </div>
        </div>
      ) : null}
    </dialog>
  );
}
