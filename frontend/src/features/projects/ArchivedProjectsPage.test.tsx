/** Archived projects: asked with `archived=true`, unarchived with If-Match, empty state says how. */
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, renderAt, signOutAfterTest } from "../../testing/render";
import ArchivedProjectsPage from "./ArchivedProjectsPage";

afterEach(signOutAfterTest);

const PROJECT = { id: "22222222-2222-4222-8222-222222222222", key: "OLD", name: "Old books", role: "admin", version: 4, archived_at: "2026-11-30T00:00:00Z" };

describe("ArchivedProjectsPage", () => {
  it("lists archived projects and unarchives one", async () => {
    let archived = [PROJECT];
    const calls = fakeApi(({ method }) => {
      if (method === "POST") {
        archived = [];
        return json({ ...PROJECT, archived_at: null, version: 5 });
      }
      return json({ items: archived, next_cursor: null });
    });
    renderAt("/projects/archived", "/projects/archived", <ArchivedProjectsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Unarchive Old books" }));
    expect(calls[0]!.query.get("archived")).toBe("true");
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.path).toBe(`/api/v1/projects/${PROJECT.id}/unarchive`);
    expect(post.headers.get("If-Match")).toBe('"4"');
    expect(await screen.findByText("No archived projects")).toBeInTheDocument();
    expect(screen.getByText("Old books is active again.")).toBeInTheDocument();
  });

  it("offers no Unarchive to plain members", async () => {
    fakeApi(() => json({ items: [{ ...PROJECT, role: "member" }] }));
    renderAt("/projects/archived", "/projects/archived", <ArchivedProjectsPage />);
    expect(await screen.findByText("Old books")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Unarchive/ })).toBeNull();
  });
});
