/**
 * A project's pending invitations (addresses invited by email that have no account yet): who
 * invited them, when the invitation runs out, and Revoke. Owners and admins only: the API
 * answers others 403, so the list is not even asked for them.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { tasksApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { Invitation } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button, FormError, Skeleton } from "../../components/ui";

export const invitationsKey = (projectId: string) => ["projects", projectId, "invitations"] as const;

export function useInvitations(projectId: string, enabled: boolean) {
  return useQuery({
    queryKey: invitationsKey(projectId),
    queryFn: async (): Promise<Invitation[]> =>
      unwrap(await tasksApi.GET("/api/v1/projects/{project_id}/invitations", { params: { path: { project_id: projectId }, query: { limit: 200 } } })).items,
    enabled,
  });
}

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** The pending invitations with Revoke (optimistic, put back with a toast when refused). */
export function PendingInvitations({ projectId, names }: { projectId: string; names: Map<string, string> }) {
  const invitations = useInvitations(projectId, true);
  const queryClient = useQueryClient();
  const toast = useToast();
  const key = invitationsKey(projectId);
  const revoke = useMutation({
    mutationFn: async (invitation: Invitation) =>
      unwrap(await tasksApi.DELETE("/api/v1/projects/{project_id}/invitations/{invitation_id}", { params: { path: { project_id: projectId, invitation_id: invitation.id } } })),
    onMutate: async (invitation) => {
      await queryClient.cancelQueries({ queryKey: key });
      const before = queryClient.getQueryData<Invitation[]>(key);
      queryClient.setQueryData<Invitation[]>(key, (all) => all?.filter((i) => i.id !== invitation.id));
      return { before };
    },
    onSuccess: (_d, invitation) => toast.show(`The invitation of ${invitation.email} is revoked.`),
    onError: (error, invitation, context) => {
      queryClient.setQueryData(key, context?.before);
      toast.show(`Could not revoke the invitation of ${invitation.email}: ${describe(error)}`, "error");
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  return (
    <section aria-labelledby="invitations-heading" className="flex flex-col gap-2">
      <h2 id="invitations-heading" className="text-sm font-semibold">
        Pending invitations
      </h2>
      {invitations.isPending ? <Skeleton lines={1} /> : null}
      {invitations.isError ? <FormError message={describe(invitations.error)} /> : null}
      {invitations.data?.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">None. Adding an address that has no account yet invites it; it shows here until the person registers.</p>
      ) : null}
      <ul aria-label="Pending invitations" className="flex flex-col divide-y divide-slate-100 dark:divide-slate-900">
        {invitations.data?.map((i) => (
          <li key={i.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
            <span className="min-w-0 flex-1">
              <span className="block font-medium break-all">{i.email}</span>
              <span className="block text-xs text-slate-600 dark:text-slate-400">
                as {i.role} · invited by {names.get(i.invited_by) ?? "a former member"} · expires <time dateTime={i.expires_at}>{when(i.expires_at)}</time>
              </span>
            </span>
            <Button variant="ghost" disabled={revoke.isPending} onClick={() => revoke.mutate(i)} aria-label={`Revoke the invitation of ${i.email}`}>
              Revoke
            </Button>
          </li>
        ))}
      </ul>
    </section>
  );
}
