/**
 * Change the password (`POST /auth/password/change`). The caller's other sessions end; API
 * tokens end too unless the person keeps them (off by default, as after a reset: a password
 * change is often a reaction to a leak).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { authApi } from "../../api/client";
import { ApiError, fieldMessages, unwrap } from "../../api/errors";
import { useToast } from "../../components/toasts";
import { Button, Field, FormError } from "../../components/ui";

export function PasswordChange() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [keepTokens, setKeepTokens] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});

  const change = useMutation({
    mutationFn: async () =>
      unwrap(await authApi.POST("/api/v1/auth/password/change", { body: { current_password: current, new_password: next, keep_api_tokens: keepTokens } })),
    onSuccess: () => {
      setCurrent("");
      setNext("");
      setErrors({});
      toast.show(keepTokens ? "Password changed; your other sessions are signed out." : "Password changed; your other sessions and API tokens are ended.");
      void queryClient.invalidateQueries({ queryKey: ["auth"] });
    },
    onError: (error) => {
      // A wrong current password is a 401/403 without a field: say it under that field.
      if (error instanceof ApiError && !error.problem.errors?.length && (error.status === 401 || error.status === 403)) {
        setErrors({ current_password: error.message });
        return;
      }
      setErrors(fieldMessages(error, ""));
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    change.mutate();
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-3" aria-labelledby="password-heading">
      <h2 id="password-heading" className="font-semibold">
        Password
      </h2>
      <Field label="Current password" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} error={errors.current_password} required />
      <Field label="New password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} error={errors.new_password} required />
      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" className="mt-1" checked={keepTokens} onChange={(e) => setKeepTokens(e.target.checked)} />
        <span>
          Keep my API tokens working
          <span className="block text-xs text-slate-500 dark:text-slate-400">Leave this off if you change the password because it may have leaked: the tokens end with it.</span>
        </span>
      </label>
      <FormError message={errors[""]} />
      <div>
        <Button type="submit" disabled={change.isPending || !current || !next}>
          Change password
        </Button>
      </div>
    </form>
  );
}
