/** Move (targets, If-Match, what was lost in words), duplicate (with subtasks), /t/KEY. */
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import type { MovedTask, Project, Task } from "../../api/types";
import { fakeApi, json, renderAt, signOutAfterTest } from "../../testing/render";
import TaskByKey from "./ByKey";
import { lossesInWords, MoveDuplicate, moveTargets } from "./MoveDuplicate";

afterEach(signOutAfterTest);

const A = "11111111-1111-4111-8111-111111111111";
const B = "22222222-2222-4222-8222-222222222222";
const TASK = { id: "88888888-8888-4888-8888-888888888888", project_id: A, key: "AO-1", title: "Ship it", version: 3 } as unknown as Task;
const project = (id: string, name: string, role: string, extra: object = {}) => ({ id, key: name.slice(0, 2).toUpperCase(), name, role, archived_at: null, deleted_at: null, ...extra }) as unknown as Project;
const BOB = "77777777-7777-4777-8777-777777777777";
const MOVED: MovedTask = {
  task_id: TASK.id,
  from_key: "AO-1",
  to_key: "BO-1",
  status: "Todo",
  dropped_labels: [{ id: "55555555-5555-4555-8555-555555555555", name: "urgent" }],
  dropped_milestone: null,
  removed_assignee_ids: [BOB],
  removed_watcher_ids: [],
  detached_from_parent: false,
};

describe("moveTargets", () => {
  it("offers live projects where I may create tasks, never the task's own", () => {
    const all = [
      project(A, "Alpha", "owner"),
      project(B, "Beta", "member"),
      project("33333333-3333-4333-8333-333333333333", "Viewed", "viewer"),
      project("44444444-4444-4444-8444-444444444444", "Shelved", "owner", { archived_at: "2026-12-01T00:00:00Z" }),
    ];
    expect(moveTargets(all, A).map((p) => p.name)).toEqual(["Beta"]);
  });
});

describe("lossesInWords", () => {
  it("names the dropped labels and the removed people", () => {
    expect(lossesInWords(MOVED, new Map([[BOB, "Bob"]]))).toEqual(["labels dropped: urgent", "assignees removed (not members there): Bob"]);
    expect(lossesInWords({ ...MOVED, dropped_labels: [], removed_assignee_ids: [], detached_from_parent: true }, new Map())).toEqual(["now a top-level task (its parent stayed behind)"]);
  });
});

describe("MoveDuplicate", () => {
  it("moves with If-Match to the chosen project and says what was lost", async () => {
    const calls = fakeApi(({ method }) => {
      if (method === "POST") return json({ task: { ...TASK, project_id: B, key: "BO-1", version: 4 }, moved: [MOVED] });
      return json({ items: [project(A, "Alpha", "owner"), project(B, "Beta", "member")], next_cursor: null });
    });
    renderAt("/projects/:projectId/tasks/:taskId", `/projects/${A}/tasks/${TASK.id}`, <MoveDuplicate task={TASK} names={new Map([[BOB, "Bob"]])} />);
    fireEvent.click(screen.getByRole("button", { name: "Move…" }));
    await screen.findByRole("option", { name: "BE · Beta" });
    const select = screen.getByLabelText("Move to project");
    expect(Array.from((select as HTMLSelectElement).options).map((o) => o.text)).toEqual(["BE · Beta"]);
    fireEvent.click(screen.getByRole("button", { name: "Move task" }));
    const report = await screen.findByText(/AO-1 is now BO-1/);
    expect(report.closest("[role=status]")).toHaveTextContent("BO-1: labels dropped: urgent; assignees removed (not members there): Bob");
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.path).toBe(`/api/v1/tasks/${TASK.id}/move`);
    expect(post.body).toEqual({ project_id: B });
    expect(post.headers.get("If-Match")).toBe('"3"');
  });

  it("shows a refused move's reason and stays", async () => {
    fakeApi(({ method }) => {
      if (method === "POST") return json({ status: 409, title: "Conflict", code: "wip_limit_reached", detail: "Todo is at its WIP limit." }, 409);
      return json({ items: [project(B, "Beta", "member")], next_cursor: null });
    });
    renderAt("/projects/:projectId/tasks/:taskId", `/projects/${A}/tasks/${TASK.id}`, <MoveDuplicate task={TASK} names={new Map()} />);
    fireEvent.click(screen.getByRole("button", { name: "Move…" }));
    await screen.findByRole("option", { name: "BE · Beta" });
    fireEvent.click(screen.getByRole("button", { name: "Move task" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Not moved: Todo is at its WIP limit.");
  });

  it("duplicates with its subtasks and opens the copy", async () => {
    const calls = fakeApi(() => json({ ...TASK, id: "99999999-0000-4000-8000-000000000000", key: "AO-2", title: "Ship it (copy)" }, 201));
    renderAt("/here", "/here", <MoveDuplicate task={TASK} names={new Map()} />);
    fireEvent.click(screen.getByRole("button", { name: "Duplicate…" }));
    expect(screen.getByLabelText("Title of the copy")).toHaveValue("Ship it (copy)");
    fireEvent.click(screen.getByLabelText("Copy its subtasks too"));
    fireEvent.click(screen.getByRole("button", { name: "Duplicate task" }));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]!.path).toBe(`/api/v1/tasks/${TASK.id}/duplicate`);
    expect(calls[0]!.body).toEqual({ title: "Ship it (copy)", include_subtasks: true });
    expect(await screen.findByText("elsewhere")).toBeInTheDocument(); // navigated to the copy
  });
});

describe("TaskByKey", () => {
  it("opens the task the key answers with (an old key's redirect is followed by fetch)", async () => {
    const calls = fakeApi(() => json({ ...TASK, project_id: B, key: "BO-1" }));
    renderAt("/t/:key", "/t/AO-1", <TaskByKey />);
    expect(await screen.findByText("elsewhere")).toBeInTheDocument();
    expect(calls[0]!.path).toBe("/api/v1/tasks/by-key/AO-1");
  });

  it("says plainly when there is no such task", async () => {
    fakeApi(() => json({ status: 404, title: "Not found", code: "not_found" }, 404));
    renderAt("/t/:key", "/t/NO-9", <TaskByKey />);
    expect(await screen.findByRole("alert")).toHaveTextContent("No task NO-9 that you can see");
  });
});
