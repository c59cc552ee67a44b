/**
 * The list view: filters, search-as-you-type, sorting and saved views, all kept in the URL.
 * Rows are virtualised against the window's scroll (1,000 tasks draw ~30 rows at a time) and
 * `j` / `k` move through them.
 */
import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";

import { describe } from "../../api/errors";
import type { ProjectStatus, Task, TaskPriority } from "../../api/types";
import { useRowNavigation } from "../../app/rows";
import { Empty, FormError, SelectField, Skeleton } from "../../components/ui";
import { CATEGORIES, displayName, statusName, useProjectStatuses } from "../board/statuses";
import { LabelChips } from "../labels/LabelChips";
import { BlockedBadge, DueDate, PRIORITIES, PriorityBadge } from "./bits";
import { readFilters, SORTS, toApiQuery, writeFilters, type ListFilters, type Sort } from "./filters";
import { useProjectTasks } from "./queries";
import { SavedViews } from "./SavedViews";

const SORT_NAMES: Record<Sort, string> = {
  position: "Board order",
  "-updated_at": "Recently updated",
  due_at: "Due soonest",
  "-due_at": "Due latest",
  "-priority": "Highest priority",
  "-created_at": "Newest",
  rank: "Best match",
};

function toggle<T>(list: T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}

export default function ListPage() {
  const { projectId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  const { statuses } = useProjectStatuses(projectId);
  const tasks = useProjectTasks(projectId, toApiQuery(filters), 5);
  const searchId = useId();
  const [search, setSearch] = useState(filters.q);

  const set = (changes: Partial<ListFilters>) => setParams(writeFilters({ ...filters, ...changes }), { replace: true });

  // Search as you type, without a request per key stroke.
  useEffect(() => {
    if (search === filters.q) return;
    const timer = setTimeout(() => set({ q: search, ...(search.trim() ? { sort: "rank" as Sort } : {}) }), 250);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search]);

  const open = (next: ListFilters) => {
    setSearch(next.q);
    setParams(writeFilters(next), { replace: true });
  };

  return (
    <div className="flex flex-col gap-4">
      <SavedViews projectId={projectId} filters={filters} onOpen={open} />
      <div className="flex flex-wrap items-end gap-4">
        <div className="flex flex-col gap-1">
          <label htmlFor={searchId} className="text-sm font-medium">
            Search
          </label>
          <input
            id={searchId}
            data-shortcut="search"
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            className="w-64 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm dark:border-slate-600 dark:bg-slate-900"
          />
        </div>
        <fieldset className="flex flex-wrap gap-2">
          <legend className="mb-1 text-sm font-medium">Status</legend>
          {statuses.map((s) => (
            <label key={s.id} className="flex items-center gap-1 text-sm">
              <input type="checkbox" checked={filters.status.includes(s.id)} onChange={() => set({ status: toggle(filters.status, s.id) })} />
              {displayName(s.name)}
            </label>
          ))}
        </fieldset>
        <fieldset className="flex flex-wrap gap-2">
          <legend className="mb-1 text-sm font-medium">Category</legend>
          {CATEGORIES.map((c) => (
            <label key={c} className="flex items-center gap-1 text-sm">
              <input type="checkbox" checked={filters.status.includes(c)} onChange={() => set({ status: toggle<string>(filters.status, c) })} />
              {displayName(c)}
            </label>
          ))}
        </fieldset>
        <fieldset className="flex flex-wrap gap-2">
          <legend className="mb-1 text-sm font-medium">Priority</legend>
          {PRIORITIES.map((p) => (
            <label key={p} className="flex items-center gap-1 text-sm">
              <input type="checkbox" checked={filters.priority.includes(p)} onChange={() => set({ priority: toggle<TaskPriority>(filters.priority, p) })} />
              {p}
            </label>
          ))}
        </fieldset>
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={filters.assignee === "me"} onChange={(e) => set({ assignee: e.target.checked ? "me" : "" })} />
          Assigned to me
        </label>
        <SelectField label="Sort" value={filters.sort} onChange={(e) => set({ sort: e.target.value as Sort })}>
          {SORTS.filter((s) => s !== "rank" || filters.q).map((s) => (
            <option key={s} value={s}>
              {SORT_NAMES[s]}
            </option>
          ))}
        </SelectField>
      </div>
      {tasks.isPending ? <Skeleton /> : null}
      {tasks.isError ? <FormError message={describe(tasks.error)} /> : null}
      {tasks.data?.length === 0 ? <Empty title="No tasks match">Change the filters, or add a task above.</Empty> : null}
      {tasks.data?.length ? <TaskTable tasks={tasks.data} projectId={projectId} statuses={statuses} /> : null}
    </div>
  );
}

const ROW_HEIGHT = 41;

function TaskTable({ tasks, projectId, statuses }: { tasks: Task[]; projectId: string; statuses: ProjectStatus[] }) {
  const body = useRef<HTMLTableSectionElement>(null);
  const [margin, setMargin] = useState(0);
  // Where the rows start on the page: the filters above them change height as they wrap.
  useLayoutEffect(() => {
    const measure = () => setMargin((body.current?.getBoundingClientRect().top ?? 0) + window.scrollY);
    measure();
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    if (body.current?.parentElement?.parentElement) observer?.observe(body.current.parentElement.parentElement);
    return () => observer?.disconnect();
  }, []);
  const virtualizer = useWindowVirtualizer({ count: tasks.length, estimateSize: () => ROW_HEIGHT, overscan: 12, scrollMargin: margin });
  const active = useRowNavigation(tasks.length, (index) => virtualizer.scrollToIndex(index, { align: "auto" }));
  const rows = virtualizer.getVirtualItems();
  const top = rows.length ? (rows[0]?.start ?? 0) - margin : 0;
  const bottom = rows.length ? virtualizer.getTotalSize() - (rows[rows.length - 1]?.end ?? 0) : 0;

  return (
    <table className="w-full text-left text-sm" aria-rowcount={tasks.length + 1}>
      <thead className="border-b border-slate-200 text-xs text-slate-600 uppercase dark:border-slate-800 dark:text-slate-400">
        <tr aria-rowindex={1}>
          <th className="py-2 pr-2">Key</th>
          <th className="py-2 pr-2">Title</th>
          <th className="py-2 pr-2">Status</th>
          <th className="py-2 pr-2">Priority</th>
          <th className="py-2 pr-2">Due</th>
        </tr>
      </thead>
      <tbody ref={body}>
        {top > 0 ? <tr aria-hidden="true" style={{ height: top }} /> : null}
        {rows.map((row) => {
          const t = tasks[row.index] as Task;
          return (
            <tr
              key={t.id}
              data-index={row.index}
              data-row-index={row.index}
              aria-rowindex={row.index + 2}
              ref={virtualizer.measureElement}
              className={`border-b border-slate-100 dark:border-slate-900 ${active === row.index ? "bg-indigo-50 dark:bg-indigo-950" : ""}`}
            >
              <td className="py-2 pr-2 text-slate-600 dark:text-slate-400">{t.key}</td>
              <td className="py-2 pr-2">
                <Link to={`/projects/${projectId}/tasks/${t.id}`} className="font-medium hover:underline">
                  {t.title}
                </Link>
                <LabelChips projectId={projectId} ids={t.label_ids} />
              </td>
              <td className="py-2 pr-2">
                <span className="flex items-center gap-2">
                  {statusName(statuses, t.status_id, t.status)}
                  {t.blocked ? <BlockedBadge /> : null}
                </span>
              </td>
              <td className="py-2 pr-2">
                <PriorityBadge priority={t.priority} />
              </td>
              <td className="py-2 pr-2">{t.due_at ? <DueDate iso={t.due_at} /> : null}</td>
            </tr>
          );
        })}
        {bottom > 0 ? <tr aria-hidden="true" style={{ height: bottom }} /> : null}
      </tbody>
    </table>
  );
}
