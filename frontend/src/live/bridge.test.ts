import { describe, expect, it } from "vitest";

import { keysFor } from "./bridge";

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
