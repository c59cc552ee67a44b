/**
 * Settings: the account (profile, email, password, two-step sign-in), its signed-in sessions,
 * API tokens, notification preferences and the calendar feed.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useLocation } from "react-router";

import { authApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import { useToast } from "../../components/toasts";
import { Button, FormError, Skeleton } from "../../components/ui";
import { useMe } from "../auth/useMe";
import ApiTokens from "./ApiTokens";
import { EmailChange } from "./EmailChange";
import NotificationPrefs from "./NotificationPrefs";
import { PasswordChange } from "./PasswordChange";
import { Profile } from "./Profile";
import { TwoStep } from "./TwoStep";

export default function SettingsPage() {
  const me = useMe();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { pathname } = useLocation();
  // The mails' "change your preferences" link lands on /settings/notifications.
  useEffect(() => {
    if (pathname.endsWith("/notifications")) document.getElementById("notifications")?.scrollIntoView?.();
  }, [pathname]);
  const sessions = useQuery({
    queryKey: ["auth", "sessions"],
    queryFn: async () => unwrap(await authApi.GET("/api/v1/auth/sessions")).items,
  });
  const revoke = useMutation({
    mutationFn: async (id: string) => unwrap(await authApi.DELETE("/api/v1/auth/sessions/{session_id}", { params: { path: { session_id: id } } })),
    onSuccess: () => toast.show("Session signed out"),
    onError: (error) => toast.show(describe(error), "error"),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["auth", "sessions"] }),
  });
  const revokeOthers = useMutation({
    mutationFn: async () => unwrap(await authApi.POST("/api/v1/auth/sessions/revoke-all", { params: { query: { keep_current: true } } })),
    onSuccess: (answer) => toast.show(answer.revoked === 1 ? "1 other session signed out" : `${answer.revoked} other sessions signed out`),
    onError: (error) => toast.show(describe(error), "error"),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["auth", "sessions"] }),
  });
  const others = (sessions.data ?? []).filter((s) => !s.current).length;
  return (
    <div className="flex max-w-2xl flex-col gap-6">
      <h1 className="text-2xl font-semibold">Settings</h1>
      <section aria-labelledby="account-heading">
        <h2 id="account-heading" className="mb-2 font-semibold">
          Account
        </h2>
        {me.data ? (
          <dl className="grid grid-cols-[8rem_1fr] gap-1 text-sm">
            <dt className="text-slate-500">Name</dt>
            <dd>{me.data.display_name}</dd>
            <dt className="text-slate-500">Email</dt>
            <dd>
              {me.data.email} {me.data.email_verified ? "(confirmed)" : "(not confirmed yet)"}
            </dd>
            <dt className="text-slate-500">Two-step</dt>
            <dd>{me.data.mfa_enabled ? "On" : "Off"}</dd>
            <dt className="text-slate-500">Time zone</dt>
            <dd>{me.data.timezone}</dd>
          </dl>
        ) : (
          <Skeleton lines={2} />
        )}
      </section>
      {me.data ? (
        <>
          {/* Keyed by version: a saved or reloaded profile refills the form. */}
          <Profile key={me.data.version} me={me.data} />
          <EmailChange current={me.data.email} />
          <PasswordChange />
          <TwoStep me={me.data} />
        </>
      ) : null}
      <section aria-labelledby="sessions-heading">
        <h2 id="sessions-heading" className="mb-2 font-semibold">
          Signed-in sessions
        </h2>
        {sessions.isError ? <FormError message={describe(sessions.error)} /> : null}
        <ul className="flex flex-col gap-2">
          {sessions.data?.map((s) => (
            <li key={s.id} className="flex items-center justify-between rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800">
              <span>
                {s.device ?? "Unknown device"} {s.current ? <strong>(this one)</strong> : null}
                <span className="block text-xs text-slate-500">Last used {new Date(s.last_used_at ?? s.created_at).toLocaleString()}</span>
              </span>
              {!s.current ? (
                <Button variant="secondary" onClick={() => revoke.mutate(s.id)}>
                  Sign out
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
        {others ? (
          <Button variant="secondary" className="mt-2" disabled={revokeOthers.isPending} onClick={() => revokeOthers.mutate()}>
            Sign out all other sessions
          </Button>
        ) : null}
      </section>
      <ApiTokens />
      <NotificationPrefs />
    </div>
  );
}
