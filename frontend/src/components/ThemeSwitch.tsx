/** System / Light / Dark, remembered in this browser (lib/theme.ts). */
import { useState } from "react";

import { readChoice, saveChoice, THEMES, type ThemeChoice } from "../lib/theme";

const NAMES: Record<ThemeChoice, string> = { system: "System", light: "Light", dark: "Dark" };

export function ThemeSwitch() {
  const [choice, setChoice] = useState<ThemeChoice>(readChoice);
  return (
    <fieldset className="flex items-center gap-1 px-3 py-2 text-sm">
      <legend className="sr-only">Theme</legend>
      <span aria-hidden="true" className="mr-1 text-xs text-slate-600 dark:text-slate-400">
        Theme
      </span>
      {THEMES.map((t) => (
        <label key={t} className={`cursor-pointer rounded px-2 py-0.5 text-xs has-focus-visible:outline-2 has-focus-visible:outline-indigo-500 ${choice === t ? "bg-indigo-600 text-white" : "hover:bg-slate-100 dark:hover:bg-slate-800"}`}>
          <input
            type="radio"
            name="theme"
            value={t}
            className="sr-only"
            checked={choice === t}
            onChange={() => {
              setChoice(t);
              saveChoice(t);
            }}
          />
          {NAMES[t]}
        </label>
      ))}
    </fieldset>
  );
}
