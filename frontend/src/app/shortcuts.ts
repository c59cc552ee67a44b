/**
 * Single-key shortcuts (`c` new task, `/` search, `j`/`k` next/previous row, `?` help). Pure matching, so tested without
 * a browser; a key typed into a field is never a shortcut.
 */

export interface Shortcut {
  key: string;
  description: string;
}

export const SHORTCUTS: Shortcut[] = [
  { key: "c", description: "Add a task (quick add)" },
  { key: "/", description: "Search the list" },
  { key: "j", description: "Next task in the list" },
  { key: "k", description: "Previous task in the list" },
  { key: "?", description: "Show these shortcuts" },
];

interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

function isTyping(target: EventTarget | null): boolean {
  if (!target || !(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** The shortcut a key press means, or null. */
export function shortcutFor(event: KeyLike): string | null {
  if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return null;
  return SHORTCUTS.some((s) => s.key === event.key) ? event.key : null;
}
