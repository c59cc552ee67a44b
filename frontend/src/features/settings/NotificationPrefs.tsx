/**
 * Notification preferences: a channel switch per kind (optimistic, rolled back on failure),
 * the daily digest, and the private calendar feed URL. Notifications keeps only a hash of the
 * feed's secret, so the URL can be shown only when it is made: "rotate" makes a new one (the
 * old URL stops working) and shows it once with a copy button.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { notificationsApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { components } from "../../api/generated/notifications";
import { useToast } from "../../components/toasts";
import { Button, FormError, SelectField, Skeleton } from "../../components/ui";

type Prefs = components["schemas"]["PreferencesRead"];
type Update = components["schemas"]["PreferencesUpdate"];
type Kind = components["schemas"]["Kind"];
type Channel = keyof components["schemas"]["ChannelSet"];
const KEY = ["notifications", "preferences"];

/** Words for each kind, in the order shown; `Record<Kind, ...>` fails the type check when a kind is added. */
export const KIND_LABELS: Record<Kind, string> = {
  task_assigned: "A task is assigned to me",
  task_updated: "A task of mine changes",
  task_completed: "A task of mine is completed",
  task_unblocked: "A task of mine is no longer blocked",
  task_due: "A task of mine is due",
  comment_added: "Someone comments on my task",
  mentioned: "Someone mentions me",
  member_added: "I am added to a project",
  reminder: "Reminders",
  overdue: "A task of mine is overdue",
  webhook_disabled: "A webhook of mine is disabled",
};
const CHANNELS: { channel: Channel; label: string }[] = [
  { channel: "in_app", label: "In app" },
  { channel: "email", label: "Email" },
  { channel: "calendar", label: "Calendar" },
];

export default function NotificationPrefs() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [feedUrl, setFeedUrl] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const prefs = useQuery({ queryKey: KEY, queryFn: async () => unwrap(await notificationsApi.GET("/api/v1/notifications/preferences")) });

  const save = useMutation({
    mutationFn: async (body: Update) => unwrap(await notificationsApi.PUT("/api/v1/notifications/preferences", { body })),
    onMutate: async (body) => {
      setErrors({});
      await queryClient.cancelQueries({ queryKey: KEY });
      const before = queryClient.getQueryData<Prefs>(KEY);
      if (before) {
        queryClient.setQueryData<Prefs>(KEY, {
          ...before,
          ...(body.digest ? { digest: body.digest } : {}),
          ...(body.digest_hour != null ? { digest_hour: body.digest_hour } : {}),
          kinds: { ...before.kinds, ...(body.kinds ?? {}) },
        });
      }
      return { before };
    },
    onError: (error, _body, context) => {
      if (context?.before) queryClient.setQueryData(KEY, context.before);
      const fields = error instanceof ApiError ? error.fieldErrors() : {};
      if (Object.keys(fields).length) setErrors(fields);
      toast.show(describe(error), "error");
    },
    onSuccess: (saved) => {
      queryClient.setQueryData(KEY, saved);
      toast.show("Preferences saved");
    },
  });
  const rotate = useMutation({
    mutationFn: async () => unwrap(await notificationsApi.POST("/api/v1/calendar/feed")).url,
    onSuccess: (url) => setFeedUrl(url),
    onError: (error) => toast.show(describe(error), "error"),
  });

  function toggle(kind: Kind, channel: Channel, on: boolean) {
    const current = prefs.data?.kinds[kind];
    if (!current) return;
    save.mutate({ kinds: { [kind]: { ...current, [channel]: on } } });
  }
  async function copy(url: string) {
    try {
      await navigator.clipboard.writeText(url);
      toast.show("Feed URL copied");
    } catch {
      toast.show("Could not copy: select the URL and copy it by hand.", "error");
    }
  }

  const kinds = (Object.keys(KIND_LABELS) as Kind[]).filter((k) => prefs.data?.kinds[k]);
  return (
    <>
      <section id="notifications" aria-labelledby="prefs-heading" className="flex flex-col gap-3">
        <h2 id="prefs-heading" className="font-semibold">
          Notifications
        </h2>
        {prefs.isPending ? <Skeleton lines={3} /> : null}
        {prefs.isError ? <FormError message={describe(prefs.error)} /> : null}
        {prefs.data ? (
          <>
            <div className="overflow-x-auto">
              <table className="w-full text-sm">
                <caption className="sr-only">Where each kind of notification goes</caption>
                <thead>
                  <tr className="text-left text-slate-500">
                    <th scope="col" className="py-1 font-medium">
                      When
                    </th>
                    {CHANNELS.map((c) => (
                      <th key={c.channel} scope="col" className="px-2 py-1 text-center font-medium">
                        {c.label}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {kinds.map((kind) => (
                    <tr key={kind} className="border-t border-slate-200 dark:border-slate-800">
                      <th scope="row" className="py-1.5 text-left font-normal">
                        {KIND_LABELS[kind]}
                      </th>
                      {CHANNELS.map(({ channel, label }) =>
                        // Calendar entries are made for due dates only (the API ignores it elsewhere).
                        channel === "calendar" && kind !== "task_due" ? (
                          <td key={channel} />
                        ) : (
                          <td key={channel} className="px-2 text-center">
                            <input
                              type="checkbox"
                              aria-label={`${KIND_LABELS[kind]}: ${label}`}
                              checked={prefs.data.kinds[kind]?.[channel] ?? false}
                              onChange={(e) => toggle(kind, channel, e.target.checked)}
                            />
                          </td>
                        ),
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="flex flex-wrap items-end gap-3">
              <SelectField label="Email digest" value={prefs.data.digest ?? "off"} onChange={(e) => save.mutate({ digest: e.target.value as "off" | "daily" })}>
                <option value="off">Off</option>
                <option value="daily">Daily</option>
              </SelectField>
              {prefs.data.digest === "daily" ? (
                <div className="flex flex-col gap-1">
                  <SelectField
                    label="Digest hour"
                    aria-invalid={errors.digest_hour ? true : undefined}
                    value={prefs.data.digest_hour ?? 8}
                    onChange={(e) => save.mutate({ digest_hour: Number(e.target.value) })}
                  >
                    {Array.from({ length: 24 }, (_, h) => (
                      <option key={h} value={h}>
                        {String(h).padStart(2, "0")}:00
                      </option>
                    ))}
                  </SelectField>
                  {errors.digest_hour ? <p className="text-sm text-red-700 dark:text-red-400">{errors.digest_hour}</p> : null}
                </div>
              ) : null}
            </div>
          </>
        ) : null}
      </section>
      <section aria-labelledby="feed-heading" className="flex flex-col gap-2">
        <h2 id="feed-heading" className="font-semibold">
          Calendar feed
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Subscribe to your due dates from any calendar app. The URL is private and shown only when it is made; a new one stops the old one.
        </p>
        {feedUrl ? (
          <div role="status" className="flex items-center gap-2 rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm dark:border-emerald-800 dark:bg-emerald-950">
            <code aria-label="Feed URL" className="flex-1 break-all">
              {feedUrl}
            </code>
            <Button variant="secondary" onClick={() => void copy(feedUrl)}>
              Copy
            </Button>
          </div>
        ) : null}
        <div>
          <Button variant="secondary" disabled={rotate.isPending} onClick={() => rotate.mutate()}>
            {feedUrl ? "Rotate feed URL" : "Make a new feed URL"}
          </Button>
        </div>
      </section>
    </>
  );
}
