/**
 * Two-step sign-in (TOTP): enrol by scanning a QR code of auth's `otpauth://` URI (or typing the
 * secret), confirm with a first code, then see the ten recovery codes once; turn it off with the
 * password and a code. The secret and the codes live in this component's state only, and are
 * gone when the person leaves the page.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { QRCodeSVG } from "qrcode.react";
import { useState, type FormEvent } from "react";

import { authApi } from "../../api/client";
import { ApiError, fieldMessages, unwrap } from "../../api/errors";
import type { components } from "../../api/generated/auth";
import type { User } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button, Field, FormError } from "../../components/ui";

type Setup = components["schemas"]["TotpSetup"];

/** A wrong code or password answers 401 without field errors: show it under the field. */
function messages(error: unknown, field: string): Record<string, string> {
  if (error instanceof ApiError && !error.problem.errors?.length && error.status === 401) {
    return { [error.code === "invalid_credentials" ? "password" : field]: error.message };
  }
  return fieldMessages(error, "");
}

export function TwoStep({ me }: { me: User }) {
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <section aria-labelledby="mfa-heading" className="flex flex-col gap-3">
      <h2 id="mfa-heading" className="font-semibold">
        Two-step sign-in
      </h2>
      {codes ? (
        <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />
      ) : me.mfa_enabled ? (
        <Disable />
      ) : (
        <Enrol onEnabled={setCodes} />
      )}
    </section>
  );
}

function Enrol({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const queryClient = useQueryClient();
  const [setup, setSetup] = useState<Setup | null>(null);
  const [code, setCode] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});

  const start = useMutation({
    mutationFn: async () => unwrap(await authApi.POST("/api/v1/auth/mfa/totp/setup")),
    onSuccess: (answer) => {
      setSetup(answer);
      setErrors({});
    },
    onError: (error) => setErrors(fieldMessages(error, "")),
  });
  const confirm = useMutation({
    mutationFn: async () => unwrap(await authApi.POST("/api/v1/auth/mfa/totp/confirm", { body: { code: code.replace(/\s/g, "") } })),
    onSuccess: (answer) => {
      onEnabled(answer.recovery_codes);
      void queryClient.invalidateQueries({ queryKey: ["users", "me"] });
    },
    onError: (error) => setErrors(messages(error, "code")),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    confirm.mutate();
  }

  if (!setup) {
    return (
      <div className="flex flex-col gap-2">
        <p className="text-sm text-slate-600 dark:text-slate-300">Off. With it on, signing in also asks for a code from an authenticator app on your phone.</p>
        <FormError message={errors[""]} />
        <div>
          <Button onClick={() => start.mutate()} disabled={start.isPending}>
            Set up two-step sign-in
          </Button>
        </div>
      </div>
    );
  }
  return (
    <form onSubmit={submit} className="flex flex-col gap-3">
      <p className="text-sm">1. Scan this code with your authenticator app (or type the key below it).</p>
      {/* White behind the code in both themes: scanners need the contrast. */}
      <div className="w-fit rounded-md bg-white p-3">
        <QRCodeSVG value={setup.otpauth_uri} size={176} title="QR code for your authenticator app" />
      </div>
      <p className="text-sm">
        Key: <code className="font-mono break-all select-all">{setup.secret}</code>
      </p>
      <Field
        label="2. Code from the app"
        inputMode="numeric"
        autoComplete="one-time-code"
        value={code}
        onChange={(e) => setCode(e.target.value)}
        error={errors.code}
        required
      />
      <FormError message={errors[""]} />
      <div className="flex gap-2">
        <Button type="submit" disabled={confirm.isPending || !code.trim()}>
          Turn on
        </Button>
        <Button variant="secondary" onClick={() => setSetup(null)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const toast = useToast();
  async function copy() {
    try {
      await navigator.clipboard.writeText(codes.join("\n"));
      toast.show("Recovery codes copied");
    } catch {
      toast.show("Could not copy: select the codes and copy them by hand.", "error");
    }
  }
  return (
    <div role="region" aria-label="Recovery codes" className="flex flex-col gap-3 rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-700 dark:bg-amber-950">
      <p className="text-sm font-medium">Two-step sign-in is on. Keep these recovery codes somewhere safe: each signs you in once if you lose your phone.</p>
      <p className="text-sm">They are shown only now.</p>
      <ul className="grid grid-cols-2 gap-1 font-mono text-sm">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <div className="flex gap-2">
        <Button variant="secondary" onClick={() => void copy()}>
          Copy codes
        </Button>
        <Button onClick={onDone}>I have saved them</Button>
      </div>
    </div>
  );
}

function Disable() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const disable = useMutation({
    mutationFn: async () => unwrap(await authApi.POST("/api/v1/auth/mfa/totp/disable", { body: { password, code: code.trim() } })),
    onSuccess: () => {
      setPassword("");
      setCode("");
      setErrors({});
      toast.show("Two-step sign-in is off");
      void queryClient.invalidateQueries({ queryKey: ["users", "me"] });
    },
    onError: (error) => setErrors(messages(error, "code")),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    disable.mutate();
  }
  return (
    <form onSubmit={submit} className="flex flex-col gap-3">
      <p className="text-sm text-slate-600 dark:text-slate-300">On: signing in asks for a code from your authenticator app.</p>
      <Field label="Password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} error={errors.password} required />
      <Field label="Code or recovery code" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} error={errors.code} required />
      <FormError message={errors[""]} />
      <div>
        <Button type="submit" variant="secondary" disabled={disable.isPending || !password || !code.trim()}>
          Turn off two-step sign-in
        </Button>
      </div>
    </form>
  );
}
