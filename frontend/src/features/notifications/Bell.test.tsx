/** The bell shows the unread count and follows a live notification (via the bridge's keys). */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryRouter } from "react-router";

import { keysFor } from "../../live/bridge";
import { Bell } from "./Bell";

afterEach(() => vi.unstubAllGlobals());

describe("Bell", () => {
  it("shows the unread count and refreshes it when a notification arrives", async () => {
    let count = 3;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: Request) => {
        expect(new URL(input.url).pathname).toBe("/api/v1/notifications/unread-count");
        return new Response(JSON.stringify({ count }), { status: 200, headers: { "Content-Type": "application/json" } });
      }),
    );
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <MemoryRouter>
          <Bell />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    expect(await screen.findByRole("button", { name: "Notifications, 3 unread" }, { timeout: 10_000 })).toBeInTheDocument();
    expect(screen.getByTestId("unread-count")).toHaveTextContent("3");

    count = 4;
    await act(async () => {
      for (const key of keysFor({ type: "notification", notification: { id: "n1", created_at: "2026-12-07T10:00:00Z", title: "Assigned" } })) {
        await client.invalidateQueries({ queryKey: key });
      }
    });
    expect(await screen.findByRole("button", { name: "Notifications, 4 unread" }, { timeout: 10_000 })).toBeInTheDocument();
  });
});
