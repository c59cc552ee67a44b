/** Sign-in as a person uses it: password, then the MFA step; errors shown where they belong. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createMemoryRouter, RouterProvider } from "react-router";

import { clearSession, getAccessToken } from "../../api/session";
import { AuthProvider } from "./AuthProvider";
import SignIn, { safeNext } from "./SignIn";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function mount(answers: ((body: Record<string, unknown>, path: string) => Response)[]) {
  const seen: { path: string; body: Record<string, unknown> }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const path = new URL(input.url).pathname;
      const body = JSON.parse((await input.text()) || "{}") as Record<string, unknown>;
      seen.push({ path, body });
      return answers.shift()!(body, path);
    }),
  );
  const router = createMemoryRouter(
    [
      { path: "/sign-in", element: <SignIn /> },
      { path: "/projects", element: <p>Projects page</p> },
    ],
    { initialEntries: ["/sign-in"] },
  );
  render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthProvider>
        <RouterProvider router={router} />
      </AuthProvider>
    </QueryClientProvider>,
  );
  return seen;
}

function fillPassword() {
  fireEvent.change(screen.getByLabelText("Email"), { target: { value: "ann@example.com" } });
  fireEvent.change(screen.getByLabelText("Password"), { target: { value: "correct horse battery" } });
  fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

beforeEach(() => clearSession());
afterEach(() => vi.unstubAllGlobals());

describe("SignIn", () => {
  it("asks for the MFA code, then signs in with the cookie mode", async () => {
    const seen = mount([
      () => json(200, { mfa_required: true, mfa_token: "mfa-1", expires_in: 300 }),
      () => json(200, { access_token: "tok", expires_in: 900, refresh_expires_at: "2030-01-01T00:00:00Z", session_id: "s" }),
    ]);
    fillPassword();
    fireEvent.change(await screen.findByLabelText("Code"), { target: { value: " 123456 " } });
    fireEvent.click(screen.getByRole("button", { name: "Verify" }));
    expect(await screen.findByText("Projects page")).toBeInTheDocument();
    expect(seen[0]).toEqual({ path: "/api/v1/auth/login", body: { email: "ann@example.com", password: "correct horse battery", cookie: true } });
    expect(seen[1]).toEqual({ path: "/api/v1/auth/login/mfa", body: { mfa_token: "mfa-1", code: "123456" } });
    expect(getAccessToken()).toBe("tok");
  });

  it("shows a wrong password as an alert and stays on the page", async () => {
    mount([() => json(401, { status: 401, title: "Unauthorized", code: "invalid_credentials", detail: "Wrong email or password." })]);
    fillPassword();
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(screen.queryByText("Projects page")).toBeNull();
    expect(getAccessToken()).toBeNull();
  });

  it("puts a validation error next to the field it names", async () => {
    mount([
      () =>
        json(422, {
          status: 422,
          title: "Unprocessable",
          code: "validation_error",
          detail: "Invalid request.",
          errors: [{ loc: ["body", "email"], msg: "value is not a valid email address", type: "value_error" }],
        }),
    ]);
    fillPassword();
    const message = await screen.findByText("value is not a valid email address");
    expect(screen.getByLabelText("Email")).toHaveAttribute("aria-describedby", message.id);
  });
});

describe("safeNext", () => {
  it.each([
    ["/projects/1/board", "/projects/1/board"],
    ["//evil.example", "/projects"],
    ["https://evil.example", "/projects"],
    [null, "/projects"],
  ])("%s -> %s", (next, want) => expect(safeNext(next)).toBe(want));
});
