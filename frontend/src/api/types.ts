/** Named shapes from the generated API (no hand-written API types). */
import type { components as Audit } from "./generated/audit";
import type { components as Auth } from "./generated/auth";
import type { components as Notifications } from "./generated/notifications";
import type { components as Tasks } from "./generated/tasks";

export type User = Auth["schemas"]["UserRead"];
export type TokenPair = Auth["schemas"]["TokenPair"];
export type MfaRequired = Auth["schemas"]["MfaRequired"];
export type Project = Tasks["schemas"]["ProjectRead"];
export type ProjectCreate = Tasks["schemas"]["ProjectCreate"];
export type Task = Tasks["schemas"]["TaskRead"];
export type TaskCreate = Tasks["schemas"]["TaskCreate"];
export type TaskUpdate = Tasks["schemas"]["TaskUpdate"];
export type TaskPriority = Task["priority"];
export type Comment = Tasks["schemas"]["CommentRead"];
export type Activity = Tasks["schemas"]["ActivityRead"];
export type Member = Tasks["schemas"]["MemberRead"];
export type Label = Tasks["schemas"]["LabelRead"];
export type Notification = Notifications["schemas"]["NotificationRead"];
export type ProjectStatus = Tasks["schemas"]["StatusRead"];
export type StatusCategory = ProjectStatus["category"];
export type Dependencies = Tasks["schemas"]["DependenciesRead"];
export type LinkedTask = Tasks["schemas"]["LinkedTask"];
// Project lifecycle, milestones, audit and admin screens (issue 18, branch webproj).
export type Milestone = Tasks["schemas"]["MilestoneRead"];
export type AuditEntry = Audit["schemas"]["EntryRead"];
export type ChainVerdict = Audit["schemas"]["VerifyRead"];
export type UserListItem = Auth["schemas"]["UserListItem"];
export type SystemRole = User["roles"][number];
export type Delivery = Notifications["schemas"]["DeliveryRead"];
export type DeliveryStatus = Delivery["status"];
export type ParkedItem = Audit["schemas"]["ParkedItem"];
export type Reminder = Tasks["schemas"]["Reminder"];
export type SavedView = Tasks["schemas"]["ViewRead"];
export type TaskFilters = Tasks["schemas"]["TaskFilters"];
// Invitations, moves, duplicates (issue 18, branch web2).
export type Invitation = Tasks["schemas"]["InvitationRead"];
export type MoveResult = Tasks["schemas"]["TaskMoveResult"];
export type MovedTask = Tasks["schemas"]["MovedTask"];
