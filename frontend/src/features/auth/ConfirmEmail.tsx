/** The landing route of the email-change mail: `/confirm-email?token=...` (the new address). */
import { useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { authApi } from "../../api/client";
import { describe, unwrap } from "../../api/errors";
import { AuthPage } from "./AuthPage";

export default function ConfirmEmail() {
  const [params] = useSearchParams();
  const token = params.get("token");
  const [state, setState] = useState<{ ok: boolean; text: string } | null>(null);
  const sent = useRef(false);

  useEffect(() => {
    // The token is single use: React's double effects in development must not spend it twice.
    if (sent.current) return;
    sent.current = true;
    if (!token) {
      setState({ ok: false, text: "This link has no token. Open the link from the mail again." });
      return;
    }
    authApi
      .POST("/api/v1/auth/email/confirm", { body: { token } })
      .then(unwrap)
      .then(() => setState({ ok: true, text: "Your account now uses this address." }))
      .catch((err: unknown) => setState({ ok: false, text: describe(err) }));
  }, [token]);

  return (
    <AuthPage title="New email address">
      {state === null ? (
        <p aria-busy="true">Checking your link…</p>
      ) : (
        <div className="flex flex-col gap-4">
          <p role={state.ok ? "status" : "alert"}>{state.text}</p>
          <Link className="text-indigo-700 underline dark:text-indigo-300" to="/sign-in">
            Continue to Taskflow
          </Link>
        </div>
      )}
    </AuthPage>
  );
}
