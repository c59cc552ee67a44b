"""`make screenshots`: PNGs of the web app's main screens, from a running `make dev` + `make seed`.

    python infra/local/screenshots.py [--gateway http://localhost:8080] [--out docs/screenshots]

Signs in as the demo user Alice (``DEMO_USER_PASSWORD``, as `make seed` made her) in Debian's
chromium (Playwright, no browser download) and writes ``<screen>-light.png`` at 1280 px and
``<screen>-dark.png`` at 360 px (a phone) of: projects, board, list, task detail, calendar,
reports and settings. Only the visible part of each screen is taken (not the whole page), at
device scale 1, so the files stay small enough to commit.

Open the app on the origin auth knows (``public_base_url``, http://localhost:8080 in dev): auth
refuses a refresh from another origin, and every `goto` reloads the app, which refreshes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import DEFAULT_USER_PASSWORD, load_dotenv  # noqa: E402  (infra/local/seed.py)

CHROMIUM = Path(os.environ.get("TASKFLOW_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
EMAIL = "alice@taskflow.example"
#: (theme, width, height): the desktop in light, a phone in dark.
LOOKS = [("light", 1280, 800), ("dark", 360, 740)]


async def _targets(gateway: str, password: str) -> dict[str, str]:
    """The URLs of each screen, for the seeded OPS project and one of its recurring tasks."""
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        login = await http.post("/api/v1/auth/login", json={"email": EMAIL, "password": password})
        if login.status_code != 200:
            raise SystemExit(
                f"screenshots: cannot sign in as {EMAIL} ({login.status_code}): run make seed"
            )
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        projects = (await http.get("/api/v1/projects", headers=auth)).json()["items"]
        ops = next((p for p in projects if p["key"] == "OPS"), None)
        if ops is None:
            raise SystemExit("screenshots: no OPS project: run make seed")
        pid = ops["id"]
        tasks = (
            await http.get(f"/api/v1/projects/{pid}/tasks", headers=auth, params={"limit": 50})
        ).json()["items"]
        task = next((t for t in tasks if t.get("recurrence")), tasks[0] if tasks else None)
        due = next((t["due_at"] for t in tasks if t.get("due_at")), None)
    urls = {
        "projects": "/projects",
        "board": f"/projects/{pid}/board",
        "list": f"/projects/{pid}/list",
        "calendar": f"/projects/{pid}/calendar" + (f"?date={due[:10]}" if due else ""),
        "reports": f"/projects/{pid}/reports",
        "settings": "/settings",
    }
    if task:
        urls["task"] = f"/projects/{pid}/tasks/{task['id']}"
    return urls


async def _sign_in(page: Any, gateway: str, password: str) -> None:
    await page.goto(f"{gateway}/sign-in")
    await page.get_by_label("Email").fill(EMAIL)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/projects", timeout=20_000)


async def _settle(page: Any) -> None:
    """Wait until the screen has its data: no skeleton left, the network quiet, charts drawn."""
    # The WebSocket or a slow chart may keep it busy: then take what is there.
    with contextlib.suppress(Exception):
        await page.wait_for_load_state("networkidle", timeout=10_000)
    with contextlib.suppress(Exception):
        await page.locator('[aria-busy="true"]').first.wait_for(state="detached", timeout=10_000)
    await page.wait_for_timeout(600)  # transitions and chart animations


async def shoot(gateway: str, out: Path) -> list[Path]:
    from playwright.async_api import async_playwright

    password = os.environ.get("DEMO_USER_PASSWORD", DEFAULT_USER_PASSWORD)
    urls = await _targets(gateway, password)
    written: list[Path] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for theme, width, height in LOOKS:
                context = await browser.new_context(
                    viewport={"width": width, "height": height},
                    device_scale_factor=1,
                    color_scheme=theme,
                )
                # The app's own switch, remembered in localStorage (lib/theme.ts).
                await context.add_init_script(f"localStorage.setItem('tf-theme', '{theme}')")
                page = await context.new_page()
                await _sign_in(page, gateway, password)
                for name, path in urls.items():
                    await page.goto(f"{gateway}{path}")
                    await _settle(page)
                    target = out / f"{name}-{theme}.png"
                    await page.screenshot(path=str(target))
                    written.append(target)
                    print(
                        f"  {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                    )
                await context.close()
        finally:
            await browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    load_dotenv(ROOT / ".env")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", default="http://localhost:8080")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print("screenshots: chromium is missing: run infra/local/ensure-tools.sh", file=sys.stderr)
        return 1
    print(f"screenshots of {args.gateway} -> {args.out}")
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(shoot(args.gateway.rstrip("/"), args.out))
    except httpx.ConnectError:
        print(
            f"screenshots: nothing answers at {args.gateway}; run make dev and make seed",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
