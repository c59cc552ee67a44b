/** Create an account; the verification link arrives by mail (lands on /verify-email). */
import { useState, type FormEvent } from "react";
import { Link } from "react-router";

import { authApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import { Button, Field, FormError } from "../../components/ui";
import { AuthPage } from "./AuthPage";

export default function Register() {
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    setFields({});
    try {
      const email = String(form.get("email"));
      unwrap(
        await authApi.POST("/api/v1/auth/register", {
          body: { email, password: String(form.get("password")), display_name: String(form.get("display_name")) },
        }),
      );
      setDone(email);
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fieldErrors()).length) setFields(err.fieldErrors());
      else setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <AuthPage title="Check your mail" footer={<Link className="text-indigo-700 underline dark:text-indigo-300" to="/sign-in">Sign in</Link>}>
        <p className="text-sm">
          We sent a link to <strong>{done}</strong>. Open it to confirm your address; you can sign in meanwhile.
        </p>
      </AuthPage>
    );
  }

  return (
    <AuthPage
      title="Create your account"
      footer={
        <>
          Have an account? <Link className="text-indigo-700 underline dark:text-indigo-300" to="/sign-in">Sign in</Link>
        </>
      }
    >
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <Field label="Name" name="display_name" autoComplete="name" required error={fields.display_name} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={fields.email} />
        <Field label="Password" name="password" type="password" autoComplete="new-password" required error={fields.password} hint="At least 12 characters; a phrase works well." />
        <FormError message={error} />
        <Button type="submit" disabled={busy}>
          Create account
        </Button>
      </form>
    </AuthPage>
  );
}
