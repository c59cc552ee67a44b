/** Sign in: email and password, then the MFA code when the account has MFA. */
import { useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";

import { authApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { MfaRequired, TokenPair } from "../../api/types";
import { Button, Field, FormError } from "../../components/ui";
import { AuthPage } from "./AuthPage";
import { useAuth } from "./AuthProvider";

/** Only same-app paths are followed after sign-in (never another site). */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/projects";
}

export default function SignIn() {
  const { status, signedIn } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [mfa, setMfa] = useState<MfaRequired | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get("next"));

  if (status === "signed-in") return <Navigate to={next} replace />;

  const finish = (pair: TokenPair) => {
    signedIn(pair);
    navigate(next, { replace: true });
  };

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setFields({});
    try {
      await work();
    } catch (err) {
      setError(describe(err));
      if (err instanceof ApiError) setFields(err.fieldErrors());
    } finally {
      setBusy(false);
    }
  };

  const submitPassword = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(async () => {
      const answer = unwrap(
        await authApi.POST("/api/v1/auth/login", {
          body: { email: String(form.get("email")), password: String(form.get("password")), cookie: true },
        }),
      );
      if ("mfa_token" in answer) setMfa(answer);
      else finish(answer);
    });
  };

  const submitCode = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (!mfa) return;
    void run(async () => {
      finish(unwrap(await authApi.POST("/api/v1/auth/login/mfa", { body: { mfa_token: mfa.mfa_token, code: String(form.get("code")).trim() } })));
    });
  };

  if (mfa) {
    return (
      <AuthPage title="Two-step verification">
        <form onSubmit={submitCode} className="flex flex-col gap-4">
          <p className="text-sm text-slate-600 dark:text-slate-400">Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
          <Field label="Code" name="code" autoComplete="one-time-code" inputMode="text" required autoFocus error={fields.code} />
          <FormError message={error} />
          <Button type="submit" disabled={busy}>
            Verify
          </Button>
          <Button variant="ghost" onClick={() => setMfa(null)}>
            Use another account
          </Button>
        </form>
      </AuthPage>
    );
  }

  return (
    <AuthPage
      title="Sign in"
      footer={
        <>
          New here? <Link className="text-indigo-700 underline dark:text-indigo-300" to="/register">Create an account</Link>
        </>
      }
    >
      <form onSubmit={submitPassword} className="flex flex-col gap-4">
        <Field label="Email" name="email" type="email" autoComplete="username" required autoFocus error={fields.email} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required error={fields.password} />
        <FormError message={error} />
        <Button type="submit" disabled={busy}>
          Sign in
        </Button>
        <Link className="text-center text-sm text-indigo-700 underline dark:text-indigo-300" to="/forgot-password">
          Forgot your password?
        </Link>
      </form>
    </AuthPage>
  );
}
