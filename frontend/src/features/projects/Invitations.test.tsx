/** Members: adding by email says "invited or added" neutrally; pending invitations; revoke. */
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, renderAt, signOutAfterTest } from "../../testing/render";
import MembersPage from "./MembersPage";

afterEach(signOutAfterTest);

const PROJECT = "22222222-2222-4222-8222-222222222222";
const ME = "99999999-9999-4999-8999-999999999999";
const MEMBERS = [{ project_id: PROJECT, user_id: ME, role: "owner", email: "me@example.com", display_name: "Mo Owner", created_at: "2026-01-01T00:00:00Z" }];
const INVITE = {
  id: "44444444-4444-4444-8444-444444444444",
  project_id: PROJECT,
  email: "new@example.com",
  role: "member",
  invited_by: ME,
  created_at: "2026-12-01T09:00:00Z",
  updated_at: "2026-12-01T09:00:00Z",
  expires_at: "2026-12-15T09:00:00Z",
};

describe("MembersPage invitations", () => {
  it("answers neutrally, lists the pending invitation with who and when, and revokes it", async () => {
    let invitations: (typeof INVITE)[] = [];
    let refuseRevoke = true;
    const calls = fakeApi(({ method, path }) => {
      if (path.endsWith("/invitations") && method === "GET") return json({ items: invitations, next_cursor: null });
      if (path.endsWith("/members") && method === "POST") {
        invitations = [INVITE];
        return json({ status: "accepted", detail: "If this address belongs to an account…" }, 202);
      }
      if (path.endsWith("/members")) return json({ items: MEMBERS, next_cursor: null });
      if (method === "DELETE") {
        if (refuseRevoke) return json({ status: 503, title: "Unavailable", code: "unavailable", detail: "Try again." }, 503);
        invitations = [];
        return json(null, 204);
      }
      return json({ id: PROJECT, key: "OPS", name: "Ops", role: "owner", version: 1 });
    });
    renderAt("/projects/:projectId/members", `/projects/${PROJECT}/members`, <MembersPage />);
    expect(await screen.findByText(/None\. Adding an address/)).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Email of the person to add"), { target: { value: "new@example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Add member" }));
    expect(await screen.findByText(/new@example\.com is invited or added/)).toBeInTheDocument();
    const list = screen.getByRole("list", { name: "Pending invitations" });
    expect(await within(list).findByText("new@example.com")).toBeInTheDocument();
    expect(list).toHaveTextContent("as member · invited by Mo Owner · expires");
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ email: "new@example.com", role: "member" });

    // A refused revoke puts the invitation back, with a toast.
    fireEvent.click(screen.getByRole("button", { name: "Revoke the invitation of new@example.com" }));
    expect(await screen.findByText("Could not revoke the invitation of new@example.com: Try again.")).toBeInTheDocument();
    expect(within(list).getByText("new@example.com")).toBeInTheDocument();

    refuseRevoke = false;
    fireEvent.click(screen.getByRole("button", { name: "Revoke the invitation of new@example.com" }));
    await waitFor(() => expect(within(list).queryByText("new@example.com")).toBeNull());
    const revoke = calls.filter((c) => c.method === "DELETE").at(-1)!;
    expect(revoke.path).toBe(`/api/v1/projects/${PROJECT}/invitations/${INVITE.id}`);
  });

  it("shows no invitations (and asks for none) to plain members", async () => {
    const calls = fakeApi(({ path }) => {
      if (path.endsWith("/members")) return json({ items: MEMBERS, next_cursor: null });
      return json({ id: PROJECT, key: "OPS", name: "Ops", role: "member", version: 1 });
    });
    renderAt("/projects/:projectId/members", `/projects/${PROJECT}/members`, <MembersPage />);
    expect(await screen.findByText("Mo Owner")).toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Pending invitations" })).toBeNull();
    expect(calls.some((c) => c.path.endsWith("/invitations"))).toBe(false);
  });
});
