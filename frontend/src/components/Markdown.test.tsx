import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { Markdown } from "./Markdown";

describe("Markdown", () => {
  it("renders formatting", () => {
    const { container } = render(<Markdown source={"**bold** and a [link](https://example.com)\n\n- one\n- two"} />);
    expect(container.querySelector("strong")?.textContent).toBe("bold");
    const link = container.querySelector("a")!;
    expect(link.getAttribute("href")).toBe("https://example.com");
    expect(link.getAttribute("rel")).toContain("noopener");
    expect(container.querySelectorAll("li")).toHaveLength(2);
  });

  it("drops raw HTML and script URLs", () => {
    const { container } = render(
      <Markdown source={'<img src=x onerror="alert(1)"> <script>alert(2)</script> [click](javascript:alert(3)) ![i](data:text/html,<b>x</b>)'} />,
    );
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("img[onerror]")).toBeNull();
    for (const a of container.querySelectorAll("a")) expect(a.getAttribute("href") ?? "").not.toMatch(/^javascript:/i);
    for (const img of container.querySelectorAll("img")) expect(img.getAttribute("src") ?? "").not.toMatch(/^data:/i);
    expect(container.innerHTML).not.toContain("onerror");
  });
});
