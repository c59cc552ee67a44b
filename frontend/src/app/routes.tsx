/**
 * Every screen is its own lazy chunk: the first screen loads React, the router, the query
 * client and the screen it shows, nothing else. The mails' links land here too:
 * /verify-email, /confirm-email, /reset-password, /projects/:id, /projects/:id/tasks/:taskId, /tasks/:taskId,
 * /settings/notifications.
 */
import { createBrowserRouter, Navigate, type RouteObject } from "react-router";

type Loader = () => Promise<{ default: React.ComponentType }>;
const page = (load: Loader) => async () => ({ Component: (await load()).default });

export const routes: RouteObject[] = [
  { path: "/sign-in", lazy: page(() => import("../features/auth/SignIn")) },
  { path: "/register", lazy: page(() => import("../features/auth/Register")) },
  { path: "/verify-email", lazy: page(() => import("../features/auth/VerifyEmail")) },
  { path: "/confirm-email", lazy: page(() => import("../features/auth/ConfirmEmail")) },
  { path: "/forgot-password", lazy: page(() => import("../features/auth/ForgotPassword")) },
  { path: "/reset-password", lazy: page(() => import("../features/auth/ResetPassword")) },
  {
    path: "/",
    lazy: page(() => import("./Layout")),
    children: [
      { index: true, element: <Navigate to="/projects" replace /> },
      { path: "projects", lazy: page(() => import("../features/projects/ProjectsPage")) },
      { path: "my-tasks", lazy: page(() => import("../features/tasks/MyTasks")) },
      // webtask: calendar of my due tasks (the project's is under projects/:projectId/calendar).
      { path: "my-tasks/calendar", lazy: page(() => import("../features/calendar/CalendarPage")) },
      { path: "tasks/:taskId", lazy: page(() => import("../features/tasks/TaskDetail")) },
      // A task by its key (an old key of a moved task redirects to it; branch web2).
      { path: "t/:key", lazy: page(() => import("../features/tasks/ByKey")) },
      { path: "settings/*", lazy: page(() => import("../features/settings/SettingsPage")) },
      {
        path: "projects/:projectId",
        lazy: page(() => import("../features/projects/ProjectLayout")),
        children: [
          { index: true, element: <Navigate to="board" replace /> },
          { path: "board", lazy: page(() => import("../features/board/BoardPage")) },
          { path: "list", lazy: page(() => import("../features/tasks/ListPage")) },
          { path: "calendar", lazy: page(() => import("../features/calendar/CalendarPage")) },
          { path: "members", lazy: page(() => import("../features/projects/MembersPage")) },
          { path: "workflow", lazy: page(() => import("../features/projects/WorkflowPage")) },
          // Recharts only loads here: its own chunk, not the first screen's.
          { path: "reports", lazy: page(() => import("../features/reports/ReportsPage")) },
          { path: "webhooks", lazy: page(() => import("../features/projects/WebhooksPage")) },
          // Issue 18, project-level screens (branch webproj).
          { path: "labels", lazy: page(() => import("../features/labels/LabelsPage")) },
          { path: "milestones", lazy: page(() => import("../features/milestones/MilestonesPage")) },
          { path: "trash", lazy: page(() => import("../features/projects/TrashPage")) },
        ],
      },
      { path: "projects/:projectId/tasks/:taskId", lazy: page(() => import("../features/tasks/TaskDetail")) },
      // Issue 18, archived projects, audit (auditors, admins) and admin screens (branch webproj).
      { path: "projects/archived", lazy: page(() => import("../features/projects/ArchivedProjectsPage")) },
      { path: "projects/trash", lazy: page(() => import("../features/projects/TrashedProjectsPage")) },
      { path: "audit", lazy: page(() => import("../features/audit/AuditPage")) },
      { path: "audit/events/:eventId", lazy: page(() => import("../features/audit/AuditEntry")) },
      {
        path: "admin",
        lazy: page(() => import("../features/admin/AdminLayout")),
        children: [
          { index: true, element: <Navigate to="users" replace /> },
          { path: "users", lazy: page(() => import("../features/admin/UsersPage")) },
          { path: "deliveries", lazy: page(() => import("../features/admin/DeliveriesPage")) },
          { path: "parked", lazy: page(() => import("../features/admin/ParkedPage")) },
        ],
      },
      { path: "*", lazy: page(() => import("./NotFound")) },
    ],
  },
];

export function makeRouter() {
  return createBrowserRouter(routes);
}
