/**
 * The team report (`GET /reports/projects/{id}/team`): per person, tasks assigned, completed and
 * overdue as bars, with on-time rate and median cycle time in a table (the same numbers a
 * screen reader reads). The API answers it to the project's owners and admins only; others
 * get a sentence instead of an error.
 */
import { useMutation, useQuery } from "@tanstack/react-query";

import { reportingApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { components } from "../../api/generated/reporting";
import { useToast } from "../../components/toasts";
import { Button, Empty, FormError, Skeleton } from "../../components/ui";
import { useMembers } from "../tasks/queries";
import { TeamChart } from "./Charts";
import { saveFile } from "./download";

type TeamRead = components["schemas"]["TeamRead"];

function percent(rate: number | null): string {
  return rate == null ? "–" : `${Math.round(rate * 100)} %`;
}

export function Team({ projectId, tz }: { projectId: string; tz: string }) {
  const toast = useToast();
  const members = useMembers(projectId);
  const path = { project_id: projectId };
  const team = useQuery({
    queryKey: ["projects", projectId, "reports", "team", tz],
    queryFn: async () => unwrap(await reportingApi.GET("/api/v1/reports/projects/{project_id}/team", { params: { path, query: { tz } } })) as TeamRead,
  });
  const download = useMutation({
    mutationFn: async () => {
      const text = unwrap(await reportingApi.GET("/api/v1/reports/projects/{project_id}/team", { params: { path, query: { tz, format: "csv" } }, parseAs: "text" }));
      saveFile(String(text), `team-${projectId.slice(0, 8)}.csv`);
    },
    onError: (error) => toast.show(describe(error), "error"),
  });
  const names = new Map((members.data ?? []).map((m) => [m.user_id, m.display_name ?? m.email ?? "Someone"]));
  const nameOf = (id: string) => names.get(id) ?? "Former member";
  const closed = team.error instanceof ApiError && (team.error.status === 403 || team.error.status === 404);
  const rows = (team.data?.items ?? []).map((m) => ({ ...m, name: nameOf(m.user_id) }));

  return (
    <section aria-labelledby="team-heading" className="flex flex-col gap-2">
      <div className="flex items-center justify-between">
        <h2 id="team-heading" className="font-semibold">
          Team
        </h2>
        {team.data ? (
          <Button variant="secondary" disabled={download.isPending} onClick={() => download.mutate()} aria-label="Download the team report as CSV">
            CSV
          </Button>
        ) : null}
      </div>
      {team.isPending ? <Skeleton lines={3} /> : null}
      {closed ? <p className="text-sm text-slate-600 dark:text-slate-300">Only the project's owners and admins see the team report.</p> : null}
      {team.isError && !closed ? <FormError message={describe(team.error)} /> : null}
      {team.data && !rows.length ? <Empty title="Nobody has tasks assigned yet">Assign tasks to people: their figures show here.</Empty> : null}
      {rows.length ? (
        <>
          <figure aria-label="Team chart">
            {/* Only the plotted fields: Recharts copies a point's keys onto its SVG shapes, and a
                `role` key there ("owner") is an invalid ARIA role (axe-core, critical). */}
            <TeamChart rows={rows.map(({ name, assigned, completed, overdue }) => ({ name, assigned, completed, overdue }))} />
          </figure>
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Figures per person</caption>
              <thead>
                <tr className="border-b border-slate-200 dark:border-slate-700">
                  <th scope="col" className="py-1 pr-2">
                    Person
                  </th>
                  <th scope="col" className="py-1 pr-2 text-right">
                    Assigned
                  </th>
                  <th scope="col" className="py-1 pr-2 text-right">
                    Completed
                  </th>
                  <th scope="col" className="py-1 pr-2 text-right">
                    Overdue
                  </th>
                  <th scope="col" className="py-1 pr-2 text-right">
                    On time
                  </th>
                  <th scope="col" className="py-1 text-right">
                    Cycle (median)
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.user_id} className="border-b border-slate-100 dark:border-slate-800">
                    <th scope="row" className="py-1 pr-2 font-medium">
                      {r.name}
                      {r.role ? <span className="ml-1 text-xs font-normal text-slate-600 dark:text-slate-400">{r.role}</span> : null}
                    </th>
                    <td className="py-1 pr-2 text-right">{r.assigned}</td>
                    <td className="py-1 pr-2 text-right">{r.completed}</td>
                    <td className="py-1 pr-2 text-right">{r.overdue}</td>
                    <td className="py-1 pr-2 text-right">{percent(r.on_time_rate)}</td>
                    <td className="py-1 text-right">{r.median_cycle_hours == null ? "–" : `${r.median_cycle_hours.toFixed(1)} h`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
