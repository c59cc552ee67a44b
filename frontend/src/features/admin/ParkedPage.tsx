/**
 * Parked events (admins): messages a consumer gave up on after its retries, per queue that
 * has an admin route (notifications, audit), with the error; replay one or all of them.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { auditApi, notificationsApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { ParkedItem } from "../../api/types";
import { Button, Empty, FormError, Skeleton } from "../../components/ui";
import { useToast } from "../../components/toasts";

interface Parked {
  queue: string;
  items: ParkedItem[];
}

interface Source {
  name: string;
  list: () => Promise<Parked>;
  replay: (ids: string[] | null) => Promise<{ queue: string; replayed: number }>;
}

export const SOURCES: Source[] = [
  {
    name: "notifications",
    list: async () => unwrap(await notificationsApi.GET("/api/v1/notifications/parked", { params: { query: { limit: 200 } } })),
    replay: async (ids) => unwrap(await notificationsApi.POST("/api/v1/notifications/parked/replay", { body: { message_ids: ids } })),
  },
  {
    name: "audit",
    list: async () => unwrap(await auditApi.GET("/api/v1/audit/admin/parked", { params: { query: { limit: 200 } } })),
    replay: async (ids) => unwrap(await auditApi.POST("/api/v1/audit/admin/parked/replay", { body: { message_ids: ids } })),
  },
];

export default function ParkedPage() {
  return (
    <div className="flex flex-col gap-6">
      {SOURCES.map((s) => (
        <ParkedQueue key={s.name} source={s} />
      ))}
    </div>
  );
}

function ParkedQueue({ source }: { source: Source }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const key = ["admin", "parked", source.name];
  const parked = useQuery({ queryKey: key, queryFn: source.list });
  const replay = useMutation({
    mutationFn: (ids: string[] | null) => source.replay(ids),
    onSuccess: (r) => toast.show(`${r.replayed} ${r.replayed === 1 ? "message" : "messages"} sent back to ${r.queue}.`),
    onError: (e) => toast.show(`Could not replay: ${describe(e)}`, "error"),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
  const title = parked.data?.queue ?? `${source.name} queue`;
  return (
    <section aria-label={`Parked in ${source.name}`} className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="font-semibold">{title}</h2>
        {parked.data?.items.length ? (
          <Button variant="secondary" disabled={replay.isPending} onClick={() => replay.mutate(null)}>
            Replay all in {source.name}
          </Button>
        ) : null}
      </div>
      {parked.isPending ? <Skeleton lines={2} /> : null}
      {parked.isError ? <FormError message={describe(parked.error)} /> : null}
      {parked.data && parked.data.items.length === 0 ? (
        <Empty title="Nothing parked">Messages that fail every retry wait here with their error until you replay them.</Empty>
      ) : null}
      <ul className="flex flex-col gap-2">
        {parked.data?.items.map((m, i) => (
          <li key={m.message_id ?? i} className="flex flex-col gap-1 rounded-md border border-slate-200 p-3 text-sm sm:flex-row sm:items-start dark:border-slate-800">
            <div className="min-w-0 flex-1">
              <p className="font-medium">
                {m.event_type ?? m.routing_key} <span className="text-xs font-normal text-slate-500">({m.attempts} attempts{m.parked_at ? `, parked ${new Date(m.parked_at).toLocaleString()}` : ""})</span>
              </p>
              <p className="text-xs break-words text-red-800 dark:text-red-300">{m.error}</p>
              <p className="font-mono text-xs break-all text-slate-500">{m.message_id}</p>
            </div>
            {m.message_id ? (
              <Button variant="secondary" disabled={replay.isPending} onClick={() => replay.mutate([m.message_id!])} aria-label={`Replay ${m.event_type ?? "message"} ${m.message_id}`}>
                Replay
              </Button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
