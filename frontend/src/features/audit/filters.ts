/**
 * The audit trail's filters, kept in the URL so a search can be shared as a link:
 * `?actor=<user id or email>&type=task.updated&from=2026-12-01&to=2026-12-07&subject=task/<id>
 * &project=<id>`. Dates are whole days in the viewer's zone; `to` includes its day (the API's
 * upper bound is exclusive, so the query asks for the next midnight).
 */
import type { paths as AuditPaths } from "../../api/generated/audit";

export type AuditQuery = NonNullable<AuditPaths["/api/v1/audit/events"]["get"]["parameters"]["query"]>;

export interface AuditFilters {
  actor: string;
  type: string;
  from: string;
  to: string;
  subject: string;
  project: string;
}

export const FILTER_NAMES: (keyof AuditFilters)[] = ["actor", "type", "from", "to", "subject", "project"];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text.trim());
}

export function readAuditFilters(params: URLSearchParams): AuditFilters {
  const get = (name: string) => params.get(name)?.trim() ?? "";
  return { actor: get("actor"), type: get("type"), from: get("from"), to: get("to"), subject: get("subject"), project: get("project") };
}

export function writeAuditFilters(filters: AuditFilters): URLSearchParams {
  const out = new URLSearchParams();
  for (const name of FILTER_NAMES) if (filters[name].trim()) out.set(name, filters[name].trim());
  return out;
}

/** Local midnight of a `YYYY-MM-DD` day, as ISO 8601 (UTC), `days` later. */
export function dayStart(day: string, days = 0): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days).toISOString();
}

/** The API's query for the filters; `actorId` is the actor once an email is resolved to an id. */
export function toAuditQuery(filters: AuditFilters, actorId: string | null): AuditQuery {
  const query: AuditQuery = {};
  if (actorId) query.actor_id = actorId;
  if (filters.type) query.type = filters.type;
  if (filters.from) query.from = dayStart(filters.from);
  if (filters.to) query.to = dayStart(filters.to, 1);
  if (filters.subject) query.subject = filters.subject;
  if (filters.project) query.project_id = filters.project;
  return query;
}

/** The API's field names (a 422's `loc`) back to the form's. */
export const API_FIELD: Record<string, keyof AuditFilters> = {
  actor_id: "actor",
  type: "type",
  from: "from",
  to: "to",
  subject: "subject",
  project_id: "project",
};

/** Event types people look for (the field also takes any other). */
export const KNOWN_TYPES = [
  "user.registered",
  "user.updated",
  "user.deactivated",
  "user.mfa_enabled",
  "user.login_failed",
  "project.created",
  "project.updated",
  "project.archived",
  "project.deleted",
  "project.restored",
  "project.member_added",
  "project.member_role_changed",
  "project.member_removed",
  "task.created",
  "task.updated",
  "task.assigned",
  "task.status_changed",
  "task.completed",
  "task.deleted",
  "task.restored",
  "comment.added",
  "milestone.created",
  "milestone.updated",
];

const REASONS: Record<string, string> = {
  hash_mismatch: "an entry's content does not match its hash (it was changed after it was written)",
  prev_hash_mismatch: "an entry does not link to the one before it",
  missing_entry: "an entry is missing",
  head_mismatch: "the chain's head does not match the recorded head",
  unexpected_entry: "an entry is there that should not be",
};

/** The verdict of `GET /audit/verify` in words. */
export function verdictText(v: { ok: boolean; checked: number; head_seq: number; first_broken_seq?: number | null; reason?: string | null }): string {
  if (v.ok) return `The chain holds: ${v.checked} ${v.checked === 1 ? "entry" : "entries"} checked, up to #${v.head_seq}.`;
  const why = v.reason ? (REASONS[v.reason] ?? v.reason) : "unknown reason";
  return `The chain is broken at #${v.first_broken_seq ?? "?"}: ${why}. ${v.checked} entries checked.`;
}
