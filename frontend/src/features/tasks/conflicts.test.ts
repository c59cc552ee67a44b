/** The conflict view's comparison: per field before/theirs/yours, clashes, their other changes. */
import { describe, expect, it } from "vitest";

import type { Task } from "../../api/types";
import { conflictRows, theirOtherChanges } from "./conflicts";

const base = { id: "t", key: "OPS-1", title: "Pay rent", priority: "low", due_at: null, description: "", label_ids: [], version: 3 } as unknown as Task;

describe("conflictRows", () => {
  it("lists each field I changed with the value before, theirs and mine", () => {
    const theirs = { ...base, title: "Pay the rent", version: 4 } as Task;
    const rows = conflictRows({ base, theirs, mine: { title: "Pay rent today", priority: "high" } });
    expect(rows).toEqual([
      { field: "title", label: "Title", before: "Pay rent", theirs: "Pay the rent", yours: "Pay rent today", clash: true },
      { field: "priority", label: "Priority", before: "low", theirs: "low", yours: "high", clash: false },
    ]);
  });

  it("compares lists and nulls by value", () => {
    const theirs = { ...base, label_ids: [], due_at: null } as Task;
    const rows = conflictRows({ base, theirs, mine: { label_ids: ["x"], due_at: "2026-12-01T10:00:00Z" } });
    expect(rows.map((r) => r.clash)).toEqual([false, false]);
  });
});

describe("theirOtherChanges", () => {
  it("names fields only they changed, not mine and not bookkeeping", () => {
    const theirs = { ...base, title: "Pay the rent", description: "by Friday", position: 9, version: 4 } as Task;
    expect(theirOtherChanges({ base, theirs, mine: { title: "Mine" } })).toEqual(["description"]);
  });
});
