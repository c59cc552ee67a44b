/**
 * System roles (`admin`, `auditor`, `user`) as the app reads them: from the signed-in user's
 * profile (`GET /users/me`, the `roles` the token also carries). The API decides; these only
 * hide what a person may not use and explain it when they land on it anyway.
 */
import type { ReactNode } from "react";
import { NavLink } from "react-router";

import type { SystemRole, User } from "../../api/types";
import { Skeleton } from "../../components/ui";
import { useMe } from "../auth/useMe";

/** Which system screens a user may open: audit for auditors and admins, admin for admins. */
export function screensFor(user: Pick<User, "roles"> | undefined): { audit: boolean; admin: boolean } {
  const roles: readonly SystemRole[] = user?.roles ?? [];
  return { audit: roles.includes("auditor") || roles.includes("admin"), admin: roles.includes("admin") };
}

/** The navigation entries for the system screens the user may open (none for most people). */
export function RoleNavLinks({ className }: { className: (state: { isActive: boolean }) => string }) {
  const me = useMe();
  const may = screensFor(me.data);
  return (
    <>
      {may.audit ? (
        <NavLink to="/audit" className={className}>
          Audit
        </NavLink>
      ) : null}
      {may.admin ? (
        <NavLink to="/admin" className={className}>
          Admin
        </NavLink>
      ) : null}
    </>
  );
}

/** Renders its children only for users allowed on `screen`; others read why. */
export function RoleGate({ screen, children }: { screen: "audit" | "admin"; children: ReactNode }) {
  const me = useMe();
  if (me.isPending) return <Skeleton />;
  if (!screensFor(me.data)[screen]) {
    return (
      <p className="text-sm text-slate-600 dark:text-slate-300">
        {screen === "audit" ? "The audit trail is for auditors and admins." : "This page is for administrators."} Ask an
        administrator if you need access.
      </p>
    );
  }
  return <>{children}</>;
}
