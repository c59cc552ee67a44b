/** Milestones: progress in words, create with a due date, edit with If-Match. */
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, renderAt, signOutAfterTest } from "../../testing/render";
import MilestonesPage, { progressText } from "./MilestonesPage";

afterEach(signOutAfterTest);

const PROJECT = "22222222-2222-4222-8222-222222222222";
const MILESTONE = {
  id: "66666666-6666-4666-8666-666666666666",
  project_id: PROJECT,
  title: "Q1 close",
  description: "",
  due_date: "2027-03-31",
  state: "open",
  progress: 75,
  tasks_total: 4,
  tasks_done: 3,
  version: 7,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

function open() {
  return fakeApi(({ method, path, body }) => {
    if (method === "POST") return json({ ...MILESTONE, ...(body as object), id: "77777777-7777-4777-8777-777777777777" }, 201);
    if (method === "PATCH") return json({ ...MILESTONE, ...(body as object), version: 8 });
    if (path.endsWith("/milestones")) return json({ items: [MILESTONE] });
    return json({ id: PROJECT, key: "OPS", name: "Ops", role: "member", version: 1, archived_at: null });
  });
}

describe("MilestonesPage", () => {
  it("shows progress as done of total, in words and as a progress bar", async () => {
    open();
    renderAt("/projects/:projectId/milestones", `/projects/${PROJECT}/milestones`, <MilestonesPage />);
    const bar = await screen.findByRole("progressbar", { name: "Progress of Q1 close" });
    expect(bar).toHaveAttribute("aria-valuenow", "75");
    expect(screen.getByText("3 of 4 done (75%)")).toBeInTheDocument();
    expect(progressText({ tasks_done: 0, tasks_total: 0, progress: 0 })).toBe("No tasks yet");
  });

  it("creates one with a due date and edits it with If-Match", async () => {
    const calls = open();
    renderAt("/projects/:projectId/milestones", `/projects/${PROJECT}/milestones`, <MilestonesPage />);
    fireEvent.change(await screen.findByLabelText("Milestone name"), { target: { value: "Audit ready" } });
    fireEvent.change(screen.getAllByLabelText("Due date")[0]!, { target: { value: "2027-01-15" } });
    fireEvent.submit(screen.getByRole("form", { name: "New milestone" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toEqual({ title: "Audit ready", due_date: "2027-01-15" }));

    fireEvent.click(screen.getByRole("button", { name: "Edit milestone Q1 close" }));
    const form = await screen.findByRole("form", { name: "Edit milestone Q1 close" });
    fireEvent.change(screen.getByLabelText("State"), { target: { value: "closed" } });
    fireEvent.submit(form);
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.path).toBe(`/api/v1/milestones/${MILESTONE.id}`);
    expect(patch.headers.get("If-Match")).toBe('"7"');
    expect(patch.body).toEqual({ title: "Q1 close", due_date: "2027-03-31", state: "closed" });
  });
});
