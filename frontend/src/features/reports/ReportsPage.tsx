/**
 * A project's reports: summary figures, cumulative flow, throughput, a milestone's burndown and
 * the team's figures as charts, each with a CSV download (the API answers `?format=csv`). Days are the viewer's (`tz` = browser zone).
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { useParams } from "react-router";

import { reportingApi } from "../../api/client";
import type { components } from "../../api/generated/reporting";
import { describe, unwrap } from "../../api/errors";
import { useToast } from "../../components/toasts";
import { Button, Empty, FormError, SelectField, Skeleton } from "../../components/ui";
import { Burndown } from "./Burndown";
import { CumulativeFlowChart, ThroughputChart } from "./Charts";
import { Team } from "./Team";
import { localZone, saveFile } from "./download";

// Each report route declares both JSON and text/csv answers, so the generated type is their
// union; which one arrives is decided by `format` (JSON without it, CSV text with `csv`).
type Summary = components["schemas"]["SummaryRead"];
type Flow = components["schemas"]["CumulativeFlowRead"];
type Throughput = components["schemas"]["ThroughputRead"];
type Interval = "day" | "week";
type Report = "summary" | "cumulative-flow" | "throughput";

function percent(rate: number | null | undefined): string {
  return rate == null ? "–" : `${Math.round(rate * 100)} %`;
}

function hours(value: number | null | undefined): string {
  if (value == null) return "–";
  return value >= 48 ? `${(value / 24).toFixed(1)} d` : `${value.toFixed(1)} h`;
}

function Figure({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="rounded-md border border-slate-200 p-3 dark:border-slate-800">
      <dt className="text-xs text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="text-xl font-semibold">{value}</dd>
    </div>
  );
}

export default function ReportsPage() {
  const { projectId = "" } = useParams();
  const toast = useToast();
  const [interval, setPeriod] = useState<Interval>("day");
  const tz = localZone();
  const path = { project_id: projectId };

  const summary = useQuery({
    queryKey: ["projects", projectId, "reports", "summary", tz],
    queryFn: async () => unwrap(await reportingApi.GET("/api/v1/reports/projects/{project_id}/summary", { params: { path, query: { tz } } })) as Summary,
  });
  const flow = useQuery({
    queryKey: ["projects", projectId, "reports", "cumulative-flow", tz],
    queryFn: async () => unwrap(await reportingApi.GET("/api/v1/reports/projects/{project_id}/cumulative-flow", { params: { path, query: { tz } } })) as Flow,
  });
  const throughput = useQuery({
    queryKey: ["projects", projectId, "reports", "throughput", interval, tz],
    queryFn: async () =>
      unwrap(await reportingApi.GET("/api/v1/reports/projects/{project_id}/throughput", { params: { path, query: { tz, interval } } })) as Throughput,
  });

  const download = useMutation({
    mutationFn: async (report: Report) => {
      const query = { tz, format: "csv" as const };
      const text =
        report === "summary"
          ? unwrap(await reportingApi.GET("/api/v1/reports/projects/{project_id}/summary", { params: { path, query }, parseAs: "text" }))
          : report === "cumulative-flow"
            ? unwrap(await reportingApi.GET("/api/v1/reports/projects/{project_id}/cumulative-flow", { params: { path, query }, parseAs: "text" }))
            : unwrap(
                await reportingApi.GET("/api/v1/reports/projects/{project_id}/throughput", { params: { path, query: { ...query, interval } }, parseAs: "text" }),
              );
      saveFile(String(text), `${report}-${projectId.slice(0, 8)}.csv`);
    },
    onError: (error) => toast.show(describe(error), "error"),
  });

  const csv = (report: Report, what: string) => (
    <Button variant="secondary" disabled={download.isPending} onClick={() => download.mutate(report)} aria-label={`Download ${what} as CSV`}>
      CSV
    </Button>
  );
  const s = summary.data;

  return (
    <div className="flex flex-col gap-6">
      <section aria-labelledby="summary-heading" className="flex flex-col gap-2">
        <div className="flex items-center justify-between">
          <h2 id="summary-heading" className="font-semibold">
            Summary
          </h2>
          {csv("summary", "the summary")}
        </div>
        {summary.isPending ? <Skeleton lines={2} /> : null}
        {summary.isError ? <FormError message={describe(summary.error)} /> : null}
        {s ? (
          <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4">
            <Figure label="Tasks" value={s.total} />
            <Figure label="Done" value={s.by_category.done ?? 0} />
            <Figure label="Overdue" value={s.overdue} />
            <Figure label="Completion" value={percent(s.completion_rate)} />
            <Figure label="On time" value={percent(s.on_time_rate)} />
            <Figure label="Cycle time (median)" value={hours(s.cycle_time.median_hours)} />
            <Figure label="Lead time (median)" value={hours(s.lead_time.median_hours)} />
            <Figure label="Lead time (90th pct.)" value={hours(s.lead_time.p90_hours)} />
          </dl>
        ) : null}
      </section>

      <section aria-labelledby="flow-heading" className="flex flex-col gap-2">
        <div className="flex items-center justify-between">
          <h2 id="flow-heading" className="font-semibold">
            Cumulative flow (last 30 days)
          </h2>
          {csv("cumulative-flow", "the cumulative flow")}
        </div>
        {flow.isPending ? <Skeleton lines={4} /> : null}
        {flow.isError ? <FormError message={describe(flow.error)} /> : null}
        {flow.data && !flow.data.items.length ? <Empty title="No history yet">The chart fills in day by day as tasks are created and moved.</Empty> : null}
        {flow.data?.items.length ? (
          <figure aria-label="Cumulative flow chart">
            <CumulativeFlowChart items={flow.data.items} />
          </figure>
        ) : null}
      </section>

      <section aria-labelledby="throughput-heading" className="flex flex-col gap-2">
        <div className="flex flex-wrap items-end justify-between gap-2">
          <h2 id="throughput-heading" className="font-semibold">
            Throughput
          </h2>
          <div className="flex items-end gap-2">
            <SelectField label="Per" value={interval} onChange={(e) => setPeriod(e.target.value as Interval)}>
              <option value="day">Day</option>
              <option value="week">Week</option>
            </SelectField>
            {csv("throughput", "the throughput")}
          </div>
        </div>
        {throughput.isPending ? <Skeleton lines={4} /> : null}
        {throughput.isError ? <FormError message={describe(throughput.error)} /> : null}
        {throughput.data && !throughput.data.items.length ? <Empty title="Nothing created or completed yet" /> : null}
        {throughput.data?.items.length ? (
          <figure aria-label="Throughput chart">
            <ThroughputChart items={throughput.data.items} />
          </figure>
        ) : null}
      </section>

      <Burndown projectId={projectId} tz={tz} />
      <Team projectId={projectId} tz={tz} />
    </div>
  );
}
