/**
 * The account part of Settings: profile saved with If-Match and field errors in place, password
 * change (API tokens end unless kept), email change by link, MFA enrolment with a QR code and the
 * recovery codes shown once, MFA turned off, other sessions signed out.
 */
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { type Call, fakeApi, json, ME, renderAt, signOutAfterTest } from "../../testing/render";
import { EmailChange } from "./EmailChange";
import { KIND_LABELS } from "./NotificationPrefs";
import { PasswordChange } from "./PasswordChange";
import { Profile } from "./Profile";
import SettingsPage from "./SettingsPage";
import { TwoStep } from "./TwoStep";

afterEach(signOutAfterTest);

const me = { ...ME(["user"]), version: 5 } as ReturnType<typeof ME> & { roles: ("user" | "admin" | "auditor")[] };
const problem = (status: number, code: string, detail: string, errors?: unknown[]) => json({ status, title: "Refused", code, detail, errors }, status);

describe("Profile", () => {
  it("saves the fields with If-Match and shows a field error next to its field", async () => {
    let first = true;
    const calls = fakeApi((call) => {
      if (call.method === "PATCH" && first) {
        first = false;
        return problem(422, "validation_error", "Invalid", [{ loc: ["body", "timezone"], msg: "Unknown time zone", type: "value_error" }]);
      }
      if (call.method === "PATCH") return json({ ...me, ...(call.body as object), version: 6 });
      return json(me);
    });
    renderAt("/s", "/s", <Profile me={me} />);
    fireEvent.change(screen.getByLabelText("Display name"), { target: { value: "Ada L." } });
    fireEvent.change(screen.getByLabelText("Time zone"), { target: { value: "Mars/Olympus" } });
    fireEvent.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByText("Unknown time zone")).toBeInTheDocument();
    expect(screen.getByLabelText("Time zone")).toHaveAttribute("aria-invalid", "true");
    fireEvent.change(screen.getByLabelText("Time zone"), { target: { value: "Europe/Zurich" } });
    fireEvent.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByText("Profile saved")).toBeInTheDocument();
    const patches = calls.filter((c) => c.method === "PATCH");
    expect(patches[1]?.headers.get("If-Match")).toBe('"5"');
    expect(patches[1]?.body).toEqual({ display_name: "Ada L.", timezone: "Europe/Zurich", locale: "en" });
  });
});

describe("PasswordChange", () => {
  function fill(current: string, next: string) {
    fireEvent.change(screen.getByLabelText("Current password"), { target: { value: current } });
    fireEvent.change(screen.getByLabelText("New password"), { target: { value: next } });
  }

  it("ends the API tokens by default and keeps them when asked", async () => {
    const calls = fakeApi(() => json(null, 204));
    renderAt("/s", "/s", <PasswordChange />);
    expect(screen.getByRole("checkbox", { name: /Keep my API tokens working/ })).not.toBeChecked();
    fill("old secret", "new secret 123");
    fireEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText(/your other sessions and API tokens are ended/)).toBeInTheDocument();
    expect(calls[0]?.body).toEqual({ current_password: "old secret", new_password: "new secret 123", keep_api_tokens: false });
    fill("new secret 123", "newer secret 456");
    fireEvent.click(screen.getByRole("checkbox", { name: /Keep my API tokens working/ }));
    fireEvent.click(screen.getByRole("button", { name: "Change password" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "POST")).toHaveLength(2));
    expect((calls.filter((c) => c.method === "POST")[1]?.body as { keep_api_tokens: boolean }).keep_api_tokens).toBe(true);
  });

  it("says a wrong current password under that field, without a silent refresh", async () => {
    const calls = fakeApi(() => problem(401, "invalid_credentials", "The email or password is incorrect."));
    renderAt("/s", "/s", <PasswordChange />);
    fill("wrong", "new secret 123");
    fireEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("The email or password is incorrect.")).toBeInTheDocument();
    expect(screen.getByLabelText("Current password")).toHaveAttribute("aria-invalid", "true");
    expect(calls.map((c) => c.path)).toEqual(["/api/v1/auth/password/change"]);
  });
});

describe("EmailChange", () => {
  it("asks for the change with the password and says where the link went", async () => {
    const calls = fakeApi(() => json({ detail: "accepted" }, 202));
    renderAt("/s", "/s", <EmailChange current="me@example.com" />);
    fireEvent.change(screen.getByLabelText("New email"), { target: { value: " new@example.com " } });
    fireEvent.change(screen.getByLabelText("Password to confirm"), { target: { value: "secret" } });
    fireEvent.click(screen.getByRole("button", { name: "Send confirmation link" }));
    expect(await screen.findByText(/Check new@example.com: open the link there/)).toBeInTheDocument();
    expect(calls[0]?.path).toBe("/api/v1/users/me/email");
    expect(calls[0]?.body).toEqual({ new_email: "new@example.com", current_password: "secret" });
  });
});

describe("TwoStep", () => {
  const SETUP = { secret: "JBSWY3DPEHPK3PXP", otpauth_uri: "otpauth://totp/Taskflow:me%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Taskflow" };
  const CODES = Array.from({ length: 10 }, (_, i) => `code-${i}-abcd`);

  it("enrols with a QR code, refuses a wrong code next to the field, then shows the recovery codes once", async () => {
    let tries = 0;
    const calls = fakeApi((call: Call) => {
      if (call.path.endsWith("/setup")) return json(SETUP);
      if (call.path.endsWith("/confirm")) {
        tries += 1;
        return tries === 1 ? problem(401, "invalid_mfa", "The code or the sign-in challenge is invalid or expired.") : json({ recovery_codes: CODES });
      }
      return json({ ...me, mfa_enabled: true });
    });
    renderAt("/s", "/s", <TwoStep me={me} />);
    fireEvent.click(screen.getByRole("button", { name: "Set up two-step sign-in" }));
    const qr = await screen.findByTitle("QR code for your authenticator app");
    // An SVG QR code (modules drawn as paths) of auth's otpauth URI, and the key to type.
    expect(qr.closest("svg")?.querySelectorAll("path").length).toBeGreaterThan(0);
    expect(screen.getByText(SETUP.secret)).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("2. Code from the app"), { target: { value: "000 000" } });
    fireEvent.click(screen.getByRole("button", { name: "Turn on" }));
    expect(await screen.findByText("The code or the sign-in challenge is invalid or expired.")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("2. Code from the app"), { target: { value: "123 456" } });
    fireEvent.click(screen.getByRole("button", { name: "Turn on" }));
    const region = await screen.findByRole("region", { name: "Recovery codes" });
    expect(within(region).getAllByRole("listitem")).toHaveLength(10);
    expect(calls.filter((c) => c.path.endsWith("/confirm")).at(-1)?.body).toEqual({ code: "123456" });
    fireEvent.click(within(region).getByRole("button", { name: "I have saved them" }));
    expect(screen.queryByRole("region", { name: "Recovery codes" })).toBeNull();
    expect(screen.queryByText("code-0-abcd")).toBeNull();
  });

  it("turns MFA off with the password and a code", async () => {
    const calls = fakeApi(() => json(null, 204));
    renderAt("/s", "/s", <TwoStep me={{ ...me, mfa_enabled: true }} />);
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "secret" } });
    fireEvent.change(screen.getByLabelText("Code or recovery code"), { target: { value: "123456" } });
    fireEvent.click(screen.getByRole("button", { name: "Turn off two-step sign-in" }));
    expect(await screen.findByText("Two-step sign-in is off")).toBeInTheDocument();
    expect(calls[0]?.path).toBe("/api/v1/auth/mfa/totp/disable");
    expect(calls[0]?.body).toEqual({ password: "secret", code: "123456" });
  });
});

describe("SettingsPage sessions", () => {
  it("signs out every other session and keeps this one", async () => {
    const sessions = [
      { id: "a", device: "Firefox", current: true, created_at: "2026-01-01T00:00:00Z", last_used_at: null },
      { id: "b", device: "Phone", current: false, created_at: "2026-01-01T00:00:00Z", last_used_at: null },
    ];
    const calls = fakeApi((call) => {
      if (call.path === "/api/v1/users/me") return json(me);
      if (call.path === "/api/v1/auth/sessions") return json({ items: sessions });
      if (call.path.endsWith("/revoke-all")) return json({ revoked: 1 });
      if (call.path.includes("/notifications/preferences")) return json({ digest: "off", digest_hour: 8, kinds: Object.fromEntries(Object.keys(KIND_LABELS).map((k) => [k, { in_app: true, email: false, calendar: false }])) });
      return json({ items: [], next_cursor: null });
    });
    renderAt("/settings", "/settings", <SettingsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Sign out all other sessions" }));
    expect(await screen.findByText("1 other session signed out")).toBeInTheDocument();
    const revoke = calls.find((c) => c.path.endsWith("/revoke-all"));
    expect(revoke?.query.get("keep_current")).toBe("true");
    // The account forms are on the page too.
    expect(screen.getByRole("heading", { name: "Two-step sign-in" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Password" })).toBeInTheDocument();
  });
});
