/** Archived projects (`GET /projects?archived=true`): open one read-only, or unarchive it. */
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { Project } from "../../api/types";
import { Button, Empty, FormError, Skeleton } from "../../components/ui";
import { keys } from "../tasks/queries";
import { lifecycleRights, useSetArchived } from "./lifecycle";

export default function ArchivedProjectsPage() {
  const projects = useQuery({
    queryKey: keys.projects({ archived: true }),
    queryFn: async (): Promise<Project[]> =>
      unwrap(await tasksApi.GET("/api/v1/projects", { params: { query: { archived: true, limit: 200 } } })).items,
  });
  const setArchived = useSetArchived();
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold">Archived projects</h1>
        <Link to="/projects" className="text-sm text-indigo-700 hover:underline dark:text-indigo-300">
          Back to projects
        </Link>
      </div>
      {projects.isPending ? <Skeleton /> : null}
      {projects.isError ? <FormError message={describe(projects.error)} /> : null}
      {projects.data?.length === 0 ? (
        <Empty title="No archived projects">Archive a finished project from its page (“Archive project”): it stays readable here and out of your list.</Empty>
      ) : null}
      <ul className="flex flex-col gap-2">
        {projects.data?.map((p) => (
          <li key={p.id} className="flex flex-wrap items-center gap-3 rounded-md border border-slate-200 p-3 dark:border-slate-800">
            <Link to={`/projects/${p.id}/list`} className="min-w-0 flex-1 hover:underline">
              <span className="mr-2 text-xs font-semibold text-slate-500">{p.key}</span>
              <span className="font-medium">{p.name}</span>
            </Link>
            {lifecycleRights(p.role).archive ? (
              <Button variant="secondary" disabled={setArchived.isPending} onClick={() => setArchived.mutate({ project: p, archived: false })} aria-label={`Unarchive ${p.name}`}>
                Unarchive
              </Button>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
