import { useState, type FormEvent } from "react";
import { Link } from "react-router";

import { authApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import { Button, Field, FormError } from "../../components/ui";
import { AuthPage } from "./AuthPage";

/** Ask for a reset link; the answer is the same whether the account exists or not. */
export default function ForgotPassword() {
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      unwrap(await authApi.POST("/api/v1/auth/password/forgot", { body: { email: String(form.get("email")) } }));
      setSent(true);
    } catch (err) {
      setError(describe(err));
    }
  };
  return (
    <AuthPage title="Reset your password" footer={<Link className="text-indigo-700 underline dark:text-indigo-300" to="/sign-in">Back to sign in</Link>}>
      {sent ? (
        <p role="status">If an account uses that address, a reset link is on its way.</p>
      ) : (
        <form onSubmit={submit} className="flex flex-col gap-4">
          <Field label="Email" name="email" type="email" autoComplete="email" required />
          <FormError message={error} />
          <Button type="submit">Send reset link</Button>
        </form>
      )}
    </AuthPage>
  );
}
