/**
 * The board: a column per status, cards in position order. Dragging a card (mouse, touch or
 * keyboard: space, arrows, space) sets its status and position in one optimistic PATCH.
 *
 * A long column (WINDOWED_FROM cards or more) scrolls on its own and draws only the cards in
 * view plus a few (@tanstack/react-virtual), so a board of 1,000 tasks draws tens of cards, not
 * a thousand. Its SortableContext still holds every id in order; dnd-kit scrolls the column
 * while a card is dragged over its edge, and the dragged card lives in the DragOverlay, so it
 * may leave the drawn window without ending the drag.
 */
import {
  closestCorners,
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  useDroppable,
  useSensor,
  useSensors,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
} from "@dnd-kit/core";
import { arrayMove, SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useMemo, useRef, useState, type KeyboardEventHandler, type PointerEventHandler } from "react";
import { Link, useParams } from "react-router";

import { describe } from "../../api/errors";
import type { ProjectStatus, Task } from "../../api/types";
import { FormError, Skeleton } from "../../components/ui";
import { useProjectTasks, useUpdateTask } from "../tasks/queries";
import { BlockedBadge, PriorityBadge, DueDate } from "../tasks/bits";
import { LabelChips } from "../labels/LabelChips";
import { groupByStatus, positionAt } from "./positions";
import { displayName, useProjectStatuses, wipState } from "./statuses";

const COLUMN = "column:";
/** From this many cards on, a column draws only the cards in view. */
export const WINDOWED_FROM = 60;
/** A card's height before it is measured (a title on one line, a due date), in px. */
const CARD_ESTIMATE = 88;
const CARD_GAP = 8;

export default function BoardPage() {
  const { projectId = "" } = useParams();
  const { statuses, error: statusesError } = useProjectStatuses(projectId);
  const tasks = useProjectTasks(projectId, { sort: "position" });
  const update = useUpdateTask();
  const grouped = useMemo(() => groupByStatus(tasks.data ?? [], statuses.map((s) => s.id)), [tasks.data, statuses]);
  const [dragging, setDragging] = useState<Record<string, Task[]> | null>(null);
  const [active, setActive] = useState<Task | null>(null);
  const columns = dragging ?? grouped;
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );

  if (tasks.isPending) return <Skeleton lines={4} />;
  if (tasks.isError) return <FormError message={describe(tasks.error)} />;
  if (statusesError) return <FormError message={describe(statusesError)} />;

  const columnOf = (id: string, within: Record<string, Task[]>): string | undefined =>
    id.startsWith(COLUMN) ? id.slice(COLUMN.length) : Object.keys(within).find((s) => within[s]?.some((t) => t.id === id));

  const onDragStart = ({ active: a }: DragStartEvent) => {
    setDragging(grouped);
    setActive((tasks.data ?? []).find((t) => t.id === a.id) ?? null);
  };

  // Moving across columns while dragging, so the card shows where it will land.
  const onDragOver = ({ active: a, over }: DragOverEvent) => {
    if (!over || !dragging) return;
    const from = columnOf(String(a.id), dragging);
    const to = columnOf(String(over.id), dragging);
    if (!from || !to || from === to) return;
    const moving = dragging[from]!.find((t) => t.id === a.id)!;
    const target = dragging[to]!.filter((t) => t.id !== a.id);
    const overIndex = target.findIndex((t) => t.id === over.id);
    const index = overIndex < 0 ? target.length : overIndex;
    setDragging({
      ...dragging,
      [from]: dragging[from]!.filter((t) => t.id !== a.id),
      [to]: [...target.slice(0, index), { ...moving, status_id: to }, ...target.slice(index)],
    });
  };

  const onDragEnd = ({ active: a, over }: DragEndEvent) => {
    const state = dragging;
    setDragging(null);
    setActive(null);
    if (!over || !state) return;
    const task = (tasks.data ?? []).find((t) => t.id === a.id);
    const to = columnOf(String(over.id), state);
    if (!task || !to) return;
    const list = state[to] ?? [];
    const oldIndex = list.findIndex((t) => t.id === task.id);
    const overIndex = list.findIndex((t) => t.id === over.id);
    let newIndex = overIndex >= 0 ? overIndex : oldIndex >= 0 ? oldIndex : list.length;
    let moved: Task[];
    if (oldIndex >= 0) {
      moved = arrayMove(list, oldIndex, newIndex);
    } else {
      newIndex = Math.min(newIndex, list.length);
      moved = [...list.slice(0, newIndex), task, ...list.slice(newIndex)];
    }
    const before = (grouped[task.status_id] ?? []).findIndex((t) => t.id === task.id);
    if (task.status_id === to && before === newIndex) return;
    const position = positionAt(moved, newIndex, task.id);
    // By id: a rename by an admin meanwhile must not send the card elsewhere.
    update.mutate({ task, changes: { status_id: to, position } });
  };

  return (
    <DndContext
      sensors={sensors}
      collisionDetection={closestCorners}
      onDragStart={onDragStart}
      onDragOver={onDragOver}
      onDragEnd={onDragEnd}
      onDragCancel={() => {
        setDragging(null);
        setActive(null);
      }}
    >
      <div className="flex gap-3 overflow-x-auto pb-4" role="list" aria-label="Board">
        {statuses.map((status) => (
          <Column key={status.id} status={status} tasks={columns[status.id] ?? []} projectId={projectId} />
        ))}
      </div>
      <DragOverlay>{active ? <Card task={active} projectId={projectId} overlay /> : null}</DragOverlay>
    </DndContext>
  );
}

function Column({ status, tasks, projectId }: { status: ProjectStatus; tasks: Task[]; projectId: string }) {
  const { setNodeRef, isOver } = useDroppable({ id: `${COLUMN}${status.id}` });
  return (
    <section
      role="listitem"
      aria-label={displayName(status.name)}
      data-status={status.name}
      data-status-id={status.id}
      className={`flex w-72 shrink-0 flex-col rounded-lg border-t-4 bg-slate-100 p-2 dark:bg-slate-900 ${isOver ? "ring-2 ring-indigo-400" : ""}`}
      style={{ borderTopColor: status.colour }}
    >
      <ColumnHeader name={status.name} colour={status.colour} count={tasks.length} limit={status.wip_limit} />
      <SortableContext id={`${COLUMN}${status.id}`} items={tasks.map((t) => t.id)} strategy={verticalListSortingStrategy}>
        {tasks.length >= WINDOWED_FROM ? (
          <WindowedCards tasks={tasks} projectId={projectId} dropRef={setNodeRef} label={displayName(status.name)} />
        ) : (
          <ul ref={setNodeRef} className="flex min-h-24 flex-col gap-2">
            {tasks.map((task) => (
              <SortableCard key={task.id} task={task} projectId={projectId} />
            ))}
          </ul>
        )}
      </SortableContext>
    </section>
  );
}

/**
 * A long column's cards: the column scrolls on its own (at most most of the screen high) and
 * only the cards in view, with some above and below, are in the page; padding stands in for
 * the others so the scrollbar is true.
 */
function WindowedCards({
  tasks,
  projectId,
  dropRef,
  label,
}: {
  tasks: Task[];
  projectId: string;
  dropRef: (element: HTMLElement | null) => void;
  label: string;
}) {
  const scroller = useRef<HTMLDivElement | null>(null);
  const virtualizer = useVirtualizer({
    count: tasks.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => CARD_ESTIMATE,
    getItemKey: (index) => tasks[index]?.id ?? index,
    gap: CARD_GAP,
    overscan: 6,
    // Until the column is measured, draw as much as a column shows on a laptop.
    initialRect: { width: 288, height: 640 },
  });
  const rows = virtualizer.getVirtualItems();
  const top = rows[0]?.start ?? 0;
  const bottom = rows.length ? virtualizer.getTotalSize() - (rows[rows.length - 1]?.end ?? 0) : 0;
  return (
    <div ref={scroller} data-windowed="true" aria-label={`${label}: ${tasks.length} cards`} role="group" className="max-h-[70vh] overflow-y-auto pr-1">
      <ul ref={dropRef} className="flex min-h-24 flex-col gap-2" style={{ paddingTop: top, paddingBottom: bottom }}>
        {rows.map((row) => {
          const task = tasks[row.index]!;
          return <SortableCard key={task.id} task={task} projectId={projectId} index={row.index} measure={virtualizer.measureElement} />;
        })}
      </ul>
    </div>
  );
}

/** A column's name and its count, `count / limit` with a WIP limit (highlighted when full). */
export function ColumnHeader({ name, colour, count, limit }: { name: string; colour: string; count: number; limit: number | null }) {
  const wip = wipState(count, limit);
  return (
    <h2 className="mb-2 flex items-center justify-between px-1 text-sm font-semibold">
      <span className="flex items-center gap-2">
        <span aria-hidden="true" className="inline-block h-2.5 w-2.5 rounded-full" style={{ backgroundColor: colour }} />
        {displayName(name)}
      </span>
      <span
        data-wip-full={wip.full ? "true" : undefined}
        title={limit != null ? `WIP limit ${limit}` : undefined}
        className={`rounded px-1.5 text-xs ${wip.full ? "bg-red-100 font-bold text-red-800 dark:bg-red-900 dark:text-red-100" : "text-slate-600 dark:text-slate-300"}`}
      >
        {wip.label}
        {wip.full ? <span className="sr-only"> (WIP limit reached)</span> : null}
      </span>
    </h2>
  );
}

/**
 * A card: the pointer drags it from anywhere, the keyboard from its grip button (Space, arrows,
 * Space). The role and focus belong to the grip, not the card, so the link to the task is not
 * nested inside a button (axe-core's nested-interactive).
 */
function SortableCard({
  task,
  projectId,
  index,
  measure,
}: {
  task: Task;
  projectId: string;
  /** In a windowed column: the card's place, and the virtualiser's measuring ref. */
  index?: number;
  measure?: (element: Element | null) => void;
}) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: task.id });
  const ref = useCallback(
    (element: HTMLLIElement | null) => {
      setNodeRef(element);
      measure?.(element);
    },
    [setNodeRef, measure],
  );
  return (
    <li
      ref={ref}
      data-index={index}
      style={{ transform: CSS.Transform.toString(transform), transition }}
      className={`relative ${isDragging ? "opacity-40" : ""}`}
      data-task-id={task.id}
      onPointerDown={listeners?.onPointerDown as PointerEventHandler | undefined}
    >
      <Card task={task} projectId={projectId} />
      <button
        type="button"
        ref={setActivatorNodeRef}
        {...attributes}
        onKeyDown={listeners?.onKeyDown as KeyboardEventHandler | undefined}
        aria-roledescription="Draggable task"
        aria-label={`Move ${task.key} ${task.title}`}
        className="absolute right-1 bottom-1 cursor-grab rounded px-1 text-xs text-slate-500 hover:bg-slate-100 dark:text-slate-400 dark:hover:bg-slate-700"
      >
        <span aria-hidden="true">⠿</span>
      </button>
    </li>
  );
}

function Card({ task, projectId, overlay = false }: { task: Task; projectId: string; overlay?: boolean }) {
  return (
    <div className={`rounded-md border border-slate-200 bg-white p-3 text-sm shadow-sm dark:border-slate-700 dark:bg-slate-800 ${overlay ? "shadow-lg" : ""}`}>
      <div className="mb-1 flex items-center justify-between text-xs text-slate-500">
        <span>{task.key}</span>
        <span className="flex items-center gap-1">
          {task.blocked ? <BlockedBadge /> : null}
          <PriorityBadge priority={task.priority} />
        </span>
      </div>
      <Link to={`/projects/${projectId}/tasks/${task.id}`} className="font-medium hover:underline">
        {task.title}
      </Link>
      {task.due_at ? (
        <div className="mt-1 text-xs">
          <DueDate iso={task.due_at} />
        </div>
      ) : null}
      {task.label_ids.length ? <div className="mt-1"><LabelChips projectId={projectId} ids={task.label_ids} /></div> : null}
    </div>
  );
}
