/**
 * A project's webhooks (admins and owners): list endpoints, add one, edit or pause it,
 * rotate its secret, ping it, read its delivery log and redeliver a failed message (or every
 * failed one since a time), delete it.
 * A signing secret is shown once (on creation or rotation): the API never returns it again.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useParams } from "react-router";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { components } from "../../api/generated/tasks";
import { Button, Field, FormError, Skeleton } from "../../components/ui";
import { useProject } from "../tasks/queries";
import { fieldMessages } from "./WorkflowPage";

type Webhook = components["schemas"]["WebhookRead"];

/** "task.*, comment.created" -> ["task.*", "comment.created"]; the API judges each pattern. */
function eventList(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

const webhooksKey = (projectId: string) => ["projects", projectId, "webhooks"];

export default function WebhooksPage() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  const manage = project.data?.role === "owner" || project.data?.role === "admin";
  const queryClient = useQueryClient();
  const [secret, setSecret] = useState<string | null>(null);
  const list = useQuery({
    queryKey: webhooksKey(projectId),
    queryFn: async () => unwrap(await tasksApi.GET("/api/v1/projects/{project_id}/webhooks", { params: { path: { project_id: projectId } } })).items,
    enabled: manage,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: webhooksKey(projectId) });

  if (project.isPending) return <Skeleton />;
  if (!manage) return <p className="text-sm text-slate-600">Only the project's owners and admins manage its webhooks.</p>;
  if (list.isPending) return <Skeleton />;
  if (list.isError) return <FormError message={describe(list.error)} />;

  return (
    <div className="flex max-w-4xl flex-col gap-6">
      {secret ? <SecretOnce secret={secret} onDismiss={() => setSecret(null)} /> : null}
      {list.data.length === 0 ? <p className="text-sm text-slate-600">No webhooks yet.</p> : null}
      <ul aria-label="Webhooks" className="flex flex-col gap-3">
        {list.data.map((w) => (
          <li key={`${w.id}:${w.version}`} className="rounded-md border border-slate-200 p-3 dark:border-slate-800">
            <Endpoint webhook={w} onSecret={setSecret} onDone={refresh} />
          </li>
        ))}
      </ul>
      <AddWebhook projectId={projectId} onSecret={setSecret} onDone={refresh} />
    </div>
  );
}

/** The secret, once: copy it now, it cannot be read again. */
function SecretOnce({ secret, onDismiss }: { secret: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="alert" className="flex flex-col gap-2 rounded-md border border-amber-400 bg-amber-50 p-3 text-sm dark:bg-amber-950">
      <p className="font-medium">Copy this signing secret now: it will not be shown again.</p>
      <code aria-label="Signing secret" className="break-all">
        {secret}
      </code>
      <div className="flex gap-2">
        <Button
          variant="secondary"
          onClick={() => {
            void navigator.clipboard?.writeText(secret).then(() => setCopied(true));
          }}
        >
          {copied ? "Copied" : "Copy secret"}
        </Button>
        <Button variant="ghost" onClick={onDismiss}>
          I have stored it
        </Button>
      </div>
    </div>
  );
}

function Endpoint({ webhook, onSecret, onDone }: { webhook: Webhook; onSecret: (s: string) => void; onDone: () => void }) {
  const [url, setUrl] = useState(webhook.url);
  const [events, setEvents] = useState(webhook.event_types.join(", "));
  const [description, setDescription] = useState(webhook.description);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [log, setLog] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const path = { webhook_id: webhook.id };
  const ifMatch = { "If-Match": `"${webhook.version}"` };

  const save = useMutation({
    mutationFn: async (body: components["schemas"]["WebhookUpdate"]) =>
      unwrap(await tasksApi.PATCH("/api/v1/webhooks/{webhook_id}", { params: { path, header: ifMatch }, body })),
    onSuccess: () => setFields({}),
    onError: (e) => setFields(fieldMessages(e, "")),
    onSettled: onDone,
  });
  const rotate = useMutation({
    mutationFn: async () => unwrap(await tasksApi.POST("/api/v1/webhooks/{webhook_id}/rotate-secret", { params: { path } })),
    onSuccess: (answer) => onSecret(answer.secret),
    onError: (e) => setFields(fieldMessages(e, "")),
    onSettled: onDone,
  });
  const ping = useMutation({
    mutationFn: async () => unwrap(await tasksApi.POST("/api/v1/webhooks/{webhook_id}/ping", { params: { path } })),
    onSuccess: () => setNotice("Ping queued: its attempts appear in the delivery log."),
    onError: (e) => setFields(fieldMessages(e, "")),
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await tasksApi.DELETE("/api/v1/webhooks/{webhook_id}", { params: { path, header: ifMatch } })),
    onError: (e) => setFields(fieldMessages(e, "")),
    onSettled: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFields({});
    save.mutate({ url: url.trim(), event_types: eventList(events), description });
  };

  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <span className="font-medium">{webhook.url}</span>
        <span>{webhook.event_types.join(", ")}</span>
        <span>{webhook.active ? "Active" : `Paused${webhook.disabled_reason ? ` (${webhook.disabled_reason})` : ""}`}</span>
        {webhook.failing_since ? <span className="text-red-700">Failing since {new Date(webhook.failing_since).toLocaleString()}</span> : null}
      </div>
      <form onSubmit={submit} aria-label={`Edit ${webhook.url}`} className="flex flex-wrap items-start gap-3">
        <Field label={`URL of ${webhook.url}`} value={url} onChange={(e) => setUrl(e.target.value)} required error={fields.url} />
        <Field label={`Events of ${webhook.url}`} value={events} onChange={(e) => setEvents(e.target.value)} error={fields.event_types} hint="Comma-separated; task.* matches every task event" />
        <Field label={`Description of ${webhook.url}`} value={description} onChange={(e) => setDescription(e.target.value)} error={fields.description} />
        <div className="pt-6">
          <Button type="submit" variant="secondary" disabled={save.isPending}>
            Save
          </Button>
        </div>
      </form>
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" disabled={save.isPending} onClick={() => save.mutate({ active: !webhook.active })}>
          {webhook.active ? "Pause" : "Activate"}
        </Button>
        <Button variant="secondary" disabled={rotate.isPending} onClick={() => rotate.mutate()}>
          Rotate secret
        </Button>
        <Button variant="secondary" disabled={ping.isPending} onClick={() => ping.mutate()}>
          Send ping
        </Button>
        <Button variant="ghost" onClick={() => setLog(!log)}>
          {log ? "Hide delivery log" : "Delivery log"}
        </Button>
        <Button
          variant="ghost"
          disabled={remove.isPending}
          onClick={() => {
            if (window.confirm(`Delete the webhook to ${webhook.url}? Its delivery log goes too.`)) remove.mutate();
          }}
        >
          Delete
        </Button>
      </div>
      {notice ? <p className="text-sm text-slate-600">{notice}</p> : null}
      {fields[""] ? <FormError message={fields[""]} /> : null}
      {log ? <DeliveryLog webhookId={webhook.id} /> : null}
    </div>
  );
}

/** Each attempt: when, the HTTP status, how long, the first bytes of the answer. */
function DeliveryLog({ webhookId }: { webhookId: string }) {
  const key = ["webhooks", webhookId, "attempts"];
  const queryClient = useQueryClient();
  const attempts = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await tasksApi.GET("/api/v1/webhooks/{webhook_id}/attempts", { params: { path: { webhook_id: webhookId } } })).items,
  });
  const redeliver = useMutation({
    mutationFn: async (deliveryId: string) =>
      unwrap(await tasksApi.POST("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", { params: { path: { webhook_id: webhookId, delivery_id: deliveryId } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  if (attempts.isPending) return <Skeleton lines={2} />;
  if (attempts.isError) return <FormError message={describe(attempts.error)} />;
  if (attempts.data.length === 0) return <p className="text-sm text-slate-600">No deliveries yet.</p>;
  return (
    <div className="flex flex-col gap-2">
      <RedeliverFailedSince webhookId={webhookId} onDone={() => queryClient.invalidateQueries({ queryKey: key })} />
      {redeliver.isError ? <FormError message={describe(redeliver.error)} /> : null}
      <table aria-label="Delivery log" className="text-left text-sm">
        <thead>
          <tr>
            <th>Time</th>
            <th>Status</th>
            <th>Duration</th>
            <th>Answer</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {attempts.data.map((a) => (
            <tr key={a.id}>
              <td>{new Date(a.attempted_at).toLocaleString()}</td>
              <td>{a.status_code ?? a.error ?? a.outcome}</td>
              <td>{a.duration_ms} ms</td>
              <td>
                <code className="break-all">{a.response_excerpt}</code>
              </td>
              <td>
                {a.outcome === "failed" ? (
                  <Button variant="ghost" disabled={redeliver.isPending} onClick={() => redeliver.mutate(a.delivery_id)}>
                    Redeliver
                  </Button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Every failed message since a time (local, sent as UTC) goes out again, e.g. after an outage. */
function RedeliverFailedSince({ webhookId, onDone }: { webhookId: string; onDone: () => void }) {
  const [since, setSince] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const requeue = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.POST("/api/v1/webhooks/{webhook_id}/redeliver-failed", {
          params: { path: { webhook_id: webhookId } },
          body: { since: new Date(since).toISOString() },
        }),
      ),
    onSuccess: (answer) => setDone(`${answer.requeued} failed ${answer.requeued === 1 ? "message" : "messages"} queued again.`),
    onSettled: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    requeue.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Redeliver failed messages" className="flex flex-wrap items-end gap-3">
      <Field label="Failed since" type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} required error={requeue.isError ? describe(requeue.error) : undefined} />
      <Button type="submit" variant="secondary" disabled={requeue.isPending || !since}>
        Redeliver failed
      </Button>
      {done ? <p className="text-sm text-slate-600">{done}</p> : null}
    </form>
  );
}

function AddWebhook({ projectId, onSecret, onDone }: { projectId: string; onSecret: (s: string) => void; onDone: () => void }) {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState("task.*");
  const [description, setDescription] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const add = useMutation({
    mutationFn: async () =>
      unwrap(
        await tasksApi.POST("/api/v1/projects/{project_id}/webhooks", {
          params: { path: { project_id: projectId } },
          body: { url: url.trim(), event_types: eventList(events), description },
        }),
      ),
    onSuccess: (created) => {
      onSecret(created.secret);
      setUrl("");
      setDescription("");
      setFields({});
    },
    onError: (e) => setFields(fieldMessages(e, "url")),
    onSettled: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFields({});
    add.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Add a webhook" className="flex flex-wrap items-start gap-3 rounded-md border border-dashed border-slate-300 p-3 dark:border-slate-700">
      <Field label="Endpoint URL" value={url} onChange={(e) => setUrl(e.target.value)} required error={fields.url} />
      <Field label="Event types" value={events} onChange={(e) => setEvents(e.target.value)} required error={fields.event_types} hint="Comma-separated; task.* matches every task event" />
      <Field label="Description" value={description} onChange={(e) => setDescription(e.target.value)} error={fields.description} />
      <div className="pt-6">
        <Button type="submit" disabled={add.isPending || !url.trim()}>
          Add webhook
        </Button>
      </div>
    </form>
  );
}
