/** One audit entry (`GET /audit/events/{event_id}`): who, what, when, its payload and its chain links. */
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";

import { auditApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { AuditEntry as Entry } from "../../api/types";
import { FormError, Skeleton } from "../../components/ui";
import { RoleGate } from "../admin/roles";
import { VerifyChain } from "./AuditPage";

export default function AuditEntryPage() {
  return (
    <RoleGate screen="audit">
      <EntryDetail />
    </RoleGate>
  );
}

function EntryDetail() {
  const { eventId = "" } = useParams();
  const entry = useQuery({
    queryKey: ["audit", "events", eventId],
    queryFn: async (): Promise<Entry> => unwrap(await auditApi.GET("/api/v1/audit/events/{event_id}", { params: { path: { event_id: eventId } } })),
  });
  return (
    <div className="flex max-w-4xl flex-col gap-4">
      <Link to="/audit" className="text-sm text-indigo-700 hover:underline dark:text-indigo-300">
        Back to the audit trail
      </Link>
      {entry.isPending ? <Skeleton lines={5} /> : null}
      {entry.isError ? <FormError message={describe(entry.error)} /> : null}
      {entry.data ? (
        <>
          <h1 className="text-2xl font-semibold break-words">
            #{entry.data.seq} {entry.data.type}
          </h1>
          <dl className="grid grid-cols-1 gap-x-4 gap-y-2 text-sm sm:grid-cols-[10rem_1fr]">
            {(
              [
                ["Event id", entry.data.event_id],
                ["Happened", new Date(entry.data.occurred_at).toLocaleString()],
                ["Recorded", new Date(entry.data.recorded_at).toLocaleString()],
                ["Actor", entry.data.actor_id ?? "the system"],
                ["Entity", entry.data.subject ?? "none"],
                ["Project", entry.data.project_id ?? "none"],
                ["Hash", entry.data.hash],
                ["Previous hash", entry.data.prev_hash],
              ] as const
            ).map(([term, value]) => (
              <div key={term} className="contents">
                <dt className="font-medium text-slate-600 dark:text-slate-300">{term}</dt>
                <dd className="font-mono text-xs break-all">{value}</dd>
              </div>
            ))}
          </dl>
          <section aria-labelledby="payload-heading" className="flex flex-col gap-2">
            <h2 id="payload-heading" className="font-semibold">
              Payload (secrets redacted)
            </h2>
            <pre className="overflow-x-auto rounded-md bg-slate-100 p-3 text-xs dark:bg-slate-900">{JSON.stringify(entry.data.payload, null, 2)}</pre>
          </section>
          <VerifyChain toSeq={entry.data.seq} />
        </>
      ) : null}
    </div>
  );
}
