/**
 * A milestone's burndown (`GET /reports/milestones/{id}/burndown`): remaining tasks per day
 * against the ideal line, for the milestone chosen in `?milestone=` (default: the first open
 * one), with a CSV download.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";

import { reportingApi, tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { components } from "../../api/generated/reporting";
import type { Milestone } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button, Empty, FormError, SelectField, Skeleton } from "../../components/ui";
import { BurndownChart } from "./Charts";
import { saveFile } from "./download";

type BurndownRead = components["schemas"]["BurndownRead"];

export function Burndown({ projectId, tz }: { projectId: string; tz: string }) {
  const toast = useToast();
  const [params, setParams] = useSearchParams();
  // The same key and shape as the Milestones tab's list, so both share the cache.
  const milestones = useQuery({
    queryKey: ["projects", projectId, "milestones"],
    queryFn: async (): Promise<Milestone[]> =>
      unwrap(await tasksApi.GET("/api/v1/projects/{project_id}/milestones", { params: { path: { project_id: projectId }, query: { limit: 200 } } })).items,
  });
  const all = milestones.data ?? [];
  const chosen = all.find((m) => m.id === params.get("milestone")) ?? all.find((m) => m.state === "open") ?? all[0];
  const milestoneId = chosen?.id ?? "";
  const path = { milestone_id: milestoneId };

  const burndown = useQuery({
    queryKey: ["projects", projectId, "reports", "burndown", milestoneId, tz],
    enabled: Boolean(milestoneId),
    queryFn: async () => unwrap(await reportingApi.GET("/api/v1/reports/milestones/{milestone_id}/burndown", { params: { path, query: { tz } } })) as BurndownRead,
  });
  const download = useMutation({
    mutationFn: async () => {
      const text = unwrap(await reportingApi.GET("/api/v1/reports/milestones/{milestone_id}/burndown", { params: { path, query: { tz, format: "csv" } }, parseAs: "text" }));
      saveFile(String(text), `burndown-${milestoneId.slice(0, 8)}.csv`);
    },
    onError: (error) => toast.show(describe(error), "error"),
  });

  const choose = (id: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        next.set("milestone", id);
        return next;
      },
      { replace: true },
    );

  return (
    <section aria-labelledby="burndown-heading" className="flex flex-col gap-2">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <h2 id="burndown-heading" className="font-semibold">
          Burndown
        </h2>
        {all.length ? (
          <div className="flex items-end gap-2">
            <SelectField label="Milestone" value={milestoneId} onChange={(e) => choose(e.target.value)}>
              {all.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.title}
                  {m.state === "closed" ? " (closed)" : ""}
                </option>
              ))}
            </SelectField>
            <Button variant="secondary" disabled={download.isPending} onClick={() => download.mutate()} aria-label="Download the burndown as CSV">
              CSV
            </Button>
          </div>
        ) : null}
      </div>
      {milestones.isPending || (milestoneId && burndown.isPending) ? <Skeleton lines={4} /> : null}
      {milestones.isError ? <FormError message={describe(milestones.error)} /> : null}
      {burndown.isError ? <FormError message={describe(burndown.error)} /> : null}
      {milestones.data && !all.length ? <Empty title="No milestones yet">Add one on the Milestones tab and put tasks in it: its burndown shows here.</Empty> : null}
      {burndown.data && !burndown.data.items.length ? <Empty title="No history for this milestone yet" /> : null}
      {burndown.data?.items.length ? (
        <figure aria-label="Burndown chart">
          <BurndownChart items={burndown.data.items} />
          <figcaption className="text-xs text-slate-600 dark:text-slate-400">
            {(() => {
              const last = burndown.data.items[burndown.data.items.length - 1];
              return last ? `${last.remaining} of ${last.scope} tasks remaining on ${last.day}` : null;
            })()}
            {burndown.data.due_date ? `; due ${burndown.data.due_date}` : ""}
          </figcaption>
        </figure>
      ) : null}
    </section>
  );
}
