/**
 * One typed client per service, generated from its committed OpenAPI document
 * (`make clients` -> ./generated). All of them share one fetch: it adds the bearer token,
 * and on a 401 refreshes the session once (silently) and retries the request.
 */
import createClient from "openapi-fetch";

import type { paths as AuditPaths } from "./generated/audit";
import type { paths as AuthPaths } from "./generated/auth";
import type { paths as NotificationsPaths } from "./generated/notifications";
import type { paths as ReportingPaths } from "./generated/reporting";
import type { paths as TasksPaths } from "./generated/tasks";
import { getAccessToken, refreshSession, REFRESH_PATH } from "./session";

/** Requests that must never trigger a refresh: they are how a session starts or ends. */
const NO_RETRY = [REFRESH_PATH, "/api/v1/auth/login", "/api/v1/auth/logout"];

/** 401 codes that say a password or code was wrong, not the token. */
const WRONG_SECRET = new Set(["invalid_credentials", "invalid_mfa"]);

async function problemCode(response: Response): Promise<string> {
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return typeof body.code === "string" ? body.code : "";
  } catch {
    return "";
  }
}

function withToken(request: Request): Request {
  const copy = new Request(request);
  const token = getAccessToken();
  if (token) copy.headers.set("Authorization", `Bearer ${token}`);
  return copy;
}

export async function authFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const response = await fetch(withToken(request));
  const path = new URL(request.url).pathname;
  if (response.status !== 401 || NO_RETRY.some((p) => path.startsWith(p))) return response;
  // A wrong password or code (settings ask for them) is the person's mistake, not an expired
  // token: refreshing would spend a refresh token and ask the same wrong question again.
  if (WRONG_SECRET.has(await problemCode(response))) return response;
  if (!(await refreshSession())) return response;
  return fetch(withToken(retry));
}

const options = { baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin, fetch: authFetch };

export const authApi = createClient<AuthPaths>(options);
export const tasksApi = createClient<TasksPaths>(options);
export const notificationsApi = createClient<NotificationsPaths>(options);
export const auditApi = createClient<AuditPaths>(options);
export const reportingApi = createClient<ReportingPaths>(options);
