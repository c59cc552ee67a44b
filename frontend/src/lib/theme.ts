/**
 * Light / dark / system theme. The choice is remembered in localStorage (a display preference,
 * not a secret); "system" follows the OS and changes with it. The `dark` class on <html> drives
 * Tailwind's `dark:` variant (see index.css) and `color-scheme` themes the native controls.
 */
export type ThemeChoice = "system" | "light" | "dark";
export const THEME_KEY = "tf-theme";
export const THEMES: ThemeChoice[] = ["system", "light", "dark"];

/** Whether to draw dark, for a choice and what the OS prefers. */
export function resolveTheme(choice: ThemeChoice, systemDark: boolean): "light" | "dark" {
  if (choice === "system") return systemDark ? "dark" : "light";
  return choice;
}

export function readChoice(storage: Pick<Storage, "getItem"> | undefined = globalThis.localStorage): ThemeChoice {
  try {
    const value = storage?.getItem(THEME_KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system"; // storage refused (private mode): follow the OS
  }
}

const query = () => (typeof window !== "undefined" && window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null);

export function applyTheme(choice: ThemeChoice = readChoice()): void {
  const dark = resolveTheme(choice, query()?.matches ?? false) === "dark";
  document.documentElement.classList.toggle("dark", dark);
  document.documentElement.style.colorScheme = dark ? "dark" : "light";
}

export function saveChoice(choice: ThemeChoice): void {
  try {
    if (choice === "system") localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, choice);
  } catch {
    // Not remembered, still applied.
  }
  applyTheme(choice);
}

/** Apply now and follow the OS while the choice is "system". */
export function initTheme(): void {
  applyTheme();
  query()?.addEventListener("change", () => applyTheme());
}
