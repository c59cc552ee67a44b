/**
 * `j` / `k` move through the rows of a list. The layout turns the key into a "taskflow:row"
 * event; the screen that shows rows (the list, my tasks) keeps the active index, scrolls it into
 * view (through the virtualiser when the row is not drawn yet) and focuses the row's link, so
 * Enter opens it.
 */
import { useEffect, useRef, useState } from "react";

export const ROW_EVENT = "taskflow:row";

/** The row after a move: the first on the first `j`, the last on the first `k`, clamped. */
export function nextRow(current: number | null, delta: 1 | -1, count: number): number | null {
  if (count <= 0) return null;
  if (current === null) return delta > 0 ? 0 : count - 1;
  return Math.min(count - 1, Math.max(0, current + delta));
}

export function moveRow(delta: 1 | -1): void {
  window.dispatchEvent(new CustomEvent<1 | -1>(ROW_EVENT, { detail: delta }));
}

/**
 * The active row of a list of `count` rows. `reveal(index)` brings the row into the DOM (a
 * virtualiser's scrollToIndex); its link, `[data-row-index="i"] a`, is then focused.
 */
export function useRowNavigation(count: number, reveal?: (index: number) => void): number | null {
  const [active, setActive] = useState<number | null>(null);
  const latest = useRef({ count, reveal });
  latest.current = { count, reveal };

  useEffect(() => {
    const onRow = (event: Event) => {
      const delta = (event as CustomEvent<1 | -1>).detail;
      setActive((current) => {
        const next = nextRow(current, delta, latest.current.count);
        if (next !== null) latest.current.reveal?.(next);
        return next;
      });
    };
    window.addEventListener(ROW_EVENT, onRow);
    return () => window.removeEventListener(ROW_EVENT, onRow);
  }, []);

  useEffect(() => {
    if (active === null) return;
    // After the virtualiser has drawn the row.
    const frame = requestAnimationFrame(() => {
      const link = document.querySelector<HTMLElement>(`[data-row-index="${active}"] a`);
      link?.focus();
      link?.scrollIntoView?.({ block: "nearest" });
    });
    return () => cancelAnimationFrame(frame);
  }, [active]);

  return active;
}
