/**
 * The scope vocabulary of personal access tokens, in auth's order, with words for people.
 * The generated types hold the enum only as a type, so the values are listed here and checked
 * against it both ways: a scope auth adds or drops fails the type check until this list follows.
 */
import type { components } from "../../api/generated/auth";

export type Scope = components["schemas"]["PatCreate"]["scopes"][number];

export const SCOPES = [
  { scope: "tasks:read", label: "Read projects, tasks, comments, labels, milestones, views, activity" },
  { scope: "tasks:write", label: "Create, change and delete projects, tasks and everything in them" },
  { scope: "notifications:read", label: "Read notifications and preferences; receive live pushes" },
  { scope: "notifications:write", label: "Mark notifications read, delete them, change preferences" },
  { scope: "reports:read", label: "Read reports" },
  { scope: "audit:read", label: "Read, verify and export the audit log (auditors and admins)" },
  { scope: "audit:write", label: "Change audit retention and legal holds (auditors and admins)" },
  { scope: "account:read", label: "Read your account, sessions and tokens; look up other users" },
  { scope: "account:write", label: "Change your account, password, MFA, sessions and tokens" },
  { scope: "admin", label: "Administer accounts, deliveries and parked events (admins)" },
] as const satisfies readonly { scope: Scope; label: string }[];

// Every scope of the API is listed (the other direction is the `satisfies` above).
type Listed = (typeof SCOPES)[number]["scope"];
const everyScopeListed: [Exclude<Scope, Listed>] extends [never] ? true : never = true;
void everyScopeListed;
