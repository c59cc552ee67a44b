import { describe, expect, it, vi } from "vitest";

import { invalidationBatcher, keysFor } from "./bridge";

describe("keysFor", () => {
  it("refreshes the project's views and the task on a task event", () => {
    expect(
      keysFor({
        type: "event",
        event: { id: "e", type: "task.status_changed", subject: "task/t1", project_id: "p1" },
      }),
    ).toEqual([["projects", "p1"], ["tasks", "t1"], ["tasks", "list"]]);
  });
  it("finds the task of a comment event in its data", () => {
    expect(
      keysFor({
        type: "event",
        event: { id: "e", type: "comment.added", subject: "comment/c1", project_id: "p1", data: { task_id: "t9" } },
      }),
    ).toEqual([["projects", "p1"], ["tasks", "t9"]]);
  });
  it("refreshes the project list on a project event", () => {
    expect(keysFor({ type: "event", event: { id: "e", type: "project.updated", subject: "project/p1", project_id: "p1" } })).toEqual([
      ["projects", "p1"],
      ["projects", "list"],
    ]);
  });
  it("refreshes notifications on a notification", () => {
    expect(keysFor({ type: "notification", notification: { id: "n", created_at: "x", title: "t" } })).toEqual([["notifications"]]);
  });
  it("ignores heartbeats", () => {
    expect(keysFor({ type: "ping" })).toEqual([]);
  });
});

describe("invalidationBatcher", () => {
  it("refetches each key once per window, however many events name it", () => {
    vi.useFakeTimers();
    try {
      const seen: unknown[] = [];
      const batcher = invalidationBatcher((key) => seen.push(key), 400);
      for (let i = 0; i < 1000; i++) batcher.add([["projects", "p1"], ["tasks", `t${i % 3}`]]);
      expect(seen).toEqual([]);
      vi.advanceTimersByTime(400);
      expect(seen).toEqual([["projects", "p1"], ["tasks", "t0"], ["tasks", "t1"], ["tasks", "t2"]]);
      // A lone change later opens a window of its own.
      batcher.add([["notifications"]]);
      vi.advanceTimersByTime(399);
      expect(seen).toHaveLength(4);
      vi.advanceTimersByTime(1);
      expect(seen.at(-1)).toEqual(["notifications"]);
      // Stopped: what was gathered is dropped, nothing fires.
      batcher.add([["tasks", "list"]]);
      batcher.stop();
      vi.advanceTimersByTime(1000);
      expect(seen).toHaveLength(5);
    } finally {
      vi.useRealTimers();
    }
  });
});
