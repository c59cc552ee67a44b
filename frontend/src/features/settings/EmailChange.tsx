/**
 * Ask to change the account's address (`POST /users/me/email`, current password required). The
 * address changes only when the link mailed to the new one is opened (`/confirm-email`).
 */
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { authApi } from "../../api/client";
import { ApiError, fieldMessages, unwrap } from "../../api/errors";
import { Button, Field, FormError } from "../../components/ui";

export function EmailChange({ current }: { current: string }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [sentTo, setSentTo] = useState<string | null>(null);

  const ask = useMutation({
    mutationFn: async () => unwrap(await authApi.POST("/api/v1/users/me/email", { body: { new_email: email.trim(), current_password: password } })),
    onSuccess: () => {
      setSentTo(email.trim());
      setEmail("");
      setPassword("");
      setErrors({});
    },
    onError: (error) => {
      if (error instanceof ApiError && !error.problem.errors?.length && (error.status === 401 || error.status === 403)) {
        setErrors({ current_password: error.message });
        return;
      }
      setErrors(fieldMessages(error, ""));
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setSentTo(null);
    ask.mutate();
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-3" aria-labelledby="email-heading">
      <h2 id="email-heading" className="font-semibold">
        Email address
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-300">
        Now: <strong>{current}</strong>. A link goes to the new address; it changes when you open it.
      </p>
      <Field label="New email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.new_email} required />
      <Field
        label="Password to confirm"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={errors.current_password}
        required
      />
      <FormError message={errors[""]} />
      {sentTo ? (
        <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100">
          Check {sentTo}: open the link there to use it. Until then you keep signing in with {current}.
        </p>
      ) : null}
      <div>
        <Button type="submit" disabled={ask.isPending || !email.trim() || !password}>
          Send confirmation link
        </Button>
      </div>
    </form>
  );
}
