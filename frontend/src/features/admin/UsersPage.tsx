/**
 * Accounts (admins): search by name or email, change system roles (a checkbox per role, sent
 * at once and shown optimistically, rolled back with a toast when auth refuses, e.g. the last
 * admin), deactivate and reactivate.
 */
import { useInfiniteQuery, useMutation, useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";

import { authApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import type { SystemRole, UserListItem } from "../../api/types";
import { Button, Empty, Field, FormError, Skeleton } from "../../components/ui";
import { useToast } from "../../components/toasts";
import { useMe } from "../auth/useMe";

export const ROLES: SystemRole[] = ["user", "auditor", "admin"];

interface UserPage {
  items: UserListItem[];
  next_cursor?: string | null;
}

/** The roles after ticking or unticking one, in a stable order. */
export function withRole(roles: readonly SystemRole[], role: SystemRole, on: boolean): SystemRole[] {
  const next = new Set(roles);
  if (on) next.add(role);
  else next.delete(role);
  return ROLES.filter((r) => next.has(r));
}

/** The search the API takes: at least 2 characters, else everyone. */
function searchQuery(text: string): { q?: string } {
  const q = text.trim();
  return q.length >= 2 ? { q } : {};
}

export default function UsersPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const [typed, setTyped] = useState(q);
  // Search as you type, a moment after the last key, kept in the URL.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (typed !== q) setParams(typed.trim() ? { q: typed } : {}, { replace: true });
    }, 250);
    return () => clearTimeout(timer);
  }, [typed, q, setParams]);

  const queryKey = ["users", "list", searchQuery(q)] as const;
  const users = useInfiniteQuery({
    queryKey,
    queryFn: async ({ pageParam }): Promise<UserPage> =>
      unwrap(await authApi.GET("/api/v1/users", { params: { query: { ...searchQuery(q), limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const items = users.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <div className="flex flex-col gap-4">
      <Field
        label="Search people"
        type="search"
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
        hint="Name or email, at least 2 characters."
        className="max-w-md"
      />
      {users.isPending ? <Skeleton /> : null}
      {users.isError ? <FormError message={describe(users.error)} /> : null}
      {users.isSuccess && items.length === 0 ? <Empty title="Nobody matches">Try part of a name or an email address.</Empty> : null}
      <ul aria-label="Users" className="flex flex-col gap-2">
        {items.map((u) => (
          <UserRow key={u.id} user={u} queryKey={queryKey} />
        ))}
      </ul>
      {users.hasNextPage ? (
        <Button variant="secondary" className="self-start" disabled={users.isFetchingNextPage} onClick={() => void users.fetchNextPage()}>
          Load more
        </Button>
      ) : null}
    </div>
  );
}

function UserRow({ user, queryKey }: { user: UserListItem; queryKey: readonly unknown[] }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const me = useMe();
  const name = user.display_name || user.email || user.id;
  const update = useMutation({
    mutationFn: async (changes: { roles?: SystemRole[]; is_active?: boolean }) =>
      unwrap(await authApi.PATCH("/api/v1/users/{user_id}", { params: { path: { user_id: user.id } }, body: changes })),
    onMutate: async (changes) => {
      await queryClient.cancelQueries({ queryKey });
      const before = queryClient.getQueryData<InfiniteData<UserPage>>(queryKey);
      queryClient.setQueryData<InfiniteData<UserPage>>(queryKey, (data) =>
        data && { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((u) => (u.id === user.id ? { ...u, ...changes } : u)) })) },
      );
      return { before };
    },
    onSuccess: (_fresh, changes) =>
      toast.show(changes.is_active === undefined ? `${name} now has the roles: ${changes.roles?.join(", ")}.` : `${name} is ${changes.is_active ? "active again" : "deactivated"}.`),
    onError: (error, _changes, saved) => {
      queryClient.setQueryData(queryKey, saved?.before);
      toast.show(`Could not change ${name}: ${describe(error)}`, "error");
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ["users"] }),
  });
  const roles = user.roles ?? [];
  const self = me.data?.id === user.id;
  return (
    <li className="flex flex-col gap-2 rounded-md border border-slate-200 p-3 text-sm sm:flex-row sm:items-center dark:border-slate-800">
      <div className="min-w-0 flex-1">
        <p className="font-medium break-words">
          {user.display_name}
          {self ? " (you)" : ""}
          {!user.is_active ? <span className="ml-2 rounded bg-slate-200 px-1.5 py-0.5 text-xs dark:bg-slate-700">deactivated</span> : null}
        </p>
        <p className="text-xs break-all text-slate-600 dark:text-slate-300">{user.email}</p>
      </div>
      <fieldset className="flex flex-wrap gap-3">
        <legend className="sr-only">Roles of {name}</legend>
        {ROLES.map((role) => (
          <label key={role} className="flex items-center gap-1">
            <input
              type="checkbox"
              checked={roles.includes(role)}
              disabled={update.isPending}
              aria-label={`${role} role for ${name}`}
              onChange={(e) => update.mutate({ roles: withRole(roles, role, e.target.checked) })}
            />
            {role}
          </label>
        ))}
      </fieldset>
      <Button
        variant="secondary"
        disabled={update.isPending || self}
        title={self ? "You cannot deactivate yourself" : undefined}
        onClick={() => {
          if (!user.is_active || window.confirm(`Deactivate ${name}? They are signed out and cannot sign in until reactivated.`)) {
            update.mutate({ is_active: !user.is_active });
          }
        }}
      >
        {user.is_active ? `Deactivate` : `Reactivate`}
        <span className="sr-only"> {name}</span>
      </Button>
    </li>
  );
}
