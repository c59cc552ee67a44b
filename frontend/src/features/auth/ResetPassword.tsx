import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";

import { authApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import { Button, Field, FormError } from "../../components/ui";
import { AuthPage } from "./AuthPage";

/** The landing route of the reset mail: `/reset-password?token=...`. */
export default function ResetPassword() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    setFields({});
    try {
      unwrap(await authApi.POST("/api/v1/auth/password/reset", { body: { token, new_password: String(form.get("new_password")) } }));
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError) setFields(err.fieldErrors());
      setError(describe(err));
    }
  };
  return (
    <AuthPage title="Choose a new password">
      {done ? (
        <div className="flex flex-col gap-4">
          <p role="status">Your password is changed, and every other session is signed out.</p>
          <Link className="text-indigo-700 underline dark:text-indigo-300" to="/sign-in">
            Sign in
          </Link>
        </div>
      ) : (
        <form onSubmit={submit} className="flex flex-col gap-4">
          <Field label="New password" name="new_password" type="password" autoComplete="new-password" required error={fields.new_password} />
          <FormError message={error} />
          <Button type="submit" disabled={!token}>
            Set password
          </Button>
        </form>
      )}
    </AuthPage>
  );
}
