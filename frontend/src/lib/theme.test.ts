import { afterEach, describe, expect, it } from "vitest";

import { applyTheme, readChoice, resolveTheme, saveChoice, THEME_KEY } from "./theme";

afterEach(() => localStorage.clear());

describe("theme", () => {
  it.each([
    ["system", true, "dark"],
    ["system", false, "light"],
    ["light", true, "light"],
    ["dark", false, "dark"],
  ] as const)("%s with the OS dark=%s draws %s", (choice, systemDark, expected) => {
    expect(resolveTheme(choice, systemDark)).toBe(expected);
  });

  it("remembers a choice, forgets 'system', ignores junk", () => {
    saveChoice("dark");
    expect(localStorage.getItem(THEME_KEY)).toBe("dark");
    expect(readChoice()).toBe("dark");
    expect(document.documentElement.classList.contains("dark")).toBe(true);
    saveChoice("system");
    expect(localStorage.getItem(THEME_KEY)).toBeNull();
    localStorage.setItem(THEME_KEY, "purple");
    expect(readChoice()).toBe("system");
    applyTheme("light");
    expect(document.documentElement.classList.contains("dark")).toBe(false);
  });

  it("a storage that throws means system", () => {
    expect(readChoice({ getItem: () => { throw new Error("denied"); } })).toBe("system");
  });
});
