"""The web app in a real browser (Debian's chromium driven by Playwright) through the gateway.

The whole first day of a user, as a person does it: register, open the link from the mail,
sign in, create a project and a task (quick add), drag the task across the board; a second
browser context, signed in elsewhere, sees the card move without reloading (the WebSocket),
and a reload keeps the session (silent refresh through the httpOnly cookie).

No browser is downloaded: `infra/local/ensure-tools.sh` installs chromium with apt-get.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import sys
import time
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from e2e.harness import ROOT, System
from taskflow.testing.smtp import SmtpSink

sys.path.insert(0, str(ROOT / "infra" / "local"))
import webapp  # infra/local/webapp.py

pytestmark = pytest.mark.asyncio(loop_scope="session")

#: Debian's chromium; TASKFLOW_CHROMIUM points elsewhere (CI's Ubuntu runner has Google Chrome).
CHROMIUM = Path(os.environ.get("TASKFLOW_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="package")
def web_app(system: System) -> System:
    """Build the SPA (skipped when nothing changed) and serve it from the running gateway."""
    if not (ROOT / "frontend" / "package.json").is_file():
        pytest.skip("no frontend/ yet")
    system.publish_spa(webapp.build())
    return system


@pytest_asyncio.fixture(loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    if not CHROMIUM.exists():  # noqa: ASYNC240 (one stat before the browser starts)
        pytest.fail(
            "chromium is not installed: run infra/local/ensure-tools.sh (apt-get install chromium)"
        )
    async with async_playwright() as pw:
        instance = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            await instance.close()


def _mail_text(message: EmailMessage) -> str:
    return "\n".join(
        str(part.get_content()) for part in message.walk() if part.get_content_maintype() == "text"
    )


async def _sign_in(page: Any, base: str, email: str, password: str) -> None:
    await page.goto(f"{base}/sign-in")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/projects$"))


def _card(page: Any, status: str, title: str) -> Any:
    return page.locator(f'section[data-status="{status}"] li[data-task-id]').filter(has_text=title)


async def _drag(page: Any, source: Any, target: Any) -> None:
    """Drag with real pointer events, in steps, as a hand does (dnd-kit waits for 5 px)."""
    start = await source.bounding_box()
    end = await target.bounding_box()
    assert start
    assert end
    # Grab the card by its top row (key and priority), away from the title link.
    grab_x, grab_y = start["x"] + start["width"] / 3, start["y"] + 10
    await page.mouse.move(grab_x, grab_y)
    await page.mouse.down()
    await page.mouse.move(grab_x + 12, grab_y + 4, steps=4)
    await page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 60, steps=20)
    await page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 64, steps=2)
    await page.mouse.up()


@pytest.mark.needs("auth", "tasks", "notifications", "reporting")
async def test_first_day_in_the_browser(
    web_app: System, browser: Any, mail: SmtpSink, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    base = web_app.gateway_url
    email = f"web-{secrets.token_hex(4)}@example.com"
    password = "web-e2e-" + secrets.token_urlsafe(12)
    first = await browser.new_context()
    second = await browser.new_context()
    page = await first.new_page()
    other = await second.new_page()
    try:
        # Register.
        await page.goto(f"{base}/")
        await page.wait_for_url(re.compile(r"/sign-in"))
        await page.get_by_role("link", name="Create an account").click()
        await page.get_by_label("Name").fill("Wendy Web")
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Create account").click()
        await expect(page.get_by_text("Check your mail")).to_be_visible()

        # The link in the mail lands on the SPA's route and confirms the address.
        message = await mail.wait_for(lambda m: email in str(m.get("To", "")), timeout=30)
        link = re.search(r"https?://\S+/verify-email\?token=[^\s\"'<>&]+", _mail_text(message))
        assert link, _mail_text(message)
        assert link.group(0).startswith(base), "the mail's link must point at the gateway"
        await page.goto(link.group(0))
        await expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
        await page.get_by_role("link", name="Continue to Taskflow").click()

        # Sign in, create a project.
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(re.compile(r"/projects$"))
        await expect(page.get_by_text("No projects yet")).to_be_visible()
        await page.get_by_role("button", name="New project").click()
        await page.get_by_label("Name").fill("Web Launch")
        await expect(page.get_by_label("Key", exact=True)).to_have_value("WL")
        await page.get_by_role("button", name="Create", exact=True).click()
        await page.wait_for_url(re.compile(r"/projects/[0-9a-f-]+/board$"))
        board_url = page.url

        # Quick add (the `c` shortcut focuses it), with its preview.
        quick = page.get_by_label("Quick add a task")
        await expect(quick).to_be_visible()  # the board's chunk has loaded
        await expect(quick).not_to_be_focused()
        await page.keyboard.press("c")
        await expect(quick).to_be_focused()
        await quick.fill("Pay vendor invoice fri 5pm !high")
        await expect(page.get_by_text("Priority high")).to_be_visible()
        await quick.press("Enter")
        card = _card(page, "todo", "Pay vendor invoice")
        await expect(card).to_be_visible()
        await expect(card.get_by_text("high")).to_be_visible()

        # A second browser, signed in as the same person, opens the same board.
        await _sign_in(other, base, email, password)
        await other.goto(board_url)
        await expect(_card(other, "todo", "Pay vendor invoice")).to_be_visible()

        # Drag the card to "In progress".
        await _drag(page, card, page.locator('section[data-status="in_progress"]'))
        await expect(_card(page, "in_progress", "Pay vendor invoice")).to_be_visible()
        await expect(_card(page, "todo", "Pay vendor invoice")).to_have_count(0)

        # The other browser sees it move, live, without reloading.
        await expect(_card(other, "in_progress", "Pay vendor invoice")).to_be_visible(
            timeout=20_000
        )
        await expect(_card(other, "todo", "Pay vendor invoice")).to_have_count(0)

        # The move was saved, and a reload keeps the session (silent refresh via the cookie).
        await page.reload()
        await expect(_card(page, "in_progress", "Pay vendor invoice")).to_be_visible()
        assert "/sign-in" not in page.url

        # The task's page shows its fields and its activity.
        await page.get_by_role("link", name="Pay vendor invoice").click()
        await expect(page.get_by_label("Status").locator("option:checked")).to_have_text(
            "In progress"
        )
        await page.get_by_label("Add a comment").fill(
            "Paid **in full**. <img src=x onerror=alert(1)>"
        )
        await page.get_by_role("button", name="Comment", exact=True).click()
        await expect(page.locator("strong", has_text="in full")).to_be_visible()
        assert await page.locator("img[onerror]").count() == 0

        # Workflow: the owner adds "Review" with a WIP limit of 1 and moves it after "In
        # progress"; it appears on the board as a column with its limit in the header.
        await page.goto(board_url.replace("/board", "/workflow"))
        await page.get_by_label("New status name").fill("Review")
        await page.get_by_label("Category").select_option("in_progress")
        await page.get_by_label("WIP limit", exact=True).fill("1")
        await page.get_by_role("button", name="Add status").click()
        await expect(page.get_by_label("Name of Review")).to_have_value("Review")
        for _ in range(3):  # after cancelled, done, blocked
            await page.get_by_role("button", name="Move Review up").click()
        statuses = page.get_by_role("list", name="Statuses").get_by_role("listitem")
        await expect(statuses.nth(2).get_by_label("Name of Review")).to_be_visible()
        await page.get_by_role("link", name="Board", exact=True).click()
        review = page.locator('section[data-status="Review"]')
        await expect(review.get_by_role("heading")).to_contain_text("0 / 1")
        await expect(page.locator("section[data-status]").nth(2)).to_have_attribute(
            "data-status", "Review"
        )

        # One card fills it; a second one dragged in is refused and goes back, with a toast.
        await _drag(page, _card(page, "in_progress", "Pay vendor invoice"), review)
        await expect(_card(page, "Review", "Pay vendor invoice")).to_be_visible()
        await expect(review.locator("[data-wip-full]")).to_have_text(re.compile(r"^1 / 1"))
        await quick.fill("Write release notes")
        await quick.press("Enter")
        second_card = _card(page, "todo", "Write release notes")
        await expect(second_card).to_be_visible()
        await _drag(page, second_card, review)
        await expect(page.get_by_role("alert")).to_contain_text(
            "Review is at its WIP limit (limit 1)"
        )
        await expect(_card(page, "todo", "Write release notes")).to_be_visible()
        await expect(_card(page, "Review", "Write release notes")).to_have_count(0)

        # Blocked by: the new task waits for the first; it says "blocked", and completing it
        # is refused with the blocker named.
        await second_card.get_by_role("link", name="Write release notes").click()
        await page.get_by_label("Add a blocker (key or title)").fill("vendor")
        await page.get_by_role("button", name=re.compile(r"Pay vendor invoice$")).click()
        await expect(page.get_by_role("list", name="Blocked by")).to_contain_text(
            "Pay vendor invoice"
        )
        await expect(page.get_by_label("Fields").get_by_text("blocked", exact=True)).to_be_visible()
        await page.get_by_label("Status").select_option(label="Done")
        await expect(
            page.get_by_role("alert").filter(has_text="cannot be completed")
        ).to_contain_text("Pay vendor invoice")
        await expect(page.get_by_label("Status").locator("option:checked")).to_have_text("Todo")

        # Members: add a colleague (registered through the API) by email, then change the role.
        colleague = f"web-colleague-{secrets.token_hex(4)}@example.com"
        import httpx

        transport = httpx.AsyncHTTPTransport(local_address="127.0.0.33")
        async with httpx.AsyncClient(base_url=base, transport=transport, timeout=15) as http:
            made = await http.post(
                "/api/v1/auth/register",
                json={"email": colleague, "password": password, "display_name": "Colin League"},
            )
            assert made.status_code == 201, made.text
        await page.goto(board_url.replace("/board", "/members"))
        await page.get_by_label("Email of the person to add").fill(colleague)
        await page.get_by_label("Role", exact=True).select_option("viewer")
        await page.get_by_role("button", name="Add member").click()
        role = page.get_by_label("Role of Colin League")
        await expect(role).to_have_value("viewer")
        await role.select_option("member")
        await page.reload()
        await expect(page.get_by_label("Role of Colin League")).to_have_value("member")

        # Reports: the project's summary counts the tasks made above and the throughput chart
        # draws their bars. Reporting learns of them from events, so reload until it has.
        await page.goto(board_url.replace("/board", "/reports"))
        bars = page.get_by_role("figure", name="Throughput chart").locator(
            ".recharts-bar-rectangle"
        )
        tasks_count = page.locator("dt", has_text=re.compile(r"^Tasks$")).locator("xpath=../dd")
        for _ in range(30):
            with contextlib.suppress(Exception):  # not rendered yet: try again after a reload
                # The figures first (waited for: a loaded machine draws slowly), then the bars.
                if await tasks_count.inner_text(timeout=10_000) == "2" and await bars.count():
                    break
            await page.wait_for_timeout(1000)
            await page.reload()
        await expect(bars.first).to_be_visible(timeout=20_000)
        await expect(tasks_count).to_have_text("2")
        await expect(page.get_by_role("figure", name="Cumulative flow chart")).to_be_visible()

        # Sign out ends the session: a reload goes back to the sign-in page.
        await page.get_by_label("Account").click()
        await page.get_by_role("button", name="Sign out", exact=True).click()
        await page.wait_for_url(re.compile(r"/sign-in"))
        await page.goto(board_url)
        await page.wait_for_url(re.compile(r"/sign-in"))
    except BaseException:
        for name, p in (("first", page), ("second", other)):
            path = web_app.workdir / f"web-failure-{name}.png"
            with contextlib.suppress(Exception):  # best effort while reporting a failure
                await p.screenshot(path=str(path), full_page=True)
                sys.stderr.write(f"\nscreenshot: {path}\n")
        raise
    finally:
        await first.close()
        await second.close()


@pytest.mark.needs("auth", "notifications")
async def test_password_reset_and_mfa_sign_in_in_the_browser(
    web_app: System, browser: Any, mail: SmtpSink
) -> None:
    """The reset mail's link lands on the SPA; sign-in then asks for the TOTP code."""
    import httpx
    import pyotp
    from playwright.async_api import expect

    base = web_app.gateway_url
    email = f"web-mfa-{secrets.token_hex(4)}@example.com"
    old_password = "web-e2e-" + secrets.token_urlsafe(12)
    new_password = "web-e2e-new-" + secrets.token_urlsafe(12)
    # The account and its MFA are set up through the API from an address of their own (nginx
    # budgets logins per address); the browser then does what a person does.
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.31")
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=15) as http:
        registered = await http.post(
            "/api/v1/auth/register",
            json={"email": email, "password": old_password, "display_name": "Mfa Web"},
        )
        assert registered.status_code == 201, registered.text
        # Reset mails go only to confirmed addresses: confirm it with the mailed token.
        verification = await mail.wait_for(
            lambda m: email in str(m.get("To", "")) and "verify-email?token=" in _mail_text(m),
            timeout=30,
        )
        token = re.search(r"verify-email\?token=([^\s\"'<>&]+)", _mail_text(verification))
        assert token, _mail_text(verification)
        verified = await http.post("/api/v1/auth/verify-email", json={"token": token.group(1)})
        assert verified.status_code == 200, verified.text
        login = await http.post(
            "/api/v1/auth/login", json={"email": email, "password": old_password}
        )
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        setup = await http.post("/api/v1/auth/mfa/totp/setup", headers=auth)
        assert setup.status_code == 200, setup.text
        totp = pyotp.TOTP(setup.json()["secret"])
        confirmed = await http.post(
            "/api/v1/auth/mfa/totp/confirm", headers=auth, json={"code": totp.now()}
        )
        assert confirmed.status_code == 200, confirmed.text

    context = await browser.new_context()
    page = await context.new_page()
    try:
        await page.goto(f"{base}/sign-in")
        await page.get_by_role("link", name="Forgot your password?").click()
        await page.get_by_label("Email").fill(email)
        await page.get_by_role("button", name="Send reset link").click()
        await expect(page.get_by_text("a reset link is on its way")).to_be_visible()

        message = await mail.wait_for(
            lambda m: email in str(m.get("To", "")) and "reset-password?token=" in _mail_text(m),
            timeout=30,
        )
        link = re.search(r"https?://\S+/reset-password\?token=[^\s\"'<>&]+", _mail_text(message))
        assert link, _mail_text(message)
        await page.goto(link.group(0))
        await page.get_by_label("New password").fill(new_password)
        await page.get_by_role("button", name="Set password").click()
        await expect(page.get_by_text("Your password is changed")).to_be_visible()
        await page.get_by_role("link", name="Sign in").click()

        # The old password no longer works; the new one leads to the MFA step.
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(old_password)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_be_visible()
        await page.get_by_label("Password").fill(new_password)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_text("Two-step verification")).to_be_visible()
        # The confirmation spent the current code (replays are refused): use the next one.
        await page.get_by_label("Code").fill(totp.at(int(time.time()) + 30))
        await page.get_by_role("button", name="Verify").click()
        await page.wait_for_url(re.compile(r"/projects$"))
        await expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    except BaseException:
        with contextlib.suppress(Exception):
            path = web_app.workdir / "web-failure-mfa.png"
            await page.screenshot(path=str(path), full_page=True)
            sys.stderr.write(f"\nscreenshot: {path}\n")
        raise
    finally:
        await context.close()


# Longer than the default: it is long, and run alone it also pays the system's start-up.
@pytest.mark.timeout(600)
@pytest.mark.needs("auth", "tasks", "audit")
async def test_projects_labels_milestones_audit_and_admin_in_the_browser(
    web_app: System, browser: Any
) -> None:
    """An admin runs a project's life and changes a role; an auditor verifies the chain.

    The admin and the auditor are made as `make admin` does (`taskflow-auth create-admin`);
    a colleague registers through the API. Everything else is done in the browser: labels and
    a milestone created on their tabs, a label shown on the board's card, archive and
    unarchive, trash and restore, the colleague made an auditor on the Users tab; the auditor
    finds the archive in the trail, opens it and verifies the chain.
    """
    import httpx
    from playwright.async_api import expect

    base = web_app.gateway_url
    password = "web-e2e-" + secrets.token_urlsafe(12)
    admin = f"web-admin-{secrets.token_hex(4)}@example.com"
    auditor = f"web-auditor-{secrets.token_hex(4)}@example.com"
    colleague = f"web-colin-{secrets.token_hex(4)}@example.com"
    for email, role in ((admin, "admin"), (auditor, "auditor")):
        out = web_app.run_cli(
            "auth",
            "create-admin",
            "--email",
            email,
            "--role",
            role,
            env={"AUTH_ADMIN_PASSWORD": password},
        )
        assert "user" in out, out
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.34")
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=15) as http:
        made = await http.post(
            "/api/v1/auth/register",
            json={"email": colleague, "password": password, "display_name": "Colin Auditson"},
        )
        assert made.status_code == 201, made.text

    admin_context = await browser.new_context(viewport={"width": 1280, "height": 900})
    auditor_context = await browser.new_context(viewport={"width": 360, "height": 780})
    page = await admin_context.new_page()
    audit_page = await auditor_context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before trashing
    try:
        await _sign_in(page, base, admin, password)
        main_nav = page.get_by_role("navigation", name="Main")
        await expect(main_nav.get_by_role("link", name="Admin")).to_be_visible()
        await expect(main_nav.get_by_role("link", name="Audit")).to_be_visible()
        await page.get_by_role("button", name="New project").click()
        await page.get_by_label("Name").fill("Year Close")
        await page.get_by_role("button", name="Create", exact=True).click()
        await page.wait_for_url(re.compile(r"/projects/[0-9a-f-]+/board$"))
        board_url = page.url

        # Labels: made on their tab, then used by quick add and shown on the card.
        views = page.get_by_role("navigation", name="Views")
        await views.get_by_role("link", name="Labels").click()
        await expect(page.get_by_text("No labels yet")).to_be_visible()
        await page.get_by_label("Label name").fill("finance")
        await page.get_by_role("button", name="Add label").click()
        await expect(page.get_by_label("Name of label finance")).to_have_value("finance")
        await page.get_by_label("Label name").fill("finance")
        await page.get_by_role("button", name="Add label").click()
        # A second "finance" is refused, next to the field.
        await expect(page.get_by_label("Label name")).to_have_attribute("aria-invalid", "true")
        await page.get_by_label("Label name").fill("legal")
        await page.get_by_role("button", name="Add label").click()
        await page.get_by_label("Name of label legal").fill("compliance")
        await (
            page.get_by_role("form", name="Label legal").get_by_role("button", name="Save").click()
        )
        await expect(page.get_by_label("Name of label compliance")).to_be_visible()
        await page.get_by_role("button", name="Delete label compliance").click()
        await expect(page.get_by_label("Name of label compliance")).to_have_count(0)

        # Milestones: create with a due date, then rename it.
        await views.get_by_role("link", name="Milestones").click()
        await page.get_by_label("Milestone name").fill("Books closed")
        await page.get_by_label("Due date").fill("2027-01-31")
        await page.get_by_role("button", name="Add milestone").click()
        milestones = page.get_by_role("list", name="Milestones")
        await expect(milestones).to_contain_text("Books closed")
        await expect(milestones).to_contain_text("No tasks yet")
        await page.get_by_role("button", name="Edit milestone Books closed").click()
        await page.get_by_label("Name", exact=True).fill("Books closed for 2026")
        await page.get_by_role("button", name="Save milestone").click()
        await expect(
            page.get_by_role("progressbar", name="Progress of Books closed for 2026")
        ).to_be_visible()

        await views.get_by_role("link", name="Board").click()
        quick = page.get_by_label("Quick add a task")
        await quick.fill("Reconcile accounts #finance")
        await quick.press("Enter")
        card = _card(page, "todo", "Reconcile accounts")
        await expect(card.get_by_role("list", name="Labels")).to_have_text("finance")

        # Archive: read-only, out of the list, back from "Archived projects".
        await page.get_by_role("button", name="Archive project").click()
        await expect(page.get_by_text("This project is archived")).to_be_visible()
        await expect(page.get_by_label("Quick add a task")).to_have_count(0)
        await main_nav.get_by_role("link", name="Projects").click()
        await expect(page.get_by_role("link", name=re.compile("Year Close"))).to_have_count(0)
        await page.get_by_role("link", name="Archived projects").click()
        await page.get_by_role("button", name="Unarchive Year Close").click()
        await expect(page.get_by_text("No archived projects")).to_be_visible()

        # Trash and restore (the undo right after trashing).
        await page.goto(board_url)
        await page.get_by_role("button", name="Move to trash").click()
        await page.wait_for_url(re.compile(r"/projects\?trashed="))
        await expect(page.get_by_text("Year Close is in the trash.")).to_be_visible()
        await page.get_by_role("button", name="Restore Year Close").click()
        await page.wait_for_url(re.compile(r"/projects/[0-9a-f-]+/board$"))
        await expect(_card(page, "todo", "Reconcile accounts")).to_be_visible()

        # Admin: the colleague becomes an auditor; a reload shows it kept.
        await main_nav.get_by_role("link", name="Admin").click()
        await page.wait_for_url(re.compile(r"/admin/users"))
        await page.get_by_label("Search people").fill("Colin Audit")
        # The search settles first (one person listed): a click on a row of the list before
        # it would be undone by the search's answer arriving after it.
        users = page.get_by_role("list", name="Users").get_by_role("listitem")
        await expect(users).to_have_count(1)
        box = page.get_by_role("checkbox", name="auditor role for Colin Auditson")
        await expect(box).not_to_be_checked()
        await box.click()
        await expect(box).to_be_checked()
        await expect(
            page.get_by_text("Colin Auditson now has the roles: user, auditor.")
        ).to_be_visible()
        await page.reload()
        await expect(
            page.get_by_role("checkbox", name="auditor role for Colin Auditson")
        ).to_be_checked()
        await page.get_by_role("link", name="Parked events").click()
        await expect(page.get_by_role("region", name="Parked in audit")).to_be_visible()

        # The auditor, on a phone-sized screen: Audit in the menu, Admin not; the archive is
        # in the trail (the audit worker records it from the event), and the chain holds.
        await _sign_in(audit_page, base, auditor, password)
        nav = audit_page.get_by_role("navigation", name="Main")
        await expect(nav.get_by_role("link", name="Admin")).to_have_count(0)
        await nav.get_by_role("link", name="Audit").click()
        await audit_page.get_by_label("Event type").fill("project.archived")
        await audit_page.get_by_role("button", name="Search").click()
        await audit_page.wait_for_url(re.compile(r"/audit\?type=project.archived"))
        entry = audit_page.get_by_role("link", name="project.archived")
        for _ in range(60):  # the audit worker records it from the event, a moment later
            if await entry.count():
                break
            await audit_page.wait_for_timeout(1000)
            await audit_page.reload()
        await expect(entry.first).to_be_visible()
        verdict = audit_page.get_by_role("status").filter(has_text="The chain")
        await audit_page.get_by_role("button", name="Verify the chain").click()
        await expect(verdict).to_contain_text("The chain holds")
        width = await audit_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the audit trail is {width} px wide at 360 px"
        await entry.first.click()
        await expect(
            audit_page.get_by_role("heading", name=re.compile(r"project\.archived"))
        ).to_be_visible()
        await expect(audit_page.get_by_text("Payload (secrets redacted)")).to_be_visible()
        width = await audit_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the entry page is {width} px wide at 360 px"
    except BaseException:
        for name, p in (("admin", page), ("auditor", audit_page)):
            path = web_app.workdir / f"web-failure-{name}.png"
            with contextlib.suppress(Exception):  # best effort while reporting a failure
                await p.screenshot(path=str(path), full_page=True)
                sys.stderr.write(f"\nscreenshot: {path}\n")
        raise
    finally:
        await admin_context.close()
        await auditor_context.close()


#: axe-core from the frontend's dev dependencies (`npm ci` by infra/local/webapp.py build).
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


async def _axe(page: Any, screen: str, found: list[str]) -> None:
    """Collect the serious or critical axe-core violations of the screen as it is now (the test
    fails at its end with all of them, so one run shows every screen's)."""
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    report = "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(
            f"    {n['target']} {n.get('failureSummary', '')[:160]}" for n in v["nodes"][:5]
        )
        for v in bad
    )
    if bad:
        found.append(f"axe-core on {screen}:\n{report}")


async def _drag_center(page: Any, source: Any, target: Any) -> None:
    """Drag from the middle of `source` to the middle of `target` with real pointer events."""
    start = await source.bounding_box()
    end = await target.bounding_box()
    assert start
    assert end
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x + 8, y + 4, steps=4)
    tx, ty = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    await page.mouse.move(tx, ty, steps=20)
    await page.mouse.move(tx + 2, ty + 2, steps=2)
    await page.mouse.up()


async def _chip_day(page: Any, title: str) -> str:
    """The `YYYY-MM-DD` of the calendar day that shows the task."""
    chip = page.locator("[data-day]").filter(has=page.get_by_role("link", name=title))
    await chip.first.wait_for()
    return str(await chip.first.get_attribute("data-day"))


@pytest.mark.needs("auth", "tasks", "notifications", "reporting")
async def test_task_detail_calendar_views_and_accessibility(web_app: System, browser: Any) -> None:
    """Recurrence in words, reminders, subtasks, a calendar drag (and its rollback), saved views,
    the theme switch, and no serious axe-core violation on the main screens, light and dark."""
    import httpx
    from playwright.async_api import expect

    assert AXE.is_file(), f"{AXE} is missing: npm ci in frontend/"
    base = web_app.gateway_url
    email = f"web-a11y-{secrets.token_hex(4)}@example.com"
    password = "web-e2e-" + secrets.token_urlsafe(12)
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.35")
    http = httpx.AsyncClient(base_url=base, transport=transport, timeout=15)
    made = await http.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "display_name": "Ada Access"},
    )
    assert made.status_code == 201, made.text
    login = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    project = await http.post(
        "/api/v1/projects", headers=auth, json={"name": "Access Audit", "key": "AA"}
    )
    assert project.status_code == 201, project.text
    pid = project.json()["id"]
    # Due on a Tuesday at 10:00 UTC, three to nine days ahead (the browser runs in UTC).
    today = time.gmtime()
    ahead = (1 - today.tm_wday) % 7  # tm_wday: Monday is 0
    ahead += 7 if ahead < 3 else 0
    due_day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + ahead * 86400))
    made_task = await http.post(
        f"/api/v1/projects/{pid}/tasks",
        headers=auth,
        json={"title": "Pay rent", "priority": "high", "due_at": f"{due_day}T10:00:00Z"},
    )
    assert made_task.status_code == 201, made_task.text
    task_id = made_task.json()["id"]
    low = await http.post(
        f"/api/v1/projects/{pid}/tasks", headers=auth, json={"title": "Water plants"}
    )
    assert low.status_code == 201, low.text

    async def task() -> dict[str, Any]:
        answer = await http.get(f"/api/v1/tasks/{task_id}", headers=auth)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def saved_as(check: Any) -> dict[str, Any]:
        """The task once `check(task)` holds (the UI is optimistic: the PATCH may still run)."""
        deadline = time.monotonic() + 15
        current = await task()
        while not check(current) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            current = await task()
        assert check(current), current
        return current

    violations: list[str] = []
    context = await browser.new_context(timezone_id="UTC", viewport={"width": 1280, "height": 900})
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    try:
        await _sign_in(page, base, email, password)
        await expect(page.get_by_role("link", name="Access Audit")).to_be_visible()
        await _axe(page, "projects", violations)
        await page.goto(f"{base}/projects/{pid}/board")
        await expect(page.get_by_role("link", name="Pay rent")).to_be_visible(timeout=20_000)
        await _axe(page, "board", violations)

        # Saved views: filter, save under a name, clear, open it again: the URL has it back.
        await page.goto(f"{base}/projects/{pid}/list")
        await expect(page.get_by_role("link", name="Water plants")).to_be_visible(timeout=20_000)
        # The box is drawn from the URL: click, then wait for the re-render (check() reads the
        # state at once and fails when the router has not re-rendered yet).
        high = page.get_by_role("checkbox", name="high")
        await high.click()
        await expect(high).to_be_checked()
        await expect(page.get_by_role("link", name="Water plants")).to_have_count(0)
        await page.get_by_label("Save these filters as").fill("Urgent money")
        await page.get_by_role("button", name="Save view").click()
        await expect(page.get_by_role("status").or_(page.get_by_role("alert"))).to_contain_text(
            'View "Urgent money" saved'
        )
        await page.goto(f"{base}/projects/{pid}/list")
        await expect(page.get_by_role("link", name="Water plants")).to_be_visible()
        await _axe(page, "list", violations)
        await page.get_by_label("Saved view").select_option(label="Urgent money")
        await expect(page).to_have_url(re.compile(r"priority=high"))
        await expect(page.get_by_role("link", name="Water plants")).to_have_count(0)
        # j focuses the first row's link.
        await page.locator("body").click(position={"x": 5, "y": 5})
        await page.keyboard.press("j")
        await expect(page.get_by_role("link", name="Pay rent")).to_be_focused()

        # Recurrence: every 2 weeks on Tuesday and Thursday, in words, with its next dates.
        await page.goto(f"{base}/projects/{pid}/tasks/{task_id}")
        await page.get_by_role("button", name="Make it repeat").click()
        await page.get_by_label("every", exact=True).fill("2")
        await page.get_by_role("checkbox", name=re.compile("Thursday")).check()
        preview = page.get_by_test_id("recurrence-preview")
        await expect(preview).to_have_text("Every 2 weeks on Tuesday and Thursday")
        await expect(page.get_by_test_id("recurrence-next").locator("li")).to_have_count(5)
        await _axe(page, "task detail (recurrence builder)", violations)
        await page.get_by_role("button", name="Save repeat").click()
        await expect(page.get_by_test_id("recurrence-words")).to_have_text(
            "every 2 weeks on Tuesday and Thursday"
        )
        await saved_as(
            lambda t: (t["recurrence"] or {}).get("rrule") == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"
        )

        # The last Friday of each month.
        await page.get_by_role("button", name="Change repeat").click()
        await page.get_by_label("Frequency").select_option("MONTHLY")
        await page.get_by_label("every", exact=True).fill("1")  # kept from the saved rule
        await page.get_by_role("radio").nth(1).check()
        await page.get_by_label("Weekday").select_option(label="Friday")
        await expect(preview).to_have_text("Last Friday of each month")
        await page.get_by_role("button", name="Save repeat").click()
        await expect(page.get_by_test_id("recurrence-words")).to_have_text(
            "last Friday of each month"
        )
        await saved_as(lambda t: (t["recurrence"] or {}).get("rrule") == "FREQ=MONTHLY;BYDAY=-1FR")

        # A reminder a day before, and a subtask completed.
        await page.get_by_label("How long before").fill("1")
        await page.get_by_label("Unit").select_option(label="days")
        await page.get_by_role("button", name="Add reminder").click()
        await expect(page.get_by_text("1 day before due")).to_be_visible()
        await saved_as(lambda t: [r.get("before_minutes") for r in t["reminders"]] == [1440])
        await page.get_by_label("New subtask").fill("Find the IBAN")
        await page.get_by_role("button", name="Add", exact=True).click()
        # click, not check(): the box turns checked a tick later (the optimistic update waits
        # for in-flight queries to be cancelled), which check() would take for a failure.
        await page.get_by_role("checkbox", name="Complete Find the IBAN").click()
        await expect(page.get_by_text("(1 of 1 done)")).to_be_visible()
        await _axe(page, "task detail", violations)

        # Calendar: drag the task one day later; it keeps its time.
        await page.goto(f"{base}/projects/{pid}/calendar?date={due_day}")
        assert await _chip_day(page, "Pay rent") == due_day
        await _axe(page, "calendar (month)", violations)
        next_day = time.strftime(
            "%Y-%m-%d", time.gmtime(time.mktime(time.strptime(due_day, "%Y-%m-%d")) + 86400)
        )
        handle = page.get_by_role("button", name=re.compile("^Move AA-1 Pay rent"))
        await _drag_center(page, handle, page.locator(f'[data-day="{next_day}"]'))
        assert await _chip_day(page, "Pay rent") == next_day
        await saved_as(lambda t: t["due_at"].startswith(f"{next_day}T10:00"))

        # A refused move goes back where it was, with a toast.
        async def refuse(route: Any) -> None:
            if route.request.method == "PATCH":
                await route.fulfill(
                    status=503,
                    content_type="application/problem+json",
                    body='{"title": "Service unavailable", "status": 503, "code": "unavailable"}',
                )
            else:
                await route.continue_()

        await page.route(f"**/api/v1/tasks/{task_id}", refuse)
        handle = page.get_by_role("button", name=re.compile("^Move AA-1 Pay rent"))
        await _drag_center(page, handle, page.locator(f'[data-day="{due_day}"]'))
        await expect(
            page.get_by_role("alert").filter(has_text="Could not save AA-1")
        ).to_be_visible()
        assert await _chip_day(page, "Pay rent") == next_day
        await page.unroute(f"**/api/v1/tasks/{task_id}")
        assert (await task())["due_at"].startswith(f"{next_day}T10:00")
        await page.get_by_role("button", name="Week").click()
        await expect(page).to_have_url(re.compile(r"mode=week"))
        await _axe(page, "calendar (week)", violations)

        await page.goto(f"{base}/projects/{pid}/reports")
        await expect(page.get_by_role("figure", name="Cumulative flow chart")).to_be_visible()
        await _axe(page, "reports", violations)
        await page.goto(f"{base}/settings")
        await expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
        await _axe(page, "settings", violations)

        # Dark theme, remembered across a reload, and still no serious violation.
        await page.get_by_label(re.compile(r"^Account: ")).click()
        await page.get_by_text("Dark", exact=True).click()
        await expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
        await page.goto(f"{base}/projects/{pid}/board")
        await expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
        await expect(page.get_by_role("link", name="Pay rent")).to_be_visible(timeout=20_000)
        await _axe(page, "board (dark)", violations)
        await page.goto(f"{base}/projects/{pid}/tasks/{task_id}")
        await expect(page.get_by_test_id("recurrence-words")).to_be_visible()
        await _axe(page, "task detail (dark)", violations)
        await page.goto(f"{base}/projects/{pid}/calendar?date={due_day}")
        await _chip_day(page, "Pay rent")
        await _axe(page, "calendar (dark)", violations)
        assert not violations, "\n".join(violations)
    except BaseException:
        with contextlib.suppress(Exception):
            path = web_app.workdir / "web-failure-a11y.png"
            await page.screenshot(path=str(path), full_page=True)
            sys.stderr.write(f"\nscreenshot: {path}\n")
        raise
    finally:
        await context.close()
        await http.aclose()


@pytest.mark.timeout(600)
@pytest.mark.needs("auth", "tasks", "notifications", "reporting")
async def test_mfa_enrolment_conflict_view_and_burndown_team_reports(
    web_app: System, browser: Any
) -> None:
    """Settings: two-step sign-in enrolled with the QR code's key, recovery codes shown once, the
    next sign-in asks for a code. A stale task save (someone saved through the API between the
    page's load and the save) opens the conflict view; "Reload" keeps theirs and "Overwrite"
    saves mine over theirs with their ETag. Reports draw a milestone's burndown and the team's
    bars, with CSV. axe-core finds nothing serious on these screens."""
    import httpx
    import pyotp
    from playwright.async_api import expect

    assert AXE.is_file(), f"{AXE} is missing: npm ci in frontend/"
    base = web_app.gateway_url
    email = f"web-acct-{secrets.token_hex(4)}@example.com"
    password = "web-e2e-" + secrets.token_urlsafe(12)
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.41")
    http = httpx.AsyncClient(base_url=base, transport=transport, timeout=15)
    made = await http.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "display_name": "Mia Conflict"},
    )
    assert made.status_code == 201, made.text
    me = made.json()
    # The "other person" is this user in another session (an API client): same rights, and
    # their save is the one that makes the page's version stale.
    login = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    project = await http.post(
        "/api/v1/projects", headers=auth, json={"name": "Stale Edits", "key": "SE"}
    )
    assert project.status_code == 201, project.text
    pid = project.json()["id"]
    milestone = await http.post(
        f"/api/v1/projects/{pid}/milestones", headers=auth, json={"title": "Go live"}
    )
    assert milestone.status_code == 201, milestone.text
    for title in ("Pay rent", "Order desks", "Sign lease"):
        made_task = await http.post(
            f"/api/v1/projects/{pid}/tasks",
            headers=auth,
            json={
                "title": title,
                "milestone_id": milestone.json()["id"],
                "assignee_ids": [me["id"]],
            },
        )
        assert made_task.status_code == 201, made_task.text
        if title == "Pay rent":
            task_id = made_task.json()["id"]

    async def task() -> dict[str, Any]:
        answer = await http.get(f"/api/v1/tasks/{task_id}", headers=auth)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def saved_as(check: Any) -> dict[str, Any]:
        deadline = time.monotonic() + 15
        current = await task()
        while not check(current) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            current = await task()
        assert check(current), current
        return current

    async def their_save(changes: dict[str, Any]) -> None:
        current = await task()
        answer = await http.patch(
            f"/api/v1/tasks/{task_id}",
            headers={**auth, "If-Match": f'"{current["version"]}"'},
            json=changes,
        )
        assert answer.status_code == 200, answer.text

    violations: list[str] = []
    context = await browser.new_context(timezone_id="UTC", viewport={"width": 1280, "height": 900})
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    try:
        # Two-step sign-in from Settings: the QR code and its key, a first code, the codes.
        await _sign_in(page, base, email, password)
        await page.goto(f"{base}/settings")
        await page.get_by_role("button", name="Set up two-step sign-in").click()
        await expect(
            page.get_by_role("img", name="QR code for your authenticator app")
        ).to_be_visible()
        await _axe(page, "settings (MFA enrolment)", violations)
        secret = (await page.locator("code").first.inner_text()).strip()
        totp = pyotp.TOTP(secret)
        await page.get_by_label("2. Code from the app").fill("000000")
        await page.get_by_role("button", name="Turn on").click()
        await expect(
            page.get_by_text("The code or the sign-in challenge is invalid")
        ).to_be_visible()
        await page.get_by_label("2. Code from the app").fill(totp.now())
        await page.get_by_role("button", name="Turn on").click()
        codes = page.get_by_role("region", name="Recovery codes")
        await expect(codes.get_by_role("listitem")).to_have_count(10)
        await _axe(page, "settings (recovery codes)", violations)
        await codes.get_by_role("button", name="I have saved them").click()
        await expect(codes).to_have_count(0)
        await expect(page.get_by_role("button", name="Turn off two-step sign-in")).to_be_visible()
        await page.get_by_label(re.compile(r"^Account: ")).click()
        await page.get_by_role("banner").get_by_role("button", name="Sign out", exact=True).click()
        await page.wait_for_url(re.compile(r"/sign-in"))
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_text("Two-step verification")).to_be_visible()
        # The enrolment spent the current code (replays are refused): use the next one.
        await page.get_by_label("Code").fill(totp.at(int(time.time()) + 30))
        await page.get_by_role("button", name="Verify").click()
        # Back where the person signed out, with two-step sign-in on.
        await page.wait_for_url(re.compile(r"/settings$"))
        await expect(page.get_by_role("region", name="Account")).to_contain_text("Two-stepOn")

        # A stale save: their change lands between the page's load and my save.
        rounds: list[dict[str, Any]] = []

        async def meanwhile(route: Any) -> None:
            if route.request.method == "PATCH" and rounds:
                await their_save(rounds.pop(0))
            await route.continue_()

        await page.route(f"**/api/v1/tasks/{task_id}", meanwhile)
        await page.goto(f"{base}/projects/{pid}/tasks/{task_id}")
        title = page.get_by_label("Title", exact=True)
        await expect(title).to_have_value("Pay rent")
        rounds.append({"title": "Pay the rent (theirs)"})
        await title.fill("Pay rent today (mine)")
        await title.press("Enter")
        dialog = page.get_by_role("dialog", name="SE-1 was changed by someone else")
        await expect(dialog).to_be_visible()
        row = dialog.get_by_role("row", name=re.compile("Title"))
        await expect(row).to_contain_text("Pay the rent (theirs)")
        await expect(row).to_contain_text("Pay rent today (mine)")
        await expect(row).to_contain_text("changed by both")
        await _axe(page, "conflict view", violations)
        await dialog.get_by_role("button", name="Reload (keep theirs)").click()
        await expect(dialog).to_be_hidden()
        await expect(title).to_have_value("Pay the rent (theirs)")
        assert (await task())["title"] == "Pay the rent (theirs)"

        rounds.append({"description": "Landlord changed the account"})
        await title.fill("Pay rent today (mine)")
        await title.press("Enter")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_contain_text("They also changed description")
        await dialog.get_by_role("button", name="Overwrite with mine").click()
        await expect(dialog).to_be_hidden()
        saved = await saved_as(lambda t: t["title"] == "Pay rent today (mine)")
        # Only my field was sent again: their description stays.
        assert saved["description"] == "Landlord changed the account", saved
        await expect(title).to_have_value("Pay rent today (mine)")
        await page.unroute(f"**/api/v1/tasks/{task_id}")

        # Reports: the milestone's burndown and the team's bars (reporting learns from events).
        await page.goto(f"{base}/projects/{pid}/reports")
        burndown = page.get_by_role("figure", name="Burndown chart")
        team_bars = page.get_by_role("figure", name="Team chart").locator(".recharts-bar-rectangle")
        for _ in range(30):
            with contextlib.suppress(Exception):  # not there yet: reload and look again
                if await burndown.count() and await team_bars.count():
                    break
            await page.wait_for_timeout(1000)
            await page.reload()
        await expect(burndown).to_contain_text("3 of 3 tasks remaining")
        await expect(burndown.locator(".recharts-line")).to_have_count(3)
        await expect(team_bars.first).to_be_visible()
        await expect(page.get_by_role("row", name=re.compile("Mia Conflict"))).to_contain_text("3")
        async with page.expect_download() as download_info:
            await page.get_by_role("button", name="Download the burndown as CSV").click()
        burndown_csv = await asyncio.to_thread(
            Path(await (await download_info.value).path()).read_text
        )
        assert burndown_csv.splitlines()[0].startswith("day"), burndown_csv
        async with page.expect_download() as download_info:
            await page.get_by_role("button", name="Download the team report as CSV").click()
        team_csv = await asyncio.to_thread(Path(await (await download_info.value).path()).read_text)
        assert me["id"] in team_csv, team_csv
        await _axe(page, "reports (burndown, team)", violations)
        assert not violations, "\n".join(violations)
    except BaseException:
        with contextlib.suppress(Exception):
            path = web_app.workdir / "web-failure-account.png"
            await page.screenshot(path=str(path), full_page=True)
            sys.stderr.write(f"\nscreenshot: {path}\n")
        raise
    finally:
        await context.close()
        await http.aclose()


async def _no_sideways_scroll(page: Any, screen: str, found: list[str]) -> None:
    """Collect the screen when the page scrolls sideways (wider than the window)."""
    wide, inner = await page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if wide > inner:
        found.append(f"{screen} is {wide} px wide in a {inner} px window")


# Long, and run alone it also pays the system's start-up.
@pytest.mark.timeout(600)
@pytest.mark.needs("auth", "tasks", "notifications")
async def test_invitations_moves_templates_trash_and_a_phone(web_app: System, browser: Any) -> None:
    """An unknown address invited (pending, then revoked); a task moved to another project
    (its lost label said) and found again by its old key; duplicated with its subtasks; a
    project made from a template with its tasks; trashed and restored from the Trash page;
    then, at 360 px, no page scrolls sideways and the menu and a calendar chip fit."""
    import httpx
    from playwright.async_api import expect

    base = web_app.gateway_url
    email = f"web-move-{secrets.token_hex(4)}@example.com"
    stranger = f"web-nobody-{secrets.token_hex(4)}@example.com"
    password = "web-e2e-" + secrets.token_urlsafe(12)
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.36")
    http = httpx.AsyncClient(base_url=base, transport=transport, timeout=15)
    made = await http.post(
        "/api/v1/auth/register",
        # A long name: the account menu shares the top bar with the links.
        json={"email": email, "password": password, "display_name": "Maximiliane Overbeck"},
    )
    assert made.status_code == 201, made.text
    login = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def api(method: str, path: str, **kwargs: Any) -> Any:
        answer = await http.request(method, path, headers=auth, **kwargs)
        assert answer.is_success, answer.text
        return answer.json() if answer.content else None

    alpha = await api("POST", "/api/v1/projects", json={"name": "Alpha Ops", "key": "AO"})
    beta = await api("POST", "/api/v1/projects", json={"name": "Beta Ops", "key": "BO"})
    urgent = await api("POST", f"/api/v1/projects/{alpha['id']}/labels", json={"name": "urgent"})
    today = time.strftime("%Y-%m-%d", time.gmtime())
    ship = await api(
        "POST",
        f"/api/v1/projects/{alpha['id']}/tasks",
        json={
            "title": "Ship the release",
            "label_ids": [urgent["id"]],
            "due_at": f"{today}T10:00:00Z",
        },
    )
    await api(
        "POST",
        f"/api/v1/projects/{alpha['id']}/tasks",
        json={"title": "Check the checklist", "parent_id": ship["id"]},
    )
    await api("POST", f"/api/v1/projects/{alpha['id']}/tasks", json={"title": "Template step"})

    violations: list[str] = []
    context = await browser.new_context(timezone_id="UTC", viewport={"width": 1280, "height": 900})
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before trashing
    try:
        await _sign_in(page, base, email, password)

        # Invite an address without an account: the answer is neutral; it is pending; revoke.
        await page.goto(f"{base}/projects/{alpha['id']}/members")
        await page.get_by_label("Email of the person to add").fill(stranger)
        await page.get_by_role("button", name="Add member").click()
        await expect(page.get_by_role("status").filter(has_text="invited or added")).to_be_visible()
        pending = page.get_by_role("list", name="Pending invitations")
        await expect(pending).to_contain_text(stranger)
        await expect(pending).to_contain_text("invited by Maximiliane Overbeck")
        await expect(pending).to_contain_text("expires")
        await _axe(page, "members with an invitation", violations)
        await page.get_by_role("button", name=f"Revoke the invitation of {stranger}").click()
        await expect(pending.get_by_role("listitem")).to_have_count(0)
        await expect(page.get_by_text(f"The invitation of {stranger} is revoked.")).to_be_visible()
        left = await api("GET", f"/api/v1/projects/{alpha['id']}/invitations")
        assert left["items"] == [], left

        # Move the task to Beta: the label Beta has not is said to be dropped; new key.
        await page.goto(f"{base}/projects/{alpha['id']}/tasks/{ship['id']}")
        await page.get_by_role("button", name="Move…").click()
        await page.get_by_label("Move to project").select_option(label="BO · Beta Ops")
        await _axe(page, "task detail (move form)", violations)
        await page.get_by_role("button", name="Move task").click()
        report = page.get_by_role("status").filter(has_text="Moved:")
        await expect(report).to_contain_text("AO-1 is now BO-1")
        await expect(report).to_contain_text("labels dropped: urgent")
        await expect(page).to_have_url(re.compile(rf"/projects/{beta['id']}/tasks/{ship['id']}$"))
        await _axe(page, "task detail (move report)", violations)
        moved = await api("GET", f"/api/v1/tasks/{ship['id']}")
        assert (moved["project_id"], moved["key"]) == (beta["id"], "BO-1"), moved

        # The old key's link still lands on the task.
        await page.goto(f"{base}/t/AO-1")
        await expect(page).to_have_url(re.compile(rf"/projects/{beta['id']}/tasks/{ship['id']}$"))
        await expect(page.get_by_label("Title", exact=True)).to_have_value("Ship the release")

        # Duplicate it with its subtasks: the copy opens.
        await page.get_by_role("button", name="Duplicate…").click()
        await page.get_by_label("Copy its subtasks too").check()
        await page.get_by_role("button", name="Duplicate task").click()
        await expect(page.get_by_label("Title", exact=True)).to_have_value(
            "Ship the release (copy)"
        )
        await expect(page.get_by_text("(0 of 1 done)")).to_be_visible()
        assert not page.url.endswith(ship["id"])

        # A new project from Alpha as a template, with its tasks.
        await page.goto(f"{base}/projects")
        await page.get_by_role("button", name="New project").click()
        await page.get_by_label("Name").fill("Gamma Ops")
        await page.get_by_label("Start from").select_option(label="A copy of Alpha Ops")
        await page.get_by_label("Copy its tasks too").check()
        await _axe(page, "new project from a template", violations)
        await page.get_by_role("button", name="Create", exact=True).click()
        await page.wait_for_url(re.compile(r"/projects/[0-9a-f-]+/board$"))
        gamma_id = page.url.split("/projects/")[1].split("/")[0]
        await expect(page.get_by_role("link", name="Template step")).to_be_visible()
        labels = await api("GET", f"/api/v1/projects/{gamma_id}/labels")
        assert [label["name"] for label in labels["items"]] == ["urgent"], labels

        # Trash it, then restore it from the Trash page.
        await page.get_by_role("button", name="Move to trash").click()
        await page.wait_for_url(re.compile(r"/projects\?trashed="))
        await page.get_by_role("link", name="Trash", exact=True).click()
        trashed = page.get_by_role("list", name="Trashed projects")
        await expect(trashed).to_contain_text("Gamma Ops")
        await _axe(page, "trashed projects", violations)
        await page.get_by_role("button", name="Restore Gamma Ops").click()
        await expect(page.get_by_text("The trash is empty")).to_be_visible()
        await expect(page.get_by_text("Gamma Ops is restored.")).to_be_visible()
        assert (await api("GET", f"/api/v1/projects/{gamma_id}"))["deleted_at"] is None
        await page.get_by_role("link", name="Back to projects").click()
        await expect(page.get_by_role("link", name=re.compile("Gamma Ops"))).to_be_visible()

        # A phone: nothing scrolls sideways; the menu's links and a chip's time fit.
        wide: list[str] = []
        await page.set_viewport_size({"width": 360, "height": 780})
        await page.goto(f"{base}/projects/{beta['id']}/board")
        await expect(page.get_by_role("link", name="Ship the release").first).to_be_visible()
        await _no_sideways_scroll(page, "board", wide)
        nav = page.get_by_role("navigation", name="Main")
        inner, shown = await nav.evaluate("n => [n.scrollWidth, n.clientWidth]")
        assert inner <= shown, f"the menu scrolls sideways: {inner} px in {shown} px"
        my_tasks = nav.get_by_role("link", name="My tasks")
        box = await my_tasks.bounding_box()
        assert box
        assert box["x"] + box["width"] <= 360, f"'My tasks' is cut off: {box}"
        await page.goto(f"{base}/projects/{beta['id']}/list")
        await expect(page.get_by_role("link", name="Ship the release").first).to_be_visible()
        await _no_sideways_scroll(page, "list", wide)
        await page.goto(f"{base}/projects/{beta['id']}/calendar?date={today}")
        chip = page.locator(f'[data-day="{today}"] [data-task="BO-1"]')
        await expect(chip).to_be_visible()
        await _no_sideways_scroll(page, "calendar (month)", wide)
        chip_box = await chip.bounding_box()
        assert chip_box
        assert chip_box["height"] < 32, f"the chip wraps: {chip_box}"
        time_box = await chip.get_by_text("10:00").bounding_box()
        assert time_box
        assert time_box["height"] < 24, f"the chip's time wraps: {time_box}"
        await _axe(page, "calendar (360 px)", violations)
        await page.get_by_role("button", name="Week").click()
        await expect(page).to_have_url(re.compile(r"mode=week"))
        await _no_sideways_scroll(page, "calendar (week)", wide)
        await page.goto(f"{base}/projects/{beta['id']}/tasks/{ship['id']}")
        await expect(page.get_by_label("Title", exact=True)).to_have_value("Ship the release")
        await _no_sideways_scroll(page, "task detail", wide)
        await page.goto(f"{base}/projects/{alpha['id']}/members")
        await expect(page.get_by_role("heading", name="Pending invitations")).to_be_visible()
        await _no_sideways_scroll(page, "members", wide)
        assert not wide, "\n".join(wide)
        assert not violations, "\n".join(violations)
    except BaseException:
        with contextlib.suppress(Exception):
            path = web_app.workdir / "web-failure-move.png"
            await page.screenshot(path=str(path), full_page=True)
            sys.stderr.write(f"\nscreenshot: {path}\n")
        raise
    finally:
        await context.close()
        await http.aclose()


@pytest.mark.timeout(600)
@pytest.mark.needs("auth", "tasks")
async def test_a_board_of_a_thousand_tasks(web_app: System, browser: Any) -> None:
    """1,000 tasks (a CSV import): the long column draws a window of cards, scrolls to its
    last one, and a card from it still drags to another column."""
    import httpx
    from playwright.async_api import expect

    base = web_app.gateway_url
    email = f"web-big-{secrets.token_hex(4)}@example.com"
    password = "web-e2e-" + secrets.token_urlsafe(12)
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.37")
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=60) as http:
        made = await http.post(
            "/api/v1/auth/register",
            json={"email": email, "password": password, "display_name": "Big Board"},
        )
        assert made.status_code == 201, made.text
        login = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        made = await http.post(
            "/api/v1/projects", json={"name": "Big Board", "key": "BB"}, headers=auth
        )
        assert made.status_code == 201, made.text
        project = made.json()
        rows = "\n".join(f"Backlog item {n:04d}" for n in range(1, 1001))
        imported = await http.post(
            f"/api/v1/projects/{project['id']}/import",
            content=f"title\n{rows}\n",
            headers={**auth, "Content-Type": "text/csv"},
        )
        assert imported.is_success, imported.text[:500]

        assert AXE.is_file(), f"{AXE} is missing: npm ci in frontend/"
        context = await browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        await context.add_init_script(path=str(AXE))
        page = await context.new_page()
        try:
            await _sign_in(page, base, email, password)
            await page.goto(f"{base}/projects/{project['id']}/board")
            todo = page.locator('section[data-status="todo"]')
            await expect(todo.get_by_text("1000", exact=True)).to_be_visible(timeout=30_000)
            await expect(_card(page, "todo", "Backlog item 0001")).to_be_visible()
            drawn = await todo.locator("li[data-task-id]").count()
            assert 0 < drawn < 100, f"{drawn} cards drawn of 1,000"
            # The column scrolls on its own to its last card.
            scroller = todo.locator('[data-windowed="true"]')
            for _ in range(40):
                await scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
                if await _card(page, "todo", "Backlog item 1000").count():
                    break
                await page.wait_for_timeout(100)
            await expect(_card(page, "todo", "Backlog item 1000")).to_be_visible()
            assert await todo.locator("li[data-task-id]").count() < 100
            # A card of the long column drags to Done.
            await scroller.evaluate("el => { el.scrollTop = 0; }")
            first = _card(page, "todo", "Backlog item 0001")
            await expect(first).to_be_visible()
            await _drag(page, first, page.locator('section[data-status="done"]'))
            await expect(_card(page, "done", "Backlog item 0001")).to_be_visible()
            for _ in range(50):
                found = await http.get(
                    f"/api/v1/projects/{project['id']}/tasks",
                    params={"q": "0001"},
                    headers=auth,
                )
                assert found.status_code == 200, found.text
                [task] = [t for t in found.json()["items"] if t["title"] == "Backlog item 0001"]
                if task["status"] == "done":
                    break
                await page.wait_for_timeout(100)
            assert task["status"] == "done", task
            violations: list[str] = []
            await _axe(page, "board of 1,000", violations)
            assert not violations, "\n".join(violations)
        except BaseException:
            with contextlib.suppress(Exception):
                path = web_app.workdir / "web-failure-big-board.png"
                await page.screenshot(path=str(path), full_page=False)
                sys.stderr.write(f"\nscreenshot: {path}\n")
            raise
        finally:
            await context.close()
