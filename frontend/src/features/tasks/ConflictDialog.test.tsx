/**
 * A stale save (412): the change rolls back, their version is loaded, and the conflict view
 * shows theirs against mine; "Overwrite" re-sends my change with their ETag, "Reload" keeps theirs.
 */
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import type { Task } from "../../api/types";
import { fakeApi, json, renderAt, signOutAfterTest } from "../../testing/render";
import { ConflictDialog } from "./ConflictDialog";
import { useTask, useUpdateTask } from "./queries";

afterEach(signOutAfterTest);

const PROJECT = "11111111-1111-4111-8111-111111111111";
const ID = "22222222-2222-4222-8222-222222222222";
const MINE = {
  id: ID,
  project_id: PROJECT,
  key: "OPS-1",
  title: "Pay rent",
  description: "",
  priority: "low",
  status_id: "s1",
  due_at: null,
  assignee_ids: [],
  label_ids: [],
  version: 3,
};
const THEIRS = { ...MINE, title: "Pay the rent", description: "Before Friday", version: 4 };

/** A screen with one task: its title, and a button that saves a new title and priority. */
function Screen() {
  const task = useTask(ID);
  const update = useUpdateTask();
  if (!task.data) return <p>loading</p>;
  const t = task.data;
  return (
    <div>
      <p data-testid="title">{t.title}</p>
      <p data-testid="priority">{t.priority}</p>
      <button onClick={() => update.mutate({ task: t, changes: { title: "Pay rent today", priority: "high" } })}>save</button>
      <ConflictDialog />
    </div>
  );
}

function stale() {
  let server: typeof MINE = MINE;
  let gets = 0;
  const calls = fakeApi(async (call) => {
    if (call.method === "GET" && call.path === `/api/v1/tasks/${ID}`) {
      gets += 1;
      // The first load is mine; by the time I save, they have saved version 4.
      return json(gets === 1 ? MINE : server);
    }
    if (call.method === "GET") return json({ items: [], next_cursor: null });
    if (call.method === "PATCH") {
      if (call.headers.get("If-Match") !== `"${server.version}"` && call.headers.get("If-Match") !== `"3"`) return json({}, 500);
      if (call.headers.get("If-Match") === `"3"`) {
        server = THEIRS;
        return json({ status: 412, title: "Precondition Failed", code: "precondition_failed", detail: "The task changed." }, 412);
      }
      server = { ...server, ...(call.body as object), version: server.version + 1 } as typeof MINE;
      return json(server);
    }
    return json({}, 404);
  });
  return calls;
}

describe("ConflictDialog", () => {
  it("rolls back, shows theirs against mine, and overwrite re-sends my change with their ETag", async () => {
    const calls = stale();
    renderAt("/t", "/t", <Screen />);
    fireEvent.click(await screen.findByRole("button", { name: "save" }));
    const dialog = await screen.findByRole("dialog", { name: "OPS-1 was changed by someone else" });
    const title = within(dialog).getByRole("row", { name: /Title/ });
    expect(title).toHaveTextContent("Pay rent");
    expect(title).toHaveTextContent("Pay the rent");
    expect(title).toHaveTextContent("Pay rent today");
    expect(title).toHaveTextContent("changed by both");
    expect(within(dialog).getByRole("row", { name: /Priority/ })).not.toHaveTextContent("changed by both");
    expect(dialog).toHaveTextContent("They also changed description");
    // The optimistic change was rolled back to their version.
    expect(screen.getByTestId("title")).toHaveTextContent("Pay the rent");
    expect(screen.getByTestId("priority")).toHaveTextContent("low");

    fireEvent.click(within(dialog).getByRole("button", { name: "Overwrite with mine" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    const patches = calls.filter((c) => c.method === "PATCH");
    expect(patches).toHaveLength(2);
    expect(patches[1]?.headers.get("If-Match")).toBe('"4"');
    expect(patches[1]?.body).toEqual({ title: "Pay rent today", priority: "high" });
    await waitFor(() => expect(screen.getByTestId("title")).toHaveTextContent("Pay rent today"));
    expect(screen.getByTestId("priority")).toHaveTextContent("high");
  });

  it("reload keeps their version and sends nothing more", async () => {
    const calls = stale();
    renderAt("/t", "/t", <Screen />);
    fireEvent.click(await screen.findByRole("button", { name: "save" }));
    const dialog = await screen.findByRole("dialog", { name: "OPS-1 was changed by someone else" });
    fireEvent.click(within(dialog).getByRole("button", { name: "Reload (keep theirs)" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(screen.getByTestId("title")).toHaveTextContent("Pay the rent");
    expect(calls.filter((c) => c.method === "PATCH")).toHaveLength(1);
  });

  it("without a conflict view on screen, a 412 is said in a toast", async () => {
    stale();
    function Bare() {
      const task = useTask(ID);
      const update = useUpdateTask();
      return task.data ? <button onClick={() => update.mutate({ task: task.data as Task, changes: { title: "x" } })}>save</button> : null;
    }
    renderAt("/t", "/t", <Bare />);
    fireEvent.click(await screen.findByRole("button", { name: "save" }));
    expect(await screen.findByText(/was changed by someone else meanwhile/)).toBeInTheDocument();
  });
});
