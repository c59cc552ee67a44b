/** The recurrence builder (words, next dates, the RRULE it saves) and the reminders editor. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Task } from "../../api/types";
import { ToastProvider } from "../../components/toasts";
import { RecurrenceBuilder } from "./RecurrenceBuilder";
import { describeReminder, Reminders } from "./Reminders";

// 2026-12-01 09:00 local, a Tuesday.
const DUE = new Date(2026, 11, 1, 9, 0).toISOString();
const base = { id: "t-1", key: "RB-1", title: "Pay", project_id: "p", due_at: DUE, recurrence: null, reminders: [] } as unknown as Task;

beforeEach(() => {
  vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ kinds: { reminder: { in_app: true, email: false, calendar: false } } }), { headers: { "Content-Type": "application/json" } })));
});
afterEach(() => vi.unstubAllGlobals());

function wrap(node: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <ToastProvider>{node}</ToastProvider>
    </QueryClientProvider>,
  );
}

describe("RecurrenceBuilder", () => {
  it("builds every 2 weeks on Tuesday and Thursday, with its next dates", () => {
    const onSave = vi.fn();
    wrap(<RecurrenceBuilder task={base} onSave={onSave} />);
    expect(screen.getByText("Does not repeat")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Make it repeat" }));
    // Weekly on the due date's weekday by default.
    expect(screen.getByTestId("recurrence-preview")).toHaveTextContent("Every week on Tuesday");
    fireEvent.change(screen.getByLabelText("every"), { target: { value: "2" } });
    fireEvent.click(screen.getByRole("checkbox", { name: /Thursday/ }));
    expect(screen.getByTestId("recurrence-preview")).toHaveTextContent("Every 2 weeks on Tuesday and Thursday");
    const next = within(screen.getByTestId("recurrence-next")).getAllByRole("listitem");
    expect(next.map((li) => li.querySelector("time")?.getAttribute("dateTime")?.slice(0, 10))).toHaveLength(5);
    expect(next[0]?.querySelector("time")?.getAttribute("dateTime")).toBe(new Date(2026, 11, 3, 9).toISOString());
    fireEvent.change(screen.getByLabelText("Next one"), { target: { value: "fixed" } });
    fireEvent.click(screen.getByRole("button", { name: "Save repeat" }));
    expect(onSave).toHaveBeenCalledWith({ recurrence: { rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", mode: "fixed" } });
  });

  it("builds the last Friday of each month, ending after 6 times", () => {
    const onSave = vi.fn();
    wrap(<RecurrenceBuilder task={base} onSave={onSave} />);
    fireEvent.click(screen.getByRole("button", { name: "Make it repeat" }));
    fireEvent.change(screen.getByLabelText("Frequency"), { target: { value: "MONTHLY" } });
    expect(screen.getByTestId("recurrence-preview")).toHaveTextContent("Every month on the 1st");
    fireEvent.click(screen.getAllByRole("radio")[1] as HTMLElement);
    fireEvent.change(screen.getByLabelText("Weekday"), { target: { value: "5" } });
    expect(screen.getByTestId("recurrence-preview")).toHaveTextContent("Last Friday of each month");
    fireEvent.change(screen.getByLabelText("Ends"), { target: { value: "count" } });
    fireEvent.change(screen.getByLabelText("Number of times"), { target: { value: "6" } });
    expect(screen.getByTestId("recurrence-preview")).toHaveTextContent("Last Friday of each month, 6 times");
    fireEvent.click(screen.getByRole("button", { name: "Save repeat" }));
    expect(onSave).toHaveBeenCalledWith({ recurrence: { rrule: "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6", mode: "after_completion" } });
  });

  it("shows a saved rule in words and can stop it", () => {
    const onSave = vi.fn();
    wrap(<RecurrenceBuilder task={{ ...base, recurrence: { rrule: "FREQ=MONTHLY;BYDAY=-1FR", mode: "fixed" } }} onSave={onSave} />);
    expect(screen.getByTestId("recurrence-words")).toHaveTextContent("last Friday of each month");
    fireEvent.click(screen.getByRole("button", { name: "Change repeat" }));
    fireEvent.click(screen.getByRole("button", { name: "Stop repeating" }));
    expect(onSave).toHaveBeenCalledWith({ recurrence: null });
  });
});

describe("Reminders", () => {
  it.each([
    [{ before_minutes: 60 }, "1 hour before due"],
    [{ before_minutes: 2880 }, "2 days before due"],
    [{ before_minutes: 15 }, "15 minutes before due"],
    [{ before_minutes: 0 }, "when it is due"],
  ])("%j reads %s", (r, words) => expect(describeReminder(r)).toBe(words));

  it("adds and removes reminders as one list", async () => {
    const onSave = vi.fn();
    const task = { ...base, reminders: [{ before_minutes: 60 }] } as unknown as Task;
    wrap(<Reminders task={task} onSave={onSave} />);
    expect(screen.getByText("1 hour before due")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("How long before"), { target: { value: "2" } });
    fireEvent.change(screen.getByLabelText("Unit"), { target: { value: "1440" } });
    fireEvent.click(screen.getByRole("button", { name: "Add reminder" }));
    expect(onSave).toHaveBeenLastCalledWith({ reminders: [{ before_minutes: 60 }, { before_minutes: 2880 }] });
    fireEvent.click(screen.getByRole("button", { name: "Remove reminder 1 hour before due" }));
    expect(onSave).toHaveBeenLastCalledWith({ reminders: [] });
    // The channels of the "Reminders" preference are shown.
    expect(await screen.findByRole("checkbox", { name: "In app" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Email" })).not.toBeChecked();
  });

  it("a reminder before due needs a due date", () => {
    const onSave = vi.fn();
    wrap(<Reminders task={{ ...base, due_at: null }} onSave={onSave} />);
    fireEvent.click(screen.getByRole("button", { name: "Add reminder" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Set a due date first");
    expect(onSave).not.toHaveBeenCalled();
  });
});
