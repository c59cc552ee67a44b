/** The trash (restore, rolled back on refusal) and the project's archive / trash actions. */
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Project } from "../../api/types";
import { fakeApi, json, renderAt, signOutAfterTest } from "../../testing/render";
import { lifecycleRights, ProjectActions, TrashedBanner } from "./lifecycle";
import TrashPage from "./TrashPage";

afterEach(signOutAfterTest);

const PROJECT = "22222222-2222-4222-8222-222222222222";
const TASK = { id: "88888888-8888-4888-8888-888888888888", project_id: PROJECT, key: "OPS-7", title: "Close the books", version: 3, deleted_at: "2026-12-01T10:00:00Z" };
const project = (role: string, archived = false) =>
  ({ id: PROJECT, key: "OPS", name: "Ops", role, version: 5, archived_at: archived ? "2026-12-01T00:00:00Z" : null }) as unknown as Project;

describe("TrashPage", () => {
  it("restores a task with If-Match, and puts it back with a toast when refused", async () => {
    let refuse = true;
    const calls = fakeApi(({ method, path }) => {
      if (method === "POST") return refuse ? json({ status: 409, title: "Conflict", code: "conflict", detail: "The project is archived." }, 409) : json(TASK);
      if (path.endsWith("/trash")) return json({ items: refuse ? [TASK] : [] });
      return json(project("member"));
    });
    renderAt("/projects/:projectId/trash", `/projects/${PROJECT}/trash`, <TrashPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Restore OPS-7 Close the books" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not restore OPS-7: The project is archived.");
    expect(screen.getByText("Close the books")).toBeInTheDocument();
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.path).toBe(`/api/v1/tasks/${TASK.id}/restore`);
    expect(post.headers.get("If-Match")).toBe('"3"');

    refuse = false;
    fireEvent.click(screen.getByRole("button", { name: "Restore OPS-7 Close the books" }));
    expect(await screen.findByText("The trash is empty")).toBeInTheDocument();
  });
});

describe("project lifecycle", () => {
  it("lets owners trash and admins archive, nobody else", () => {
    expect(lifecycleRights("owner")).toEqual({ archive: true, trash: true });
    expect(lifecycleRights("admin")).toEqual({ archive: true, trash: false });
    expect(lifecycleRights("member")).toEqual({ archive: false, trash: false });
  });

  it("archives with If-Match, trashes after a confirmation, and restores from the banner", async () => {
    const calls = fakeApi(({ method, path }) => {
      if (path.endsWith("/archive")) return json({ ...project("owner", true) });
      if (method === "DELETE") return json(null, 204);
      if (path.endsWith("/restore")) return json(project("owner"));
      return json(project("owner"));
    });
    vi.spyOn(window, "confirm").mockReturnValue(true);
    renderAt("/projects/:projectId", `/projects/${PROJECT}`, (
      <>
        <ProjectActions project={project("owner")} />
        <TrashedBanner />
      </>
    ));
    fireEvent.click(screen.getByRole("button", { name: "Archive project" }));
    await waitFor(() => expect(calls.find((c) => c.path.endsWith("/archive"))?.headers.get("If-Match")).toBe('"5"'));
    fireEvent.click(screen.getByRole("button", { name: "Move to trash" }));
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.path === `/api/v1/projects/${PROJECT}`)).toBe(true));
    vi.restoreAllMocks();
  });

  it("offers to restore a project just trashed", async () => {
    const calls = fakeApi(() => json(project("owner")));
    renderAt("/projects", `/projects?trashed=${PROJECT}&name=Ops`, <TrashedBanner />);
    fireEvent.click(screen.getByRole("button", { name: "Restore Ops" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === `/api/v1/projects/${PROJECT}/restore`)).toBe(true));
    expect(await screen.findByText("elsewhere")).toBeInTheDocument();
  });
});
