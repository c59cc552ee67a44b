/** Admin screens: roles changed at once (rolled back on refusal), deliveries retried, parked replayed. */
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, ME, renderAt, signOutAfterTest } from "../../testing/render";
import AdminLayout from "./AdminLayout";
import DeliveriesPage, { canRetry } from "./DeliveriesPage";
import ParkedPage from "./ParkedPage";
import UsersPage, { withRole } from "./UsersPage";

afterEach(signOutAfterTest);

const BOB = { id: "12345678-1234-4234-8234-123456789012", email: "bob@example.com", display_name: "Bob", timezone: "UTC", locale: "en", is_active: true, roles: ["user"] };

describe("UsersPage", () => {
  it("orders roles and never repeats one", () => {
    expect(withRole(["admin", "user"], "auditor", true)).toEqual(["user", "auditor", "admin"]);
    expect(withRole(["user", "auditor"], "auditor", false)).toEqual(["user"]);
    expect(withRole(["user"], "user", true)).toEqual(["user"]);
  });

  it("sends the new roles when a box is ticked, and rolls back with a toast when auth refuses", async () => {
    let refuse = false;
    const calls = fakeApi(({ method, path, body }) => {
      if (path === "/api/v1/users/me") return json(ME(["admin"]));
      if (method === "PATCH") return refuse ? json({ status: 409, title: "Conflict", code: "last_admin", detail: "At least one admin must remain." }, 409) : json({ ...BOB, ...(body as object) });
      return json({ items: [BOB], next_cursor: null });
    });
    renderAt("/admin/users", "/admin/users?q=bob", <UsersPage />);
    const auditor = await screen.findByRole("checkbox", { name: "auditor role for Bob" });
    expect(calls.find((c) => c.path === "/api/v1/users")!.query.get("q")).toBe("bob");
    fireEvent.click(auditor);
    await waitFor(() => expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ roles: ["user", "auditor"] }));
    expect(calls.find((c) => c.method === "PATCH")!.path).toBe(`/api/v1/users/${BOB.id}`);
    expect(await screen.findByText("Bob now has the roles: user, auditor.")).toBeInTheDocument();

    refuse = true;
    fireEvent.click(await screen.findByRole("checkbox", { name: "admin role for Bob" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not change Bob: At least one admin must remain.");
    await waitFor(() => expect(screen.getByRole("checkbox", { name: "admin role for Bob" })).not.toBeChecked());
  });

  it("keeps people without the admin role out (no tabs, no calls)", async () => {
    const calls = fakeApi(({ path }) => (path === "/api/v1/users/me" ? json(ME(["auditor"])) : json({ items: [] })));
    renderAt("/admin/*", "/admin/users", (
      <Routes>
        <Route element={<AdminLayout />}>
          <Route path="users" element={<UsersPage />} />
        </Route>
      </Routes>
    ));
    expect(await screen.findByText(/This page is for administrators/)).toBeInTheDocument();
    expect(calls.some((c) => c.path === "/api/v1/users")).toBe(false);
  });
});

describe("DeliveriesPage", () => {
  it("filters by status and retries a failed delivery", async () => {
    const failed = {
      id: "d1d1d1d1-d1d1-4d1d-8d1d-d1d1d1d1d1d1",
      channel: "email",
      kind: "assigned",
      user_id: null,
      notification_id: null,
      task_id: null,
      status: "failed",
      attempts: 5,
      max_attempts: 5,
      last_error: "SMTP 451",
      next_attempt_at: "2026-12-01T10:00:00Z",
      created_at: "2026-12-01T10:00:00Z",
      updated_at: "2026-12-01T10:00:00Z",
      sent_at: null,
    };
    const calls = fakeApi(({ method }) => (method === "POST" ? json({ ...failed, status: "pending", max_attempts: 6 }) : json({ items: [failed, { ...failed, id: "d2", status: "sent", last_error: null }] })));
    renderAt("/admin/deliveries", "/admin/deliveries?status=failed", <DeliveriesPage />);
    expect(await screen.findByText("SMTP 451")).toBeInTheDocument();
    expect(calls[0]!.query.get("status")).toBe("failed");
    expect(screen.getAllByRole("button", { name: /^Retry/ })).toHaveLength(1);
    fireEvent.click(screen.getByRole("button", { name: "Retry email delivery of assigned" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === `/api/v1/notifications/deliveries/${failed.id}/retry`)).toBe(true));
    expect(await screen.findByText("The email delivery is queued again (pending).")).toBeInTheDocument();
    expect(canRetry({ status: "sent" })).toBe(false);
  });
});

describe("ParkedPage", () => {
  it("lists each queue's parked messages and replays one by id", async () => {
    const item = { message_id: "m-1", event_type: "task.created", routing_key: "task.created", error: "boom", attempts: 5, parked_at: "2026-12-01T10:00:00Z" };
    const calls = fakeApi(({ method, path }) => {
      if (method === "POST") return json({ queue: "audit.events.dlq", replayed: 1 });
      if (path.startsWith("/api/v1/audit")) return json({ queue: "audit.events.dlq", items: [item] });
      return json({ queue: "notifications.events.dlq", items: [] });
    });
    renderAt("/admin/parked", "/admin/parked", <ParkedPage />);
    const audit = await screen.findByRole("region", { name: "Parked in audit" });
    expect(await within(audit).findByText("boom")).toBeInTheDocument();
    expect(within(screen.getByRole("region", { name: "Parked in notifications" })).getByText("Nothing parked")).toBeInTheDocument();
    fireEvent.click(within(audit).getByRole("button", { name: "Replay task.created m-1" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toEqual({ message_ids: ["m-1"] }));
    expect(calls.find((c) => c.method === "POST")!.path).toBe("/api/v1/audit/admin/parked/replay");
    expect(await screen.findByText("1 message sent back to audit.events.dlq.")).toBeInTheDocument();
  });
});
