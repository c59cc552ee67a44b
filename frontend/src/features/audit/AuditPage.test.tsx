/** The audit trail: filters to the API's query, actor by email, verify verdicts, export, roles. */
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";

import { fakeApi, json, ME, renderAt, signOutAfterTest } from "../../testing/render";
import AuditPage from "./AuditPage";
import { dayStart, readAuditFilters, toAuditQuery, verdictText, writeAuditFilters } from "./filters";

afterEach(signOutAfterTest);

const ACTOR = "12345678-1234-4234-8234-123456789012";
const ENTRY = {
  seq: 41,
  event_id: "abcdefab-cdef-4abc-8def-abcdefabcdef",
  type: "task.updated",
  actor_id: ACTOR,
  subject: "task/1",
  project_id: null,
  occurred_at: "2026-12-01T10:00:00Z",
  recorded_at: "2026-12-01T10:00:01Z",
  payload: {},
  prev_hash: "0".repeat(64),
  hash: "f".repeat(64),
};

function open(roles: string[], verdict: object = { ok: true, checked: 41, first_broken_seq: null, head_seq: 41, head_hash: "f".repeat(64), reason: null }) {
  const calls = fakeApi(({ path }) => {
    if (path === "/api/v1/users/me") return json(ME(roles));
    if (path === "/api/v1/users") return json({ items: [{ id: ACTOR, email: "bob@example.com", display_name: "Bob", timezone: "UTC", locale: "en", is_active: true }] });
    if (path === "/api/v1/audit/verify") return json(verdict);
    if (path === "/api/v1/audit/export") return new Response("seq,type\n41,task.updated\n", { status: 200, headers: { "Content-Type": "text/csv" } });
    return json({ items: [ENTRY], next_cursor: null });
  });
  return calls;
}

describe("audit filters", () => {
  it("round-trips through the URL and asks for whole days, `to` included", () => {
    const filters = readAuditFilters(new URLSearchParams("actor=bob@example.com&type=task.updated&from=2026-12-01&to=2026-12-07&project="));
    expect(writeAuditFilters(filters).toString()).toBe("actor=bob%40example.com&type=task.updated&from=2026-12-01&to=2026-12-07");
    const query = toAuditQuery(filters, ACTOR);
    expect(query).toEqual({ actor_id: ACTOR, type: "task.updated", from: dayStart("2026-12-01"), to: dayStart("2026-12-08") });
    expect(new Date(query.to!).getDate()).toBe(8);
  });
  it("says a verdict in words", () => {
    expect(verdictText({ ok: true, checked: 3, head_seq: 3 })).toBe("The chain holds: 3 entries checked, up to #3.");
    expect(verdictText({ ok: false, checked: 9, head_seq: 12, first_broken_seq: 7, reason: "hash_mismatch" })).toMatch(/^The chain is broken at #7: an entry's content does not match its hash/);
  });
});

describe("AuditPage", () => {
  it("finds the actor by email, sends the filters, and shows the verdict of a verification", async () => {
    const calls = open(["auditor"]);
    renderAt("/audit", "/audit?actor=bob@example.com&type=task.updated", <AuditPage />);
    expect(await screen.findByRole("link", { name: "task.updated" })).toHaveAttribute("href", `/audit/events/${ENTRY.event_id}`);
    const list = calls.find((c) => c.path === "/api/v1/audit/events")!;
    expect(list.query.get("actor_id")).toBe(ACTOR);
    expect(list.query.get("type")).toBe("task.updated");
    expect(calls.find((c) => c.path === "/api/v1/users")!.query.get("email")).toBe("bob@example.com");

    fireEvent.click(screen.getByRole("button", { name: "Verify the chain" }));
    // Skeletons are status regions too: wait for the one that says the verdict.
    await waitFor(() =>
      expect(screen.getAllByRole("status").some((e) => e.textContent?.includes("The chain holds: 41 entries checked, up to #41."))).toBe(true),
    );
  });

  it("shows a broken chain and exports CSV of the day window", async () => {
    const calls = open(["admin"], { ok: false, checked: 10, first_broken_seq: 7, head_seq: 41, head_hash: "f".repeat(64), reason: "prev_hash_mismatch" });
    const created = vi.fn((_blob: Blob) => "blob:x");
    const saved = { createObjectURL: URL.createObjectURL, revokeObjectURL: URL.revokeObjectURL };
    Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() });
    onTestFinished(() => {
      Object.assign(URL, saved);
    });
    renderAt("/audit", "/audit?from=2026-12-01", <AuditPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Verify the chain" }));
    // Skeletons are status regions too: wait for the one that says the verdict.
    await waitFor(() =>
      expect(screen.getAllByRole("status").some((e) => e.textContent?.includes("The chain is broken at #7: an entry does not link to the one before it."))).toBe(true),
    );
    fireEvent.click(screen.getByRole("button", { name: /^Export from 2026-12-01/ }));
    await waitFor(() => expect(created).toHaveBeenCalled());
    expect(await created.mock.calls[0]![0].text()).toBe("seq,type\n41,task.updated\n");
    const exported = calls.find((c) => c.path === "/api/v1/audit/export")!;
    expect(exported.query.get("format")).toBe("csv");
    expect(exported.query.get("from")).toBe(dayStart("2026-12-01"));
  });

  it("shows an unknown email next to the actor field", async () => {
    fakeApi(({ path }) => (path === "/api/v1/users/me" ? json(ME(["auditor"])) : json({ items: [] })));
    renderAt("/audit", "/audit?actor=nobody@example.com", <AuditPage />);
    expect(await screen.findByText(/No account with the email nobody@example.com/)).toHaveAttribute(
      "id",
      screen.getByLabelText("Actor (user id or email)").getAttribute("aria-describedby"),
    );
  });

  it("is closed to people without the auditor or admin role", async () => {
    const calls = open(["user"]);
    renderAt("/audit", "/audit", <AuditPage />);
    expect(await screen.findByText(/The audit trail is for auditors and admins/)).toBeInTheDocument();
    expect(calls.some((c) => c.path.startsWith("/api/v1/audit"))).toBe(false);
  });
});
