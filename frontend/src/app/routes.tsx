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
        ],
      },
      { path: "projects/:projectId/tasks/:taskId", lazy: page(() => import("../features/tasks/TaskDetail")) },
      { path: "*", lazy: page(() => import("./NotFound")) },
    ],
  },
];

export function makeRouter() {
  return createBrowserRouter(routes);
}
