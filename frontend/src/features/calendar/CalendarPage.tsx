/**
 * A calendar of due dates, month or week (`?mode=week&date=2026-12-07`, so a link shows the same
 * page), for a project or for "my tasks" across projects. Dragging a task to another day (mouse,
 * touch, or keyboard: Space, arrows, Space) moves its due date there at the same time of day, in
 * one optimistic PATCH that rolls back with a toast when refused.
 */
import { closestCenter, DndContext, DragOverlay, KeyboardSensor, PointerSensor, pointerWithin, useDraggable, useDroppable, useSensor, useSensors, type CollisionDetection, type DragEndEvent } from "@dnd-kit/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { Task } from "../../api/types";
import { Button, FormError } from "../../components/ui";
import { keys, useProjectTasks, useUpdateTask } from "../tasks/queries";
import { byDay, dayKey, moveToDay, parseDayKey, rangeOf, startOfDay, step, title, visibleDays, type CalendarMode } from "./dates";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** Narrower than Tailwind's `sm` (640 px): seven columns do not fit, so days become rows. */
const NARROW = "(max-width: 639px)";

/** True on a narrow screen, following rotations and resizes. */
export function useNarrow(): boolean {
  const query = typeof window !== "undefined" && typeof window.matchMedia === "function" ? window.matchMedia(NARROW) : null;
  const [narrow, setNarrow] = useState(query?.matches ?? false);
  useEffect(() => {
    if (!query) return;
    const onChange = () => setNarrow(query.matches);
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, [query]);
  return narrow;
}

function useMyDueTasks(range: { due_after: string; due_before: string }, enabled: boolean) {
  const filters = { assignee: "me", ...range, sort: "due_at" as const };
  return useQuery({
    queryKey: keys.myTasks(filters),
    queryFn: async (): Promise<Task[]> => unwrap(await tasksApi.GET("/api/v1/tasks", { params: { query: { ...filters, limit: 200 } } })).items,
    enabled,
    placeholderData: (previous) => previous,
  });
}

export default function CalendarPage() {
  const { projectId } = useParams();
  const [params, setParams] = useSearchParams();
  const mode: CalendarMode = params.get("mode") === "week" ? "week" : "month";
  const anchor = parseDayKey(params.get("date")) ?? startOfDay(new Date());
  const days = visibleDays(mode, anchor);
  const range = rangeOf(days);
  const project = useProjectTasks(projectId ?? "", { ...range, sort: "due_at" }, 5, Boolean(projectId));
  const mine = useMyDueTasks(range, !projectId);
  const tasks = projectId ? project : mine;
  const update = useUpdateTask();
  const [active, setActive] = useState<Task | null>(null);
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 5 } }), useSensor(KeyboardSensor));
  const grouped = byDay(tasks.data ?? []);
  const today = dayKey(new Date());
  // One layout at a time (not both, hidden by CSS): each day is a drop target by its key.
  const narrow = useNarrow();

  const go = (changes: { mode?: CalendarMode; date?: Date }) => {
    const next = new URLSearchParams(params);
    if (changes.mode) next.set("mode", changes.mode);
    if (changes.date) next.set("date", dayKey(changes.date));
    setParams(next, { replace: true });
  };

  const onDragEnd = ({ active: a, over }: DragEndEvent) => {
    setActive(null);
    const task = (tasks.data ?? []).find((t) => t.id === a.id);
    if (!task?.due_at || !over) return;
    const key = String(over.id);
    if (key === dayKey(new Date(task.due_at))) return;
    const due = moveToDay(task.due_at, key);
    if (due) update.mutate({ task, changes: { due_at: due } });
  };

  return (
    <div className="flex flex-col gap-3">
      {projectId ? null : <h1 className="text-2xl font-semibold">My calendar</h1>}
      <div className="flex flex-wrap items-center gap-2">
        <Button variant="secondary" aria-label={`Previous ${mode}`} onClick={() => go({ date: step(mode, anchor, -1) })}>
          ←
        </Button>
        <Button variant="secondary" onClick={() => go({ date: new Date() })}>
          Today
        </Button>
        <Button variant="secondary" aria-label={`Next ${mode}`} onClick={() => go({ date: step(mode, anchor, 1) })}>
          →
        </Button>
        <h2 className="text-lg font-semibold" aria-live="polite">
          {title(mode, anchor)}
        </h2>
        <div role="group" aria-label="Calendar view" className="ml-auto flex gap-1">
          {(["month", "week"] as const).map((m) => (
            <Button key={m} variant={mode === m ? "primary" : "secondary"} aria-pressed={mode === m} onClick={() => go({ mode: m })}>
              {m === "month" ? "Month" : "Week"}
            </Button>
          ))}
        </div>
      </div>
      {tasks.isError ? <FormError message={describe(tasks.error)} /> : null}
      <DndContext sensors={sensors} collisionDetection={dropUnderPointer} onDragStart={({ active: a }) => setActive((tasks.data ?? []).find((t) => t.id === a.id) ?? null)} onDragEnd={onDragEnd} onDragCancel={() => setActive(null)}>
        {narrow ? (
          <ol aria-label="Days" aria-busy={tasks.isPending} className="flex flex-col divide-y divide-slate-200 rounded-md border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
            {days
              .filter((d) => mode === "week" || d.getMonth() === anchor.getMonth())
              .map((d) => (
                <li key={dayKey(d)}>
                  <Day day={d} row tall={false} outside={false} today={dayKey(d) === today} tasks={grouped.get(dayKey(d)) ?? []} />
                </li>
              ))}
          </ol>
        ) : (
          <div className="overflow-x-auto">
            <div className="grid min-w-[42rem] grid-cols-7 gap-px rounded-md border border-slate-200 bg-slate-200 dark:border-slate-800 dark:bg-slate-800" aria-busy={tasks.isPending}>
              {WEEKDAYS.map((d) => (
                <div key={d} aria-hidden="true" className="bg-slate-50 px-2 py-1 text-xs font-semibold text-slate-600 dark:bg-slate-900 dark:text-slate-300">
                  {d}
                </div>
              ))}
              {days.map((d) => (
                <Day
                  key={dayKey(d)}
                  day={d}
                  tall={mode === "week"}
                  outside={mode === "month" && d.getMonth() !== anchor.getMonth()}
                  today={dayKey(d) === today}
                  tasks={grouped.get(dayKey(d)) ?? []}
                />
              ))}
            </div>
          </div>
        )}
        <DragOverlay>{active ? <Chip task={active} overlay /> : null}</DragOverlay>
      </DndContext>
      <p className="text-xs text-slate-600 dark:text-slate-400">Drag a task to another day to move its due date (keyboard: Space, arrows, Space). Tasks without a due date are not shown.</p>
    </div>
  );
}

function Day({ day, tasks, outside, today, tall, row = false }: { day: Date; tasks: Task[]; outside: boolean; today: boolean; tall: boolean; row?: boolean }) {
  const key = dayKey(day);
  const { setNodeRef, isOver } = useDroppable({ id: key });
  const label = day.toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long" });
  if (row) {
    // The narrow screen's agenda: the day on the left, its tasks beside it, one row per day.
    return (
      <section ref={setNodeRef} aria-label={label} data-day={key} className={`flex min-h-9 items-start gap-2 px-2 py-1 ${isOver ? "bg-indigo-50 dark:bg-indigo-950" : "bg-white dark:bg-slate-950"}`}>
        <span className={`w-14 shrink-0 rounded px-1 text-xs whitespace-nowrap ${today ? "bg-indigo-600 font-semibold text-white" : "text-slate-700 dark:text-slate-300"}`}>
          {WEEKDAYS[(day.getDay() + 6) % 7]} {day.getDate()}
          {today ? <span className="sr-only"> (today)</span> : null}
        </span>
        <ul className="flex min-w-0 flex-1 flex-col gap-1">
          {tasks.map((t) => (
            <li key={t.id}>
              <Chip task={t} />
            </li>
          ))}
        </ul>
      </section>
    );
  }
  return (
    <section
      ref={setNodeRef}
      aria-label={label}
      data-day={key}
      className={`flex flex-col gap-1 p-1 ${tall ? "min-h-64" : "min-h-24"} ${isOver ? "bg-indigo-50 dark:bg-indigo-950" : outside ? "bg-slate-50 dark:bg-slate-900" : "bg-white dark:bg-slate-950"}`}
    >
      <span className={`self-end rounded-full px-1.5 text-xs ${today ? "bg-indigo-600 font-semibold text-white" : outside ? "text-slate-500" : "text-slate-700 dark:text-slate-300"}`}>
        {day.getDate()}
        {today ? <span className="sr-only"> (today)</span> : null}
      </span>
      <ul className="flex flex-col gap-1">
        {tasks.map((t) => (
          <li key={t.id}>
            <Chip task={t} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * The day under the pointer, not the day the dragged picture overlaps most: the picture hangs to
 * the right of the grip, so dropping on the day to the left counted as the day it came from.
 * Keyboard drags have no pointer: they fall back to the closest day.
 */
const dropUnderPointer: CollisionDetection = (args) => {
  const under = pointerWithin(args);
  return under.length ? under : closestCenter(args);
};

/**
 * A task on its day: a grip button to drag it (a separate control, so the link to the task is not
 * nested inside a button) and the link.
 */
function Chip({ task, overlay = false }: { task: Task; overlay?: boolean }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, isDragging } = useDraggable({ id: task.id, disabled: overlay });
  const time = task.due_at ? new Date(task.due_at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) : "";
  const done = task.status_category === "done" || task.status_category === "cancelled";
  return (
    <div
      ref={overlay ? undefined : setNodeRef}
      // The overlay is a picture of the task under the pointer: the real one is still in its day.
      aria-hidden={overlay ? true : undefined}
      data-task={task.key}
      className={`flex min-w-0 items-center gap-1 rounded border border-slate-200 bg-white px-1 py-0.5 text-xs shadow-sm dark:border-slate-700 dark:bg-slate-800 ${isDragging ? "opacity-40" : ""} ${overlay ? "shadow-lg" : ""}`}
    >
      {overlay ? (
        // A picture, hidden from assistive technology: nothing in it may take the focus
        // (axe: aria-hidden-focus), so the grip and the link are drawn as plain text.
        <>
          <span className="rounded px-0.5 text-slate-500 dark:text-slate-400">⠿</span>
          <span className="shrink-0 whitespace-nowrap text-slate-600 dark:text-slate-300">{time}</span>
          <span className="truncate font-medium">{task.title}</span>
        </>
      ) : (
        <>
          <button
            type="button"
            ref={setActivatorNodeRef}
            {...attributes}
            {...listeners}
            aria-roledescription="Draggable task"
            aria-label={`Move ${task.key} ${task.title} to another day`}
            className="shrink-0 cursor-grab touch-none rounded px-0.5 text-slate-500 hover:bg-slate-100 dark:text-slate-400 dark:hover:bg-slate-700"
          >
            <span aria-hidden="true">⠿</span>
          </button>
          <span className="shrink-0 whitespace-nowrap text-slate-600 dark:text-slate-300">{time}</span>
          <Link to={`/projects/${task.project_id}/tasks/${task.id}`} className={`min-w-0 truncate font-medium hover:underline ${done ? "text-slate-600 line-through dark:text-slate-400" : ""}`}>
            {task.title}
          </Link>
        </>
      )}
    </div>
  );
}
