/**
 * The shared fetch: bearer token on every request, and on a 401 one silent refresh through
 * the cookie (with the CSRF cookie echoed in X-CSRF-Token) and one retry. The network is a
 * stub here; the real exchange with auth runs in e2e/test_web.py.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { authFetch } from "./client";
import { clearSession, getAccessToken, refreshSession, setSession } from "./session";

type Call = { url: string; method: string; headers: Headers; body: string | null };

function stubNetwork(answers: ((call: Call) => Response)[]) {
  const calls: Call[] = [];
  const fake = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(new URL(String(input), "http://localhost")), init);
    const call = { url: new URL(request.url).pathname, method: request.method, headers: request.headers, body: request.body ? await request.text() : null };
    calls.push(call);
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected request ${call.method} ${call.url}`);
    return answer(call);
  });
  vi.stubGlobal("fetch", fake);
  return calls;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

beforeEach(() => {
  clearSession();
  document.cookie = "tf_csrf=csrf-123; path=/";
});

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "tf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
});

describe("authFetch", () => {
  it("sends the access token", async () => {
    setSession({ access_token: "tok-1", expires_in: 900 });
    const calls = stubNetwork([() => json(200, { ok: true })]);
    const response = await authFetch(new Request("http://localhost/api/v1/projects"));
    expect(response.status).toBe(200);
    expect(calls[0]!.headers.get("Authorization")).toBe("Bearer tok-1");
  });

  it("refreshes once on a 401 with the CSRF token, then retries with the new token and body", async () => {
    setSession({ access_token: "expired", expires_in: 900 });
    const calls = stubNetwork([
      () => json(401, { code: "invalid_token" }),
      () => json(200, { access_token: "tok-2", expires_in: 900 }),
      () => json(201, { id: "p1" }),
    ]);
    const response = await authFetch(
      new Request("http://localhost/api/v1/projects", { method: "POST", body: JSON.stringify({ name: "Ops" }), headers: { "Content-Type": "application/json" } }),
    );
    expect(response.status).toBe(201);
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(["POST /api/v1/projects", "POST /api/v1/auth/refresh", "POST /api/v1/projects"]);
    expect(calls[1]!.headers.get("X-CSRF-Token")).toBe("csrf-123");
    expect(calls[2]!.headers.get("Authorization")).toBe("Bearer tok-2");
    expect(calls[2]!.body).toBe(JSON.stringify({ name: "Ops" }));
    expect(getAccessToken()).toBe("tok-2");
  });

  it("gives up (signed out) when the refresh is refused", async () => {
    setSession({ access_token: "expired", expires_in: 900 });
    stubNetwork([() => json(401, {}), () => json(401, { code: "invalid_refresh_token" })]);
    const response = await authFetch(new Request("http://localhost/api/v1/projects"));
    expect(response.status).toBe(401);
    expect(getAccessToken()).toBeNull();
  });

  it("never refreshes for the login request itself", async () => {
    const calls = stubNetwork([() => json(401, { code: "invalid_credentials" })]);
    const response = await authFetch(new Request("http://localhost/api/v1/auth/login", { method: "POST", body: "{}" }));
    expect(response.status).toBe(401);
    expect(calls).toHaveLength(1);
  });
});

describe("a wrong password or code in settings", () => {
  it("is answered as it is: no refresh, no retry, still signed in", async () => {
    setSession({ access_token: "tok-ok", expires_in: 900 });
    const calls = stubNetwork([() => json(401, { code: "invalid_credentials", detail: "The email or password is incorrect." })]);
    const response = await authFetch(
      new Request("http://localhost/api/v1/auth/password/change", { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } }),
    );
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe("invalid_credentials");
    expect(calls).toHaveLength(1);
    expect(getAccessToken()).toBe("tok-ok");
  });
});

describe("refreshSession", () => {
  it("shares one request between concurrent callers (refresh tokens are single use)", async () => {
    const calls = stubNetwork([() => json(200, { access_token: "tok-3", expires_in: 900 })]);
    const results = await Promise.all([refreshSession(), refreshSession(), refreshSession()]);
    expect(results).toEqual([true, true, true]);
    expect(calls).toHaveLength(1);
  });

  it("does not call auth without the CSRF cookie", async () => {
    document.cookie = "tf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
    const calls = stubNetwork([]);
    expect(await refreshSession()).toBe(false);
    expect(calls).toHaveLength(0);
  });
});
