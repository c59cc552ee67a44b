/** The signed-in frame: top bar (projects, bell, account) around the current screen. */
import { Suspense, useEffect, useRef } from "react";
import { Link, NavLink, Navigate, Outlet, useLocation, useNavigate } from "react-router";

import { Skeleton } from "../components/ui";
import { useAuth } from "../features/auth/AuthProvider";
import { useMe } from "../features/auth/useMe";
import { RoleNavLinks } from "../features/admin/roles";
import { Bell } from "../features/notifications/Bell";
import { ConflictDialog } from "../features/tasks/ConflictDialog";
import { LiveProvider } from "../live/LiveProvider";
import { ThemeSwitch } from "../components/ThemeSwitch";
import { moveRow } from "./rows";
import { SHORTCUTS, shortcutFor } from "./shortcuts";

export default function Layout() {
  const { status, signOut } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const me = useMe();
  const help = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const key = shortcutFor(event);
      if (!key) return;
      const focus = (name: string) => document.querySelector<HTMLElement>(`[data-shortcut="${name}"]`)?.focus();
      event.preventDefault();
      if (key === "c") focus("quick-add");
      else if (key === "/") focus("search");
      else if (key === "j") moveRow(1);
      else if (key === "k") moveRow(-1);
      else if (key === "?") help.current?.showModal();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  if (status === "loading") return <div className="p-8"><Skeleton /></div>;
  if (status === "anonymous") {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/sign-in?next=${next}`} replace />;
  }

  const navClass = ({ isActive }: { isActive: boolean }) =>
    `rounded-md px-2 py-1 text-sm ${isActive ? "bg-slate-200 font-medium dark:bg-slate-800" : "hover:bg-slate-100 dark:hover:bg-slate-800"}`;

  return (
    <LiveProvider>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-30 flex flex-wrap items-center gap-x-3 gap-y-1 border-b border-slate-200 bg-white/90 px-4 py-2 backdrop-blur dark:border-slate-800 dark:bg-slate-950/90">
        <Link to="/projects" className="font-bold text-indigo-700 dark:text-indigo-300">
          Taskflow
        </Link>
        {/* Below 640 px the links take a row of their own under the name, the bell and the
            account (nothing scrolls sideways or is cut off at 360 px). */}
        <nav aria-label="Main" className="order-last flex w-full flex-wrap gap-1 sm:order-none sm:w-auto sm:flex-nowrap sm:whitespace-nowrap">
          <NavLink to="/projects" className={navClass}>
            Projects
          </NavLink>
          <NavLink to="/my-tasks" className={navClass}>
            My tasks
          </NavLink>
          <RoleNavLinks className={navClass} />
        </nav>
        <div className="ml-auto flex items-center gap-2">
          <Bell />
          <details className="relative">
            <summary className="cursor-pointer list-none rounded-md px-2 py-1 text-sm hover:bg-slate-100 dark:hover:bg-slate-800" aria-label={`Account: ${me.data?.display_name ?? "menu"}`}>
              <span className="block max-w-[9rem] truncate">{me.data?.display_name ?? "Account"}</span>
            </summary>
            <div className="absolute right-0 z-40 mt-2 flex w-56 flex-col rounded-lg border border-slate-200 bg-white p-1 shadow-xl dark:border-slate-700 dark:bg-slate-900">
              <span className="truncate px-3 py-2 text-xs text-slate-600 dark:text-slate-400">{me.data?.email}</span>
              <ThemeSwitch />
              <Link to="/settings" className="rounded px-3 py-2 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-800">
                Settings
              </Link>
              <button type="button" className="rounded px-3 py-2 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-800" onClick={() => void signOut().then(() => navigate("/sign-in"))}>
                Sign out
              </button>
              <button type="button" className="rounded px-3 py-2 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-800" onClick={() => void signOut(true).then(() => navigate("/sign-in"))}>
                Sign out everywhere
              </button>
            </div>
          </details>
        </div>
      </header>
      {me.data && !me.data.email_verified ? (
        <p className="bg-amber-50 px-4 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
          Please confirm your email address with the link we sent to {me.data.email}.
        </p>
      ) : null}
      <dialog ref={help} aria-labelledby="shortcuts-heading" className="m-auto rounded-lg p-6 backdrop:bg-black/40 dark:bg-slate-900 dark:text-slate-100">
        <h2 id="shortcuts-heading" className="mb-3 font-semibold">
          Keyboard shortcuts
        </h2>
        <dl className="grid grid-cols-[3rem_1fr] gap-2 text-sm">
          {SHORTCUTS.map((s) => (
            <div key={s.key} className="contents">
              <dt>
                <kbd className="rounded border border-slate-300 px-1.5">{s.key}</kbd>
              </dt>
              <dd>{s.description}</dd>
            </div>
          ))}
          <dt>
            <kbd className="rounded border border-slate-300 px-1.5">Space</kbd>
          </dt>
          <dd>On a board card: pick up, move with arrows, Space to drop</dd>
        </dl>
        <form method="dialog" className="mt-4 text-right">
          <button className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm text-white">Close</button>
        </form>
      </dialog>
      <ConflictDialog />
      <main id="main" className="mx-auto max-w-7xl px-4 py-6">
        <Suspense fallback={<Skeleton />}>
          <Outlet />
        </Suspense>
      </main>
    </LiveProvider>
  );
}
