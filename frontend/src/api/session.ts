/**
 * The browser session: the access token lives in this module's memory only (never in storage,
 * so an injected script cannot lift it from there), the refresh token in auth's httpOnly
 * `tf_refresh` cookie. Refreshing needs the readable `tf_csrf` cookie echoed in
 * `X-CSRF-Token` (auth's double-submit guard); a page on another origin cannot read it.
 */

export const REFRESH_PATH = "/api/v1/auth/refresh";
const CSRF_COOKIE = "tf_csrf";
/** Refresh this long before the access token runs out, so requests never meet an expired one. */
const EARLY_MS = 60_000;

export interface TokenGrant {
  access_token: string;
  expires_in: number;
}

type Listener = (token: string | null) => void;

let accessToken: string | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<boolean> | null = null;
const listeners = new Set<Listener>();

export function getAccessToken(): string | null {
  return accessToken;
}

/** Called on every change of the token (sign-in, refresh, sign-out); returns the unsubscribe. */
export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function publish(): void {
  for (const listener of listeners) listener(accessToken);
}

/** Keep a freshly issued token and schedule the silent refresh before it expires. */
export function setSession(grant: TokenGrant): void {
  accessToken = grant.access_token;
  clearTimeout(timer);
  const wait = Math.max(5_000, grant.expires_in * 1000 - EARLY_MS);
  timer = setTimeout(() => void refreshSession(), wait);
  publish();
}

export function clearSession(): void {
  accessToken = null;
  clearTimeout(timer);
  publish();
}

export function readCookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** Whether the browser holds a refresh session at all (the CSRF cookie lives as long). */
export function hasRefreshCookie(): boolean {
  return readCookie(CSRF_COOKIE) !== null;
}

/**
 * Swap the refresh cookie for a new access token. One request at a time: concurrent 401s
 * share it, because a refresh token is single use and reusing one ends the whole session.
 */
export function refreshSession(): Promise<boolean> {
  if (inflight) return inflight;
  inflight = (async () => {
    const csrf = readCookie(CSRF_COOKIE);
    if (!csrf) {
      clearSession();
      return false;
    }
    try {
      const response = await fetch(REFRESH_PATH, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "X-Auth-Mode": "cookie" },
      });
      if (!response.ok) {
        clearSession();
        return false;
      }
      setSession((await response.json()) as TokenGrant);
      return true;
    } catch {
      // Network down: keep what we have; the next request tries again.
      return accessToken !== null;
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}
