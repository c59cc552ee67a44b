/**
 * Personal access tokens: listed without their secret, created with a name and scopes (the
 * secret is in the create answer only, so it is shown once with a copy button), revoked.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { authApi } from "../../api/client";
import { ApiError, describe, unwrap } from "../../api/errors";
import type { components } from "../../api/generated/auth";
import { useToast } from "../../components/toasts";
import { Button, Empty, Field, FormError, Skeleton } from "../../components/ui";
import { SCOPES, type Scope } from "./scopes";

type Created = components["schemas"]["PatCreated"];
const KEY = ["auth", "tokens"];

export default function ApiTokens() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<Created | null>(null);

  const tokens = useQuery({ queryKey: KEY, queryFn: async () => unwrap(await authApi.GET("/api/v1/auth/tokens")).items });
  const create = useMutation({
    mutationFn: async () => unwrap(await authApi.POST("/api/v1/auth/tokens", { body: { name: name.trim(), scopes } })),
    onSuccess: (token) => {
      setCreated(token);
      setName("");
      setScopes([]);
      setErrors({});
    },
    onError: (error) => {
      const fields = error instanceof ApiError ? error.fieldErrors() : {};
      if (Object.keys(fields).length) setErrors(fields);
      else toast.show(describe(error), "error");
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: KEY }),
  });
  const revoke = useMutation({
    mutationFn: async (id: string) => unwrap(await authApi.DELETE("/api/v1/auth/tokens/{token_id}", { params: { path: { token_id: id } } })),
    onSuccess: () => toast.show("Token revoked"),
    onError: (error) => toast.show(describe(error), "error"),
    onSettled: () => queryClient.invalidateQueries({ queryKey: KEY }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setCreated(null);
    create.mutate();
  }
  function toggle(scope: Scope, on: boolean) {
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  }
  async function copy(token: string) {
    try {
      await navigator.clipboard.writeText(token);
      toast.show("Token copied");
    } catch {
      toast.show("Could not copy: select the token and copy it by hand.", "error");
    }
  }
  const live = tokens.data?.filter((t) => !t.revoked_at) ?? [];

  return (
    <section aria-labelledby="tokens-heading" className="flex flex-col gap-3">
      <h2 id="tokens-heading" className="font-semibold">
        API tokens
      </h2>
      {created ? (
        <div role="status" className="rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm dark:border-emerald-800 dark:bg-emerald-950">
          <p className="mb-2">Copy the token “{created.name}” now: it is not shown again.</p>
          <div className="flex items-center gap-2">
            <code aria-label="New token" className="flex-1 break-all rounded bg-white px-2 py-1 dark:bg-slate-900">
              {created.token}
            </code>
            <Button variant="secondary" onClick={() => void copy(created.token)}>
              Copy
            </Button>
          </div>
        </div>
      ) : null}
      <form aria-label="Create a token" onSubmit={submit} className="flex flex-col gap-2 rounded-md border border-slate-200 p-3 dark:border-slate-800">
        <Field label="Token name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} error={errors.name} />
        <fieldset aria-describedby={errors.scopes ? "scopes-error" : undefined}>
          <legend className="text-sm font-medium">Scopes</legend>
          <ul className="mt-1 flex flex-col gap-1">
            {SCOPES.map(({ scope, label }) => (
              <li key={scope}>
                <label className="flex items-start gap-2 text-sm">
                  <input type="checkbox" checked={scopes.includes(scope)} onChange={(e) => toggle(scope, e.target.checked)} className="mt-1" />
                  <span>
                    <code>{scope}</code> <span className="text-slate-500 dark:text-slate-400">{label}</span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
          {errors.scopes ? (
            <p id="scopes-error" className="text-sm text-red-700 dark:text-red-400">
              {errors.scopes}
            </p>
          ) : null}
        </fieldset>
        <FormError message={errors[""]} />
        <div>
          <Button type="submit" disabled={create.isPending}>
            Create token
          </Button>
        </div>
      </form>
      {tokens.isPending ? <Skeleton lines={2} /> : null}
      {tokens.isError ? <FormError message={describe(tokens.error)} /> : null}
      {tokens.data && !live.length ? <Empty title="No API tokens">Create one above to use the API from scripts.</Empty> : null}
      <ul className="flex flex-col gap-2">
        {live.map((t) => (
          <li key={t.id} className="flex items-center justify-between gap-2 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800">
            <span>
              <strong>{t.name}</strong> <code className="text-xs">{t.prefix}…</code>
              <span className="block text-xs text-slate-500">{t.scopes.join(", ")}</span>
              <span className="block text-xs text-slate-500">
                {t.last_used_at ? `Last used ${new Date(t.last_used_at).toLocaleString()}` : "Never used"}
                {t.expires_at ? ` · expires ${new Date(t.expires_at).toLocaleDateString()}` : ""}
              </span>
            </span>
            <Button variant="secondary" aria-label={`Revoke ${t.name}`} onClick={() => revoke.mutate(t.id)}>
              Revoke
            </Button>
          </li>
        ))}
      </ul>
    </section>
  );
}
