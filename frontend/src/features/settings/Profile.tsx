/**
 * The account's own fields (display name, time zone, language): `PATCH /users/me` with
 * `If-Match`, so a change made in another tab meanwhile is not overwritten silently.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { authApi } from "../../api/client";
import { ApiError, fieldMessages, unwrap } from "../../api/errors";
import type { User } from "../../api/types";
import { useToast } from "../../components/toasts";
import { Button, Field, FormError } from "../../components/ui";

/** The zones the browser knows (for the suggestions list); empty where it cannot say. */
function zones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.("timeZone") ?? [];
}

export function Profile({ me }: { me: User }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState(me.display_name);
  const [timezone, setTimezone] = useState(me.timezone);
  const [locale, setLocale] = useState(me.locale);
  const [errors, setErrors] = useState<Record<string, string>>({});

  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await authApi.PATCH("/api/v1/users/me", {
          params: { header: { "If-Match": `"${me.version}"` } },
          body: { display_name: name.trim(), timezone: timezone.trim(), locale: locale.trim() },
        }),
      ),
    onSuccess: (fresh) => {
      queryClient.setQueryData(["users", "me"], fresh);
      setErrors({});
      toast.show("Profile saved");
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 412) {
        // Changed elsewhere (another tab): load theirs and let the person decide again.
        void queryClient.invalidateQueries({ queryKey: ["users", "me"] });
        setErrors({ "": "Your profile was changed elsewhere meanwhile; it is reloaded. Check it and save again." });
        return;
      }
      setErrors(fieldMessages(error, ""));
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-3" aria-labelledby="profile-heading">
      <h2 id="profile-heading" className="font-semibold">
        Profile
      </h2>
      <Field label="Display name" value={name} onChange={(e) => setName(e.target.value)} error={errors.display_name} required maxLength={100} />
      <Field
        label="Time zone"
        value={timezone}
        onChange={(e) => setTimezone(e.target.value)}
        error={errors.timezone}
        list="profile-zones"
        hint="An IANA name such as Europe/Berlin: dates and reminders use it."
      />
      <datalist id="profile-zones">
        {zones().map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <Field label="Language" value={locale} onChange={(e) => setLocale(e.target.value)} error={errors.locale} hint="A language tag such as en or de-CH." />
      <FormError message={errors[""]} />
      <div>
        <Button type="submit" disabled={save.isPending || !name.trim()}>
          Save profile
        </Button>
      </div>
    </form>
  );
}
