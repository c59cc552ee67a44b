/** A project's frame: its name and the views as tabs (Board, List, Members, Reports, Labels, Milestones, Webhooks, Trash, Workflow for admins) and its archive/trash actions. */
import { NavLink, Outlet, useParams } from "react-router";

import { describe } from "../../api/errors";
import { FormError, Skeleton } from "../../components/ui";
import { QuickAdd } from "../tasks/QuickAdd";
import { useProject } from "../tasks/queries";
import { ArchivedBanner, ProjectActions } from "./lifecycle";

export default function ProjectLayout() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  if (project.isPending) return <Skeleton />;
  if (project.isError) return <FormError message={describe(project.error)} />;
  const tab = ({ isActive }: { isActive: boolean }) =>
    `border-b-2 px-3 py-2 text-sm ${isActive ? "border-indigo-600 font-medium" : "border-transparent hover:border-slate-300"}`;
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <p className="text-xs font-semibold text-slate-500">{project.data.key}</p>
          <h1 className="text-2xl font-semibold">{project.data.name}</h1>
        </div>
        <ProjectActions project={project.data} />
      </div>
      <ArchivedBanner project={project.data} />
      {/* Scrolls sideways on a narrow screen instead of widening the page. */}
      <nav aria-label="Views" className="flex gap-2 overflow-x-auto whitespace-nowrap border-b border-slate-200 dark:border-slate-800">
        <NavLink to="board" className={tab}>
          Board
        </NavLink>
        <NavLink to="list" className={tab}>
          List
        </NavLink>
        <NavLink to="calendar" className={tab}>
          Calendar
        </NavLink>
        <NavLink to="members" className={tab}>
          Members
        </NavLink>
        <NavLink to="reports" className={tab}>
          Reports
        </NavLink>
        <NavLink to="labels" className={tab}>
          Labels
        </NavLink>
        <NavLink to="milestones" className={tab}>
          Milestones
        </NavLink>
        <NavLink to="webhooks" className={tab}>
          Webhooks
        </NavLink>
        <NavLink to="trash" className={tab}>
          Trash
        </NavLink>
        {project.data.role === "owner" || project.data.role === "admin" ? (
          <NavLink to="workflow" className={tab}>
            Workflow
          </NavLink>
        ) : null}
      </nav>
      {project.data.role !== "viewer" && project.data.archived_at == null ? <QuickAdd project={project.data} /> : null}
      <Outlet />
    </div>
  );
}
