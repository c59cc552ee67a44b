import { describe, expect, it } from "vitest";

import { readFilters } from "./filters";
import { filtersToView, viewSearch, viewToFilters } from "./views";

const STATUS = "0190f0a0-0000-7000-8000-000000000001";

describe("saved views", () => {
  it("round-trips the list's filters", () => {
    const filters = readFilters(new URLSearchParams(`status=${STATUS}&status=done&priority=high&q=vendor&assignee=me&sort=-due_at`));
    const stored = filtersToView(filters);
    expect(stored).toEqual({ status: [STATUS, "done"], priority: ["high"], q: "vendor", assignee: "me", sort: "-due_at" });
    expect(viewToFilters(stored)).toEqual(filters);
  });

  it("leaves out empty filters and what the list does not show", () => {
    expect(filtersToView(readFilters(new URLSearchParams("")))).toEqual({ sort: "position" });
    expect(viewToFilters({ sort: "updated_at", overdue: true, priority: ["low"] })).toEqual({
      status: [],
      priority: ["low"],
      q: "",
      sort: "position",
      assignee: "",
    });
  });

  it("becomes a URL", () => {
    expect(viewSearch({ status: ["todo"], q: "tax", sort: "due_at" })).toBe("status=todo&q=tax&sort=due_at");
  });
});
