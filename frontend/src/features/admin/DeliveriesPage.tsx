/**
 * The notifications' delivery log (admins): every attempt to reach someone by email or
 * calendar, newest first, filtered by status (in the URL); a failed one can be sent again.
 */
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "react-router";

import { notificationsApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { Delivery, DeliveryStatus } from "../../api/types";
import { Button, Empty, FormError, SelectField, Skeleton } from "../../components/ui";
import { useToast } from "../../components/toasts";

export const STATUSES: DeliveryStatus[] = ["pending", "sending", "sent", "failed", "held", "digested", "cancelled"];

/** What can be retried: the API sends failed deliveries again (with one more attempt). */
export function canRetry(d: Pick<Delivery, "status">): boolean {
  return d.status === "failed";
}

export default function DeliveriesPage() {
  const [params, setParams] = useSearchParams();
  const status = STATUSES.find((s) => s === params.get("status"));
  const queryClient = useQueryClient();
  const toast = useToast();
  const deliveries = useInfiniteQuery({
    queryKey: ["notifications", "deliveries", status ?? "all"],
    queryFn: async ({ pageParam }) =>
      unwrap(
        await notificationsApi.GET("/api/v1/notifications/deliveries", {
          params: { query: { limit: 50, ...(status ? { status } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const retry = useMutation({
    mutationFn: async (d: Delivery) => unwrap(await notificationsApi.POST("/api/v1/notifications/deliveries/{delivery_id}/retry", { params: { path: { delivery_id: d.id } } })),
    onSuccess: (d) => toast.show(`The ${d.channel} delivery is queued again (${d.status}).`),
    onError: (e) => toast.show(`Could not retry: ${describe(e)}`, "error"),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ["notifications", "deliveries"] }),
  });
  const items = deliveries.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="flex flex-col gap-4">
      <div className="max-w-xs">
        <SelectField label="Delivery status" value={status ?? ""} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}>
          <option value="">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </SelectField>
      </div>
      {deliveries.isPending ? <Skeleton /> : null}
      {deliveries.isError ? <FormError message={describe(deliveries.error)} /> : null}
      {deliveries.isSuccess && items.length === 0 ? (
        <Empty title={status ? `No ${status} deliveries` : "No deliveries yet"}>Mails and calendar updates appear here as they are sent.</Empty>
      ) : null}
      {items.length ? (
        <div className="overflow-x-auto">
          <table className="w-full min-w-[40rem] text-left text-sm">
            <caption className="sr-only">Deliveries, newest first</caption>
            <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase dark:border-slate-800">
              <tr>
                <th className="py-2 pr-2">Created</th>
                <th className="py-2 pr-2">Channel</th>
                <th className="py-2 pr-2">Kind</th>
                <th className="py-2 pr-2">Status</th>
                <th className="py-2 pr-2">Attempts</th>
                <th className="py-2 pr-2">Last error</th>
                <th className="py-2 pr-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} className="border-b border-slate-100 align-top dark:border-slate-900">
                  <td className="py-2 pr-2 whitespace-nowrap">{new Date(d.created_at).toLocaleString()}</td>
                  <td className="py-2 pr-2">{d.channel}</td>
                  <td className="py-2 pr-2">{d.kind}</td>
                  <td className="py-2 pr-2">{d.status}</td>
                  <td className="py-2 pr-2">
                    {d.attempts} / {d.max_attempts}
                  </td>
                  <td className="py-2 pr-2 text-xs break-words">{d.last_error ?? ""}</td>
                  <td className="py-2 pr-2">
                    {canRetry(d) ? (
                      <Button variant="secondary" disabled={retry.isPending} onClick={() => retry.mutate(d)} aria-label={`Retry ${d.channel} delivery of ${d.kind}`}>
                        Retry
                      </Button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {deliveries.hasNextPage ? (
        <Button variant="secondary" className="self-start" disabled={deliveries.isFetchingNextPage} onClick={() => void deliveries.fetchNextPage()}>
          Load more
        </Button>
      ) : null}
    </div>
  );
}
