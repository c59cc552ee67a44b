import { describe, expect, it } from "vitest";

import { nextRow } from "./rows";
import { shortcutFor } from "./shortcuts";

const press = (key: string, target: EventTarget | null = document.body, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) =>
  shortcutFor({ key, target, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe("shortcutFor", () => {
  it("knows c, / and ?", () => {
    expect(press("c")).toBe("c");
    expect(press("/")).toBe("/");
    expect(press("?")).toBe("?");
    expect(press("j")).toBe("j");
    expect(press("k")).toBe("k");
    expect(press("x")).toBeNull();
  });
  it("ignores keys typed into fields and chords", () => {
    expect(press("c", document.createElement("input"))).toBeNull();
    expect(press("/", document.createElement("textarea"))).toBeNull();
    expect(press("c", document.body, { ctrlKey: true })).toBeNull();
    expect(press("c", document.body, { metaKey: true })).toBeNull();
  });
});

describe("nextRow", () => {
  it.each([
    [null, 1, 5, 0],
    [null, -1, 5, 4],
    [0, 1, 5, 1],
    [4, 1, 5, 4],
    [0, -1, 5, 0],
    [2, -1, 5, 1],
    [null, 1, 0, null],
  ] as const)("from %s by %s of %s -> %s", (current, delta, count, expected) => {
    expect(nextRow(current, delta, count)).toBe(expected);
  });
});
