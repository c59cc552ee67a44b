/** A task's labels as small coloured chips (the name in words, the colour only as a dot). */
import type { Label } from "../../api/types";
import { useLabels } from "../tasks/queries";

/** The labels of `ids` in the project's label order; unknown ids (just deleted) are skipped. */
export function labelsOf(all: readonly Label[], ids: readonly string[]): Label[] {
  const wanted = new Set(ids);
  return all.filter((l) => wanted.has(l.id));
}

export function LabelChips({ projectId, ids }: { projectId: string; ids: readonly string[] }) {
  const labels = useLabels(projectId);
  if (!ids.length || !labels.data) return null;
  const shown = labelsOf(labels.data, ids);
  if (!shown.length) return null;
  return (
    <ul aria-label="Labels" className="flex flex-wrap gap-1">
      {shown.map((l) => (
        <li key={l.id} className="flex items-center gap-1 rounded-full border border-slate-200 px-1.5 py-0.5 text-xs dark:border-slate-700">
          <span aria-hidden="true" className="inline-block h-2 w-2 rounded-full" style={{ backgroundColor: l.colour }} />
          {l.name}
        </li>
      ))}
    </ul>
  );
}
