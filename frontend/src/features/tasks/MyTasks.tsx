/** Tasks assigned to me across projects, soonest due first. */
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import { Empty, FormError, Skeleton } from "../../components/ui";
import { DueDate, PriorityBadge } from "./bits";
import { keys } from "./queries";
import { useRowNavigation } from "../../app/rows";

export default function MyTasks() {
  const filters = { assignee: "me", status: ["backlog", "todo", "in_progress"] as const, sort: "due_at" as const };
  const tasks = useQuery({
    queryKey: keys.myTasks(filters),
    queryFn: async () => unwrap(await tasksApi.GET("/api/v1/tasks", { params: { query: { ...filters, status: [...filters.status], limit: 200 } } })).items,
  });
  const active = useRowNavigation(tasks.data?.length ?? 0);
  return (
    <div className="flex flex-col gap-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">My tasks</h1>
        <Link to="/my-tasks/calendar" className="text-sm font-medium text-indigo-700 hover:underline dark:text-indigo-300">
          Calendar
        </Link>
      </div>
      {tasks.isPending ? <Skeleton /> : null}
      {tasks.isError ? <FormError message={describe(tasks.error)} /> : null}
      {tasks.data?.length === 0 ? <Empty title="Nothing assigned to you">Tasks assigned to you in any project show up here.</Empty> : null}
      <ul className="flex flex-col divide-y divide-slate-100 dark:divide-slate-900">
        {tasks.data?.map((t, i) => (
          <li key={t.id} data-row-index={i} className={`flex items-center gap-3 py-2 text-sm ${active === i ? "bg-indigo-50 dark:bg-indigo-950" : ""}`}>
            <span className="w-20 text-slate-600 dark:text-slate-400">{t.key}</span>
            <Link to={`/projects/${t.project_id}/tasks/${t.id}`} className="flex-1 font-medium hover:underline">
              {t.title}
            </Link>
            <PriorityBadge priority={t.priority} />
            {t.due_at ? <DueDate iso={t.due_at} /> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
