/** Preferences: a switch sends only its kind, a refusal rolls the switch back; the feed URL is rotated and shown. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ToastProvider } from "../../components/toasts";
import NotificationPrefs, { KIND_LABELS } from "./NotificationPrefs";

afterEach(() => vi.unstubAllGlobals());

const KINDS = Object.fromEntries(Object.keys(KIND_LABELS).map((k) => [k, { in_app: true, email: false, calendar: false }]));
const PREFS = { digest: "off", digest_hour: 8, kinds: KINDS };

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" } });
}

function renderPrefs(onWrite: (method: string, path: string, body: unknown) => Response | Promise<Response>) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const path = new URL(input.url).pathname;
      if (input.method === "GET") return json(PREFS, 200);
      return onWrite(input.method, path, input.method === "PUT" ? await input.json() : null);
    }),
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <NotificationPrefs />
      </ToastProvider>
    </QueryClientProvider>,
  );
}

describe("NotificationPrefs", () => {
  it("turns on email for one kind and sends that kind only", async () => {
    const sent: unknown[] = [];
    renderPrefs((_m, _p, body) => {
      sent.push(body);
      return json({ ...PREFS, kinds: { ...KINDS, mentioned: { in_app: true, email: true, calendar: false } } }, 200);
    });
    const box = await screen.findByRole("checkbox", { name: "Someone mentions me: Email" });
    expect(box).not.toBeChecked();
    fireEvent.click(box);
    await waitFor(() => expect(box).toBeChecked());
    expect(await screen.findByText("Preferences saved")).toBeInTheDocument();
    expect(sent).toEqual([{ kinds: { mentioned: { in_app: true, email: true, calendar: false } } }]);
    // The calendar channel is offered for due dates only.
    expect(screen.getByRole("checkbox", { name: "A task of mine is due: Calendar" })).toBeInTheDocument();
    expect(screen.queryByRole("checkbox", { name: "Someone mentions me: Calendar" })).toBeNull();
  });

  it("rolls the switch back when the API refuses", async () => {
    let refuse = () => {};
    renderPrefs(
      () =>
        new Promise<Response>((resolve) => {
          refuse = () => resolve(json({ status: 503, title: "Service unavailable", detail: "Notifications is down for a moment." }, 503));
        }),
    );
    const box = await screen.findByRole("checkbox", { name: "Reminders: In app" });
    expect(box).toBeChecked();
    fireEvent.click(box);
    // Optimistic: off at once, while the request is still out.
    await waitFor(() => expect(box).not.toBeChecked());
    refuse();
    expect(await screen.findByText("Notifications is down for a moment.")).toBeInTheDocument();
    await waitFor(() => expect(box).toBeChecked());
  });

  it("rotates the calendar feed and shows its new URL", async () => {
    const calls: string[] = [];
    renderPrefs((method, path) => {
      calls.push(`${method} ${path}`);
      return json({ url: "http://localhost:8080/api/v1/calendar/feeds/abc123.ics" }, 200);
    });
    fireEvent.click(await screen.findByRole("button", { name: "Make a new feed URL" }));
    expect(await screen.findByLabelText("Feed URL")).toHaveTextContent("http://localhost:8080/api/v1/calendar/feeds/abc123.ics");
    expect(calls).toEqual(["POST /api/v1/calendar/feed"]);
    expect(screen.getByRole("button", { name: "Rotate feed URL" })).toBeInTheDocument();
  });
});
