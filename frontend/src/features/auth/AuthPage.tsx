import type { ReactNode } from "react";
import { Link } from "react-router";

/** The frame of the signed-out screens. */
export function AuthPage({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="flex min-h-screen items-start justify-center px-4 pt-16 sm:pt-24">
      <div className="w-full max-w-sm">
        <Link to="/" className="mb-8 block text-center text-xl font-bold text-indigo-700 dark:text-indigo-300">
          Taskflow
        </Link>
        <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <h1 className="mb-4 text-lg font-semibold">{title}</h1>
          {children}
        </div>
        {footer ? <div className="mt-4 text-center text-sm text-slate-600 dark:text-slate-400">{footer}</div> : null}
      </div>
    </main>
  );
}
