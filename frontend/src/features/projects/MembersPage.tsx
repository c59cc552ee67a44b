/**
 * A project's members: who has which role; owners and admins add people by email and see the
 * pending invitations. Adding by email answers the same whether or not the address has an
 * account (the API hides which), so the page says so in neutral words.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useParams } from "react-router";

import { tasksApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { Member } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button, Field, FormError, SelectField, Skeleton } from "../../components/ui";
import { keys, useMembers, useProject } from "../tasks/queries";
import { invitationsKey, PendingInvitations } from "./Invitations";

const ROLES: Member["role"][] = ["viewer", "member", "admin", "owner"];

export default function MembersPage() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  const members = useMembers(projectId);
  const queryClient = useQueryClient();
  const toast = useToast();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Member["role"]>("member");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState("");
  const manage = project.data?.role === "owner" || project.data?.role === "admin";
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.members(projectId) });
  const names = new Map((members.data ?? []).map((m) => [m.user_id, m.display_name ?? m.email ?? "a member"]));

  const add = useMutation({
    mutationFn: async () =>
      unwrap(await tasksApi.POST("/api/v1/projects/{project_id}/members", { params: { path: { project_id: projectId } }, body: { email: email.trim(), role } })),
    onSuccess: (answer) => {
      const address = email.trim();
      setEmail("");
      // 202: the address belongs to nobody the caller shares a project with, so the answer
      // does not say whether it has an account (the member list or the pending invitations
      // show which it was).
      if ("status" in answer && answer.status === "accepted") {
        setOutcome(`${address} is invited or added: if it belongs to an account, that person is now a member; if not, an invitation to register was sent.`);
        void queryClient.invalidateQueries({ queryKey: invitationsKey(projectId) });
      } else if ("role" in answer) {
        setOutcome(`${answer.display_name ?? answer.email} is added as ${answer.role}.`);
      }
    },
    onError: (error) => setFields(error instanceof ApiError && Object.keys(error.fieldErrors()).length ? error.fieldErrors() : { email: describe(error) }),
    onSettled: refresh,
  });
  const change = useMutation({
    mutationFn: async ({ userId, next }: { userId: string; next: Member["role"] }) =>
      unwrap(await tasksApi.PATCH("/api/v1/projects/{project_id}/members/{user_id}", { params: { path: { project_id: projectId, user_id: userId } }, body: { role: next } })),
    onError: (error) => toast.show(`Role not changed: ${describe(error)}`, "error"),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: async (userId: string) =>
      unwrap(await tasksApi.DELETE("/api/v1/projects/{project_id}/members/{user_id}", { params: { path: { project_id: projectId, user_id: userId } } })),
    onError: (error) => toast.show(`Not removed: ${describe(error)}`, "error"),
    onSettled: refresh,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFields({});
    setOutcome("");
    add.mutate();
  };

  return (
    <div className="flex max-w-3xl flex-col gap-4">
      {manage ? (
        <form onSubmit={submit} aria-label="Add a member" className="flex flex-col gap-3 sm:flex-row sm:items-start">
          <Field label="Email of the person to add" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required error={fields.email} className="flex-1" />
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Member["role"])}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </SelectField>
          <div className="sm:pt-6">
            <Button type="submit" disabled={add.isPending || !email.trim()}>
              Add member
            </Button>
          </div>
        </form>
      ) : null}
      {manage && outcome ? (
        <p role="status" className="rounded-md bg-slate-100 px-3 py-2 text-sm dark:bg-slate-800">
          {outcome}
        </p>
      ) : null}
      {members.isPending ? <Skeleton /> : null}
      {members.isError ? <FormError message={describe(members.error)} /> : null}
      <ul className="flex flex-col divide-y divide-slate-100 dark:divide-slate-900" aria-label="Members">
        {members.data?.map((m) => (
          <li key={m.user_id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
            {/* On a phone the role and Remove go under the name rather than past the screen. */}
            <span className="min-w-0 flex-1 basis-40">
              <span className="block font-medium break-words">{m.display_name ?? m.email}</span>
              {m.display_name && m.email ? <span className="block text-xs break-all text-slate-500">{m.email}</span> : null}
            </span>
            {manage ? (
              <>
                <label className="sr-only" htmlFor={`role-${m.user_id}`}>
                  Role of {m.display_name ?? m.email}
                </label>
                <select
                  id={`role-${m.user_id}`}
                  value={m.role}
                  onChange={(e) => change.mutate({ userId: m.user_id, next: e.target.value as Member["role"] })}
                  className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-900"
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
                <Button variant="ghost" onClick={() => remove.mutate(m.user_id)} aria-label={`Remove ${m.display_name ?? m.email}`}>
                  Remove
                </Button>
              </>
            ) : (
              <span className="text-slate-500">{m.role}</span>
            )}
          </li>
        ))}
      </ul>
      {manage ? <PendingInvitations projectId={projectId} names={names} /> : null}
    </div>
  );
}
