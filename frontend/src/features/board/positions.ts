/**
 * Where a task dropped between two others goes: positions are floats ordered ascending within
 * a column, so a move changes only the moved task (one PATCH), never its neighbours.
 */

export const STEP = 1024;

interface Positioned {
  id: string;
  position: number;
}

/**
 * The position for `movedId` placed at `index` of `column` (the column's tasks in display
 * order; the moved task may be among them and is ignored).
 */
export function positionAt(column: Positioned[], index: number, movedId: string): number {
  const others = column.filter((t) => t.id !== movedId);
  const before = others[index - 1];
  const after = others[index];
  if (!before && !after) return STEP;
  if (!before) return after!.position - STEP;
  if (!after) return before.position + STEP;
  return (before.position + after.position) / 2;
}

/** Tasks grouped by status id, each group in position order. */
export function groupByStatus<T extends Positioned & { status_id: string }>(tasks: T[], statuses: string[]): Record<string, T[]> {
  const groups: Record<string, T[]> = Object.fromEntries(statuses.map((s) => [s, [] as T[]]));
  for (const task of tasks) (groups[task.status_id] ??= []).push(task);
  for (const list of Object.values(groups)) list.sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
  return groups;
}
