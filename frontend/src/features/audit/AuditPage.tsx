/**
 * The audit trail (auditors and admins): filters kept in the URL (actor by id or email, event
 * type, days, entity by subject or project), newest first with "Load more" (keyset cursor),
 * each entry opening its detail; chain verification with its verdict in words; export of a
 * date window as CSV or JSON lines (fetched with the token, saved from a blob URL).
 */
import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";

import { auditApi, authApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { ChainVerdict } from "../../api/types";
import { Button, Empty, Field, FormError, SelectField, Skeleton } from "../../components/ui";
import { RoleGate } from "../admin/roles";
import { saveFile } from "../reports/download";
import { API_FIELD, dayStart, isUuid, KNOWN_TYPES, readAuditFilters, toAuditQuery, verdictText, writeAuditFilters, type AuditFilters } from "./filters";

export default function AuditPage() {
  return (
    <RoleGate screen="audit">
      <AuditTrail />
    </RoleGate>
  );
}

/** The actor filter's user id: typed as an id, or looked up by email (`GET /users?email=`). */
async function resolveActor(actor: string): Promise<string | null> {
  if (!actor) return null;
  if (isUuid(actor)) return actor;
  if (!actor.includes("@")) throw new ApiError(422, { errors: [{ loc: ["actor"], msg: "Enter a user id or an email address.", type: "value_error" }] });
  const found = unwrap(await authApi.GET("/api/v1/users", { params: { query: { email: actor, limit: 1 } } })).items[0];
  if (!found) throw new ApiError(422, { errors: [{ loc: ["actor"], msg: `No account with the email ${actor} that you can see; try its user id.`, type: "not_found" }] });
  return found.id;
}

/** A refusal's messages keyed by the form's field names. */
function filterErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const [field, msg] of Object.entries(error.fieldErrors())) out[API_FIELD[field] ?? field] = msg;
  return out;
}

function AuditTrail() {
  const [params, setParams] = useSearchParams();
  const filters = readAuditFilters(params);
  const [draft, setDraft] = useState<AuditFilters>(filters);
  const entries = useInfiniteQuery({
    queryKey: ["audit", "events", filters],
    queryFn: async ({ pageParam }) => {
      const query = toAuditQuery(filters, await resolveActor(filters.actor));
      return unwrap(await auditApi.GET("/api/v1/audit/events", { params: { query: { ...query, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } }));
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
    retry: false,
  });
  const errors = entries.isError ? filterErrors(entries.error) : {};
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setParams(writeAuditFilters(draft));
  };
  const set = (name: keyof AuditFilters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: e.target.value }));
  const items = entries.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Audit trail</h1>
        <VerifyChain />
      </div>
      <form onSubmit={submit} aria-label="Audit filters" className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        <Field label="Actor (user id or email)" value={draft.actor} onChange={set("actor")} error={errors.actor} />
        <Field label="Event type" value={draft.type} onChange={set("type")} list="audit-types" error={errors.type} placeholder="task.updated" />
        <datalist id="audit-types">
          {KNOWN_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <Field label="Entity (subject)" value={draft.subject} onChange={set("subject")} error={errors.subject} placeholder="task/<id>" />
        <Field label="Project id" value={draft.project} onChange={set("project")} error={errors.project} />
        <Field label="From day" type="date" value={draft.from} onChange={set("from")} error={errors.from} />
        <Field label="To day (included)" type="date" value={draft.to} onChange={set("to")} error={errors.to} />
        <div className="flex gap-2 sm:col-span-2 lg:col-span-3">
          <Button type="submit">Search</Button>
          <Button
            variant="ghost"
            onClick={() => {
              const empty = { actor: "", type: "", from: "", to: "", subject: "", project: "" };
              setDraft(empty);
              setParams({});
            }}
          >
            Clear filters
          </Button>
        </div>
      </form>
      <Export from={filters.from} to={filters.to} />
      {entries.isPending ? <Skeleton lines={6} /> : null}
      {entries.isError && !Object.keys(errors).length ? <FormError message={describe(entries.error)} /> : null}
      {entries.isSuccess && items.length === 0 ? (
        <Empty title="No entries match">Loosen the filters (or clear them): every event of the system is recorded here as it happens.</Empty>
      ) : null}
      {items.length ? (
        <div className="overflow-x-auto">
          <table className="w-full min-w-[36rem] text-left text-sm">
            <caption className="sr-only">Audit entries, newest first</caption>
            <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase dark:border-slate-800">
              <tr>
                <th className="py-2 pr-2">#</th>
                <th className="py-2 pr-2">When</th>
                <th className="py-2 pr-2">Event</th>
                <th className="py-2 pr-2">Actor</th>
                <th className="py-2 pr-2">Entity</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.seq} className="border-b border-slate-100 dark:border-slate-900">
                  <td className="py-2 pr-2 text-slate-500">{e.seq}</td>
                  <td className="py-2 pr-2 whitespace-nowrap">
                    <time dateTime={e.occurred_at}>{new Date(e.occurred_at).toLocaleString()}</time>
                  </td>
                  <td className="py-2 pr-2">
                    <Link to={`/audit/events/${e.event_id}`} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
                      {e.type}
                    </Link>
                  </td>
                  <td className="py-2 pr-2 font-mono text-xs break-all">{e.actor_id ?? "system"}</td>
                  <td className="py-2 pr-2 font-mono text-xs break-all">{e.subject ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {entries.hasNextPage ? (
        <Button variant="secondary" className="self-start" disabled={entries.isFetchingNextPage} onClick={() => void entries.fetchNextPage()}>
          Load more
        </Button>
      ) : null}
    </div>
  );
}

/** `GET /audit/verify` over the whole chain, its verdict said in words (and not in colour only). */
export function VerifyChain({ toSeq }: { toSeq?: number }) {
  const verify = useMutation({
    mutationFn: async (): Promise<ChainVerdict> =>
      unwrap(await auditApi.GET("/api/v1/audit/verify", { params: { query: toSeq ? { to_seq: toSeq } : {} } })),
  });
  return (
    <div className="flex flex-col items-start gap-2">
      <Button onClick={() => verify.mutate()} disabled={verify.isPending}>
        {verify.isPending ? "Verifying…" : toSeq ? `Verify the chain up to #${toSeq}` : "Verify the chain"}
      </Button>
      {verify.data ? (
        <p
          role="status"
          className={`rounded-md px-3 py-2 text-sm ${verify.data.ok ? "bg-emerald-50 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100" : "bg-red-50 text-red-900 dark:bg-red-950 dark:text-red-100"}`}
        >
          {verdictText(verify.data)}
          {verify.data.ok ? <span className="block font-mono text-xs break-all">Head hash {verify.data.head_hash}</span> : null}
        </p>
      ) : null}
      {verify.isError ? <FormError message={`Could not verify: ${describe(verify.error)}`} /> : null}
    </div>
  );
}

/** Export the filters' day window (or everything) in the format the API offers. */
function Export({ from, to }: { from: string; to: string }) {
  const [format, setFormat] = useState<"csv" | "jsonl">("csv");
  const exported = useMutation({
    mutationFn: async () => {
      const query = { format, ...(from ? { from: dayStart(from) } : {}), ...(to ? { to: dayStart(to, 1) } : {}) };
      const text = unwrap(await auditApi.GET("/api/v1/audit/export", { params: { query }, parseAs: "text" })) as string;
      const span = from || to ? `-${from || "start"}-to-${to || "now"}` : "";
      saveFile(text, `audit${span}.${format}`, format === "csv" ? "text/csv" : "application/x-ndjson");
    },
  });
  const span = from || to ? `from ${from || "the start"} to ${to || "today"}` : "everything";
  return (
    <div className="flex flex-wrap items-end gap-2">
      <SelectField label="Export format" value={format} onChange={(e) => setFormat(e.target.value as "csv" | "jsonl")}>
        <option value="csv">CSV</option>
        <option value="jsonl">JSON lines</option>
      </SelectField>
      <Button variant="secondary" onClick={() => exported.mutate()} disabled={exported.isPending}>
        Export {span}
      </Button>
      {exported.isError ? <FormError message={`Export failed: ${describe(exported.error)}`} /> : null}
    </div>
  );
}
