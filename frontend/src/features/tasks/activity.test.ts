/** A task's activity reads as words: never the raw event name. */
import { describe, expect, it } from "vitest";
import { describeChange } from "./activity";

const names = new Map([["u1", "Bob Keller"]]);

describe("describeChange", () => {
  it("names a comment and a creation in words", () => {
    expect(describeChange({ actor_id: "u1", action: "comment.added", changes: {} }, names)).toBe("Bob Keller commented");
    expect(describeChange({ actor_id: "u1", action: "task.created", changes: {} }, names)).toBe("Bob Keller created the task");
  });

  it("lists the fields an update changed", () => {
    const a = { actor_id: "u1", action: "task.updated", changes: { status: {}, priority: {} } };
    expect(describeChange(a, names)).toBe("Bob Keller changed status, priority");
  });

  it("reads an unknown action as its words and an unknown actor as someone", () => {
    expect(describeChange({ actor_id: null, action: "task.something_new", changes: {} }, names)).toBe(
      "Someone task something new",
    );
  });
});
