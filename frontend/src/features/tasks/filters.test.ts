import { describe, expect, it } from "vitest";

import { readFilters, toApiQuery, writeFilters } from "./filters";

describe("list filters in the URL", () => {
  it("round-trips through the query string", () => {
    const params = new URLSearchParams("status=todo&status=0b9d6c1e-3f1a-4e55-9a49-2f7f5d1c7a10&priority=high&q=vendor&assignee=me&sort=-due_at");
    const filters = readFilters(params);
    expect(filters).toEqual({ status: ["todo", "0b9d6c1e-3f1a-4e55-9a49-2f7f5d1c7a10"], priority: ["high"], q: "vendor", sort: "-due_at", assignee: "me" });
    expect(writeFilters(filters).toString()).toBe(params.toString());
  });
  it("drops values the API does not know", () => {
    const filters = readFilters(new URLSearchParams("status=nope&status=blocked&priority=extreme&sort=drop table"));
    expect(filters.status).toEqual([]);
    expect(filters.priority).toEqual([]);
    expect(filters.sort).toBe("position");
  });
  it("leaves defaults out of the URL", () => {
    expect(writeFilters(readFilters(new URLSearchParams())).toString()).toBe("");
  });
  it("asks the API only for what is set, and ranks only a search", () => {
    expect(toApiQuery(readFilters(new URLSearchParams("sort=rank")))).toEqual({ sort: "position" });
    expect(toApiQuery(readFilters(new URLSearchParams("sort=rank&q=%20x%20")))).toEqual({ q: "x", sort: "rank" });
  });
});
