/** The workflow on the board: order, the WIP header, and what a refused move says and undoes. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "../../api/errors";
import type { ProjectStatus, Task } from "../../api/types";
import { ToastProvider } from "../../components/toasts";
import { useUpdateTask } from "../tasks/queries";
import { ColumnHeader } from "./BoardPage";
import { refusalMessage, useProjectStatuses, wipState } from "./statuses";

afterEach(() => vi.unstubAllGlobals());

const PROJECT = "11111111-1111-4111-8111-111111111111";

function status(id: string, name: string, position: number, wip_limit: number | null = null): ProjectStatus {
  return {
    id,
    name,
    position,
    wip_limit,
    category: "in_progress",
    colour: "#3b82f6",
    project_id: PROJECT,
    task_count: 0,
    version: 1,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
}

function json(body: unknown, init: number, contentType = "application/json"): Response {
  return new Response(JSON.stringify(body), { status: init, headers: { "Content-Type": contentType } });
}

function wrapper(client: QueryClient) {
  return ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>
      <ToastProvider>{children}</ToastProvider>
    </QueryClientProvider>
  );
}

describe("wipState and the column header", () => {
  it("shows count / limit and is full at the limit", () => {
    expect(wipState(3, null)).toEqual({ label: "3", full: false });
    expect(wipState(1, 2)).toEqual({ label: "1 / 2", full: false });
    expect(wipState(2, 2)).toEqual({ label: "2 / 2", full: true });
  });
  it("highlights a full column and says so in words", () => {
    render(<ColumnHeader name="review" colour="#ff0000" count={1} limit={1} />);
    const count = screen.getByText("1 / 1");
    expect(count).toHaveAttribute("data-wip-full", "true");
    expect(count).toHaveTextContent("WIP limit reached");
    expect(screen.getByRole("heading")).toHaveTextContent("Review");
  });
  it("leaves a column under its limit plain", () => {
    render(<ColumnHeader name="Doing" colour="#ff0000" count={0} limit={1} />);
    expect(screen.getByText("0 / 1")).not.toHaveAttribute("data-wip-full");
  });
});

describe("refusalMessage", () => {
  it("names the full status and its limit", () => {
    const error = new ApiError(409, { code: "wip_limit_reached", status_name: "review", wip_limit: 1 } as never);
    expect(refusalMessage(error, "WL-2")).toBe("WL-2 not moved: Review is at its WIP limit (limit 1).");
  });
  it("names the open blockers", () => {
    const error = new ApiError(409, { code: "open_blockers", blockers: [{ key: "WL-1", title: "Sign contract" }] } as never);
    expect(refusalMessage(error, "WL-2")).toBe("WL-2 cannot be completed: blocked by WL-1 Sign contract.");
  });
  it("leaves other errors to the generic message", () => {
    expect(refusalMessage(new ApiError(409, { code: "duplicate_dependency" }), "WL-2")).toBeNull();
    expect(refusalMessage(new ApiError(412, { code: "wip_limit_reached" }), "WL-2")).toBeNull();
  });
});

describe("useProjectStatuses", () => {
  it("fetches the project's statuses and keeps the workflow's order", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: Request) => {
        expect(new URL(input.url).pathname).toBe(`/api/v1/projects/${PROJECT}/statuses`);
        return json({ items: [status("b", "done", 2), status("a", "todo", 0), status("c", "review", 1, 1)] }, 200);
      }),
    );
    function Names() {
      const { statuses } = useProjectStatuses(PROJECT);
      return <p>{statuses.map((s) => s.name).join(",")}</p>;
    }
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(<Names />, { wrapper: wrapper(client) });
    expect(await screen.findByText("todo,review,done")).toBeInTheDocument();
  });
});

describe("a refused move", () => {
  it("rolls the card back and says which WIP limit is full", async () => {
    const sent: unknown[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: Request) => {
        if (input.method === "PATCH") {
          sent.push(await input.json());
          return json(
            { type: "about:blank", title: "The status is at its WIP limit", status: 409, code: "wip_limit_reached", status_name: "review", wip_limit: 1 },
            409,
            "application/problem+json",
          );
        }
        return json({ items: [] }, 200);
      }),
    );
    const task = { id: "t1", key: "WL-2", project_id: PROJECT, status_id: "todo-id", status: "todo", position: 1, version: 3 } as Task;
    const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
    const listKey = ["projects", PROJECT, "tasks", { sort: "position" }];
    client.setQueryData(listKey, [task]);
    let mutate: ReturnType<typeof useUpdateTask>["mutate"] | undefined;
    function Mover() {
      mutate = useUpdateTask().mutate;
      return null;
    }
    render(<Mover />, { wrapper: wrapper(client) });
    act(() => mutate!({ task, changes: { status_id: "review-id", position: 5 } }));
    expect(await screen.findByRole("alert")).toHaveTextContent("WL-2 not moved: Review is at its WIP limit (limit 1).");
    expect(sent).toEqual([{ status_id: "review-id", position: 5 }]);
    await waitFor(() => expect(client.getQueryData<Task[]>(listKey)?.[0]?.status_id).toBe("todo-id"));
  });
});
