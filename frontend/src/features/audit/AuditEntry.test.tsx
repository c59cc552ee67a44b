/** An audit entry's page: every field, the payload, and verification up to that entry. */
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, ME, renderAt, signOutAfterTest } from "../../testing/render";
import AuditEntryPage from "./AuditEntry";

afterEach(signOutAfterTest);

const ENTRY = {
  seq: 12,
  event_id: "abcdefab-cdef-4abc-8def-abcdefabcdef",
  type: "project.archived",
  actor_id: null,
  subject: "project/1",
  project_id: null,
  occurred_at: "2026-12-01T10:00:00Z",
  recorded_at: "2026-12-01T10:00:01Z",
  payload: { name: "Old books" },
  prev_hash: "0".repeat(64),
  hash: "a".repeat(64),
};

describe("AuditEntryPage", () => {
  it("shows the entry and verifies the chain up to it", async () => {
    const calls = fakeApi(({ path }) => {
      if (path === "/api/v1/users/me") return json(ME(["auditor"]));
      if (path === "/api/v1/audit/verify") return json({ ok: false, checked: 5, first_broken_seq: 5, head_seq: 12, head_hash: "a", reason: "missing_entry" });
      return json(ENTRY);
    });
    renderAt("/audit/events/:eventId", `/audit/events/${ENTRY.event_id}`, <AuditEntryPage />);
    expect(await screen.findByRole("heading", { name: "#12 project.archived" })).toBeInTheDocument();
    expect(screen.getByText("the system")).toBeInTheDocument();
    expect(screen.getByText(/"name": "Old books"/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Verify the chain up to #12" }));
    // Skeletons are status regions too: wait for the one that says the verdict.
    await waitFor(() =>
      expect(screen.getAllByRole("status").some((e) => e.textContent?.includes("The chain is broken at #5: an entry is missing."))).toBe(true),
    );
    expect(calls.find((c) => c.path === "/api/v1/audit/verify")!.query.get("to_seq")).toBe("12");
  });
});
