import { describe, expect, it } from "vitest";

import { shortcutFor } from "./shortcuts";

const press = (key: string, target: EventTarget | null = document.body, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) =>
  shortcutFor({ key, target, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe("shortcutFor", () => {
  it("knows c, / and ?", () => {
    expect(press("c")).toBe("c");
    expect(press("/")).toBe("/");
    expect(press("?")).toBe("?");
    expect(press("x")).toBeNull();
  });
  it("ignores keys typed into fields and chords", () => {
    expect(press("c", document.createElement("input"))).toBeNull();
    expect(press("/", document.createElement("textarea"))).toBeNull();
    expect(press("c", document.body, { ctrlKey: true })).toBeNull();
    expect(press("c", document.body, { metaKey: true })).toBeNull();
  });
});
