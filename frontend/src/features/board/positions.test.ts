import { describe, expect, it } from "vitest";

import { groupByStatus, positionAt, STEP } from "./positions";

const col = [
  { id: "a", position: 100 },
  { id: "b", position: 200 },
  { id: "c", position: 300 },
];

describe("positionAt", () => {
  it("puts a task into an empty column at STEP", () => {
    expect(positionAt([], 0, "x")).toBe(STEP);
  });
  it("goes before the first", () => {
    expect(positionAt(col, 0, "x")).toBe(100 - STEP);
  });
  it("goes after the last", () => {
    expect(positionAt(col, 3, "x")).toBe(300 + STEP);
  });
  it("goes between two neighbours", () => {
    expect(positionAt(col, 1, "x")).toBe(150);
    expect(positionAt(col, 2, "x")).toBe(250);
  });
  it("ignores the moved task itself when moving within its column", () => {
    // a moved below b: others are [b, c], index 1 -> between b and c
    expect(positionAt(col, 1, "a")).toBe(250);
    // c moved to the top
    expect(positionAt(col, 0, "c")).toBe(100 - STEP);
  });
});

describe("groupByStatus", () => {
  it("groups and sorts by position, with a column for every status", () => {
    const groups = groupByStatus(
      [
        { id: "1", status_id: "done", position: 5 },
        { id: "2", status_id: "todo", position: 9 },
        { id: "3", status_id: "todo", position: 1 },
      ],
      ["todo", "in_progress", "done"],
    );
    expect(groups.todo!.map((t) => t.id)).toEqual(["3", "2"]);
    expect(groups.in_progress).toEqual([]);
    expect(groups.done!.map((t) => t.id)).toEqual(["1"]);
  });
});
