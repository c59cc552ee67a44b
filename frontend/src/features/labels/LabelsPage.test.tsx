/** Labels: create with a colour, a taken name refused next to the field, rename, read-only viewers. */
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, renderAt, signOutAfterTest } from "../../testing/render";
import { labelsOf } from "./LabelChips";
import LabelsPage from "./LabelsPage";

afterEach(signOutAfterTest);

const PROJECT = "22222222-2222-4222-8222-222222222222";
const LABEL = { id: "44444444-4444-4444-8444-444444444444", project_id: PROJECT, name: "finance", colour: "#ff0000", created_at: "2026-01-01T00:00:00Z" };

function project(role: string) {
  return { id: PROJECT, key: "OPS", name: "Ops", role, version: 1, archived_at: null };
}

function open(role: string, onWrite: (method: string, path: string, body: unknown) => Response, labels = [LABEL]) {
  const calls = fakeApi(({ method, path, body }) => {
    if (method !== "GET") return onWrite(method, path, body);
    if (path.endsWith("/labels")) return json({ items: labels });
    return json(project(role));
  });
  renderAt("/projects/:projectId/labels", `/projects/${PROJECT}/labels`, <LabelsPage />);
  return calls;
}

describe("LabelsPage", () => {
  it("creates a label with its colour and shows a taken name next to the name field", async () => {
    const writes: unknown[] = [];
    open("member", (_m, _p, body) => {
      writes.push(body);
      return json({ status: 409, title: "Conflict", code: "conflict", detail: "A label named finance already exists." }, 409);
    });
    fireEvent.change(await screen.findByLabelText("Label name"), { target: { value: "finance" } });
    fireEvent.change(screen.getByLabelText("Label colour"), { target: { value: "#00ff00" } });
    fireEvent.submit(screen.getByRole("form", { name: "New label" }));
    const message = await screen.findByText("A label named finance already exists.");
    expect(message).toHaveAttribute("id", screen.getByLabelText("Label name").getAttribute("aria-describedby"));
    expect(writes).toEqual([{ name: "finance", colour: "#00ff00" }]);
  });

  it("renames a label with PATCH /labels/{id}", async () => {
    const calls = open("member", (_m, _p, body) => json({ ...LABEL, ...(body as object) }));
    const name = await screen.findByLabelText("Name of label finance");
    fireEvent.change(name, { target: { value: "money" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.path).toBe(`/api/v1/labels/${LABEL.id}`);
    expect(patch.body).toEqual({ name: "money", colour: "#ff0000" });
  });

  it("is read-only for viewers and says what to do when empty", async () => {
    open("viewer", () => json({}, 500), []);
    expect(await screen.findByText("No labels yet")).toBeInTheDocument();
    expect(screen.getByText(/Members of the project can add labels/)).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "New label" })).toBeNull();
  });

  it("picks a task's labels by id in the project's order", () => {
    const other = { ...LABEL, id: "55555555-5555-4555-8555-555555555555", name: "urgent" };
    expect(labelsOf([LABEL, other], [other.id, "gone"]).map((l) => l.name)).toEqual(["urgent"]);
  });
});
