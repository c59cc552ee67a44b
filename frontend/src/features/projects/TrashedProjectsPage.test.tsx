/** Trashed projects (`?trashed=true`) with Restore; and a new project from a template. */
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, renderAt, signOutAfterTest } from "../../testing/render";
import ProjectsPage from "./ProjectsPage";
import TrashedProjectsPage from "./TrashedProjectsPage";

afterEach(signOutAfterTest);

const GONE = { id: "22222222-2222-4222-8222-222222222222", key: "OLD", name: "Old books", role: "owner", version: 4, deleted_at: "2026-12-01T10:00:00Z", archived_at: null };

describe("TrashedProjectsPage", () => {
  it("asks for the trash, restores one, and puts it back with a toast when refused", async () => {
    let refuse = true;
    let trashed = [GONE];
    const calls = fakeApi(({ method }) => {
      if (method === "POST") {
        if (refuse) return json({ status: 404, title: "Not found", code: "not_found", detail: "The trash was emptied." }, 404);
        trashed = [];
        return json({ ...GONE, deleted_at: null, version: 5 });
      }
      return json({ items: trashed, next_cursor: null });
    });
    renderAt("/projects/trash", "/projects/trash", <TrashedProjectsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Restore Old books" }));
    expect(calls[0]!.query.get("trashed")).toBe("true");
    expect(await screen.findByText("Could not restore Old books: The trash was emptied.")).toBeInTheDocument();
    expect(screen.getByRole("list", { name: "Trashed projects" })).toHaveTextContent("Old books");

    refuse = false;
    fireEvent.click(screen.getByRole("button", { name: "Restore Old books" }));
    expect(await screen.findByText("The trash is empty")).toBeInTheDocument();
    expect(screen.getByText("Old books is restored.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST").at(-1)!.path).toBe(`/api/v1/projects/${GONE.id}/restore`);
  });
});

describe("New project from a template", () => {
  it("sends the template and include_tasks only when one is chosen", async () => {
    const TEMPLATE = { ...GONE, id: "33333333-3333-4333-8333-333333333333", key: "TPL", name: "Month end", deleted_at: null, progress: 0, tasks_done: 0, tasks_total: 0 };
    const calls = fakeApi(({ method }) => (method === "POST" ? json({ ...TEMPLATE, id: "44444444-4444-4444-8444-444444444444", name: "Year end" }, 201) : json({ items: [TEMPLATE], next_cursor: null })));
    renderAt("/projects", "/projects", <ProjectsPage />);
    await screen.findByText("Month end");
    fireEvent.click(screen.getByRole("button", { name: "New project" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Year end" } });
    expect(screen.queryByLabelText("Copy its tasks too")).toBeNull();
    fireEvent.change(screen.getByLabelText("Start from"), { target: { value: TEMPLATE.id } });
    fireEvent.click(screen.getByLabelText("Copy its tasks too"));
    fireEvent.click(screen.getByRole("button", { name: "Create" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ name: "Year end", key: "YE", template_project_id: TEMPLATE.id, include_tasks: true });
  });
});
