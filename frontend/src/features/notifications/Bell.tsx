/** The bell: unread count (kept live by the socket bridge) and the latest notifications. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";

import { notificationsApi } from "../../api/client";
import { unwrap } from "../../api/errors";

/** A notification's link is absolute (mails need that); inside the app follow its path only. */
function appPath(link: string | null | undefined): string | null {
  if (!link) return null;
  try {
    const url = new URL(link, window.location.origin);
    return url.pathname + url.search;
  } catch {
    return null;
  }
}

export function Bell() {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const panel = useRef<HTMLDivElement>(null);
  const count = useQuery({
    queryKey: ["notifications", "unread-count"],
    queryFn: async () => unwrap(await notificationsApi.GET("/api/v1/notifications/unread-count")).count,
  });
  const list = useQuery({
    queryKey: ["notifications", "list"],
    queryFn: async () => unwrap(await notificationsApi.GET("/api/v1/notifications", { params: { query: { limit: 20 } } })).items,
    enabled: open,
  });
  const readAll = useMutation({
    mutationFn: async () => unwrap(await notificationsApi.POST("/api/v1/notifications/read-all")),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["notifications"] }),
  });
  const readOne = useMutation({
    mutationFn: async (id: string) => unwrap(await notificationsApi.POST("/api/v1/notifications/{notification_id}/read", { params: { path: { notification_id: id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["notifications"] }),
  });

  useEffect(() => {
    if (!open) return;
    const close = (event: KeyboardEvent | MouseEvent) => {
      if (event instanceof KeyboardEvent ? event.key === "Escape" : !panel.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", close);
    document.addEventListener("mousedown", close);
    return () => {
      document.removeEventListener("keydown", close);
      document.removeEventListener("mousedown", close);
    };
  }, [open]);

  const unread = count.data ?? 0;
  return (
    <div className="relative" ref={panel}>
      <button
        type="button"
        aria-label={`Notifications, ${unread} unread`}
        aria-expanded={open}
        onClick={() => setOpen((v) => !v)}
        className="relative rounded-md p-2 hover:bg-slate-100 dark:hover:bg-slate-800"
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2">
          <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        </svg>
        {unread > 0 ? (
          <span data-testid="unread-count" className="absolute -top-0.5 -right-0.5 min-w-5 rounded-full bg-red-600 px-1 text-center text-xs font-semibold text-white">
            {unread > 99 ? "99+" : unread}
          </span>
        ) : null}
      </button>
      {open ? (
        <div className="absolute right-0 z-40 mt-2 w-80 max-w-[calc(100vw-1rem)] rounded-lg border border-slate-200 bg-white shadow-xl dark:border-slate-700 dark:bg-slate-900">
          <div className="flex items-center justify-between border-b border-slate-200 px-3 py-2 dark:border-slate-700">
            <h2 className="text-sm font-semibold">Notifications</h2>
            <button type="button" className="text-xs text-indigo-700 underline dark:text-indigo-300" onClick={() => readAll.mutate()}>
              Mark all read
            </button>
          </div>
          <ul className="max-h-96 overflow-y-auto">
            {list.data?.length === 0 ? <li className="p-4 text-sm text-slate-500">Nothing yet. You hear here when someone assigns, mentions or comments.</li> : null}
            {list.data?.map((n) => {
              const path = appPath(n.link);
              const content = (
                <>
                  <span className={`block text-sm ${n.read_at ? "" : "font-semibold"}`}>{n.title}</span>
                  {n.body ? <span className="block truncate text-xs text-slate-500">{n.body}</span> : null}
                </>
              );
              return (
                <li key={n.id} className="border-b border-slate-100 last:border-0 dark:border-slate-800">
                  {path ? (
                    <Link to={path} className="block px-3 py-2 hover:bg-slate-50 dark:hover:bg-slate-800" onClick={() => { if (!n.read_at) readOne.mutate(n.id); setOpen(false); }}>
                      {content}
                    </Link>
                  ) : (
                    <div className="px-3 py-2">{content}</div>
                  )}
                </li>
              );
            })}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
