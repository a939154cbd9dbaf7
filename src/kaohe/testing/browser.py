"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright
(no browser download; the flags keep it off the network, which this machine does not have)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(os.environ.get("KAOHE_TEST_ARTIFACTS", "test-artifacts")).resolve()


def chromium_path() -> str | None:
    return os.environ.get("KAOHE_CHROMIUM") or shutil.which("chromium")


@contextmanager
def browser() -> Iterator[Any]:
    """A Playwright browser on the system Chromium."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, base: str, username: str, password: str) -> Any:
    """Sign `page` in through the login form and wait for the overview; returns the page."""
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/overview/")
    return page


def signed_in_page(chromium: Any, base: str, username: str, password: str) -> Any:
    """A new Chinese-locale desktop page in `chromium`, signed in as `username`."""
    page = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    return sign_in(page, base, username, password)


def click_through(page: Any, selector: str) -> Any:
    """Click `selector` (a link, a form's button) and wait until the page it leads to has
    loaded, redirects included; `wait_for_load_state` right after a click can answer for the
    page being left. Returns the page."""
    with page.expect_navigation():
        page.click(selector)
    return page
