"""One Chromium for the whole test session; each browser test connects to it (CDP) from
its own event loop and gets fresh contexts. Playwright is imported here only, when a
browser test asks for the fixture, so `pytest -m "not browser"` never loads it."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

# Debian's chromium (apt); Playwright cannot download browsers here. The flags keep it off the
# closed network and working as root.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
_LISTENING = re.compile(r"DevTools listening on (ws://127\.0\.0\.1:(\d+)/\S+)")


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's Chromium process; yields its CDP endpoint."""
    profile: Path = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    endpoint = ""
    for line in proc.stderr:  # Chromium announces its port on stderr once it is ready
        found = _LISTENING.search(line)
        if found:
            endpoint = f"http://127.0.0.1:{found.group(2)}"
            break
    assert endpoint, "chromium did not start (is Debian's chromium installed? `make browser`)"
    # Keep draining stderr so Chromium never blocks on a full pipe.
    drain = subprocess.Popen(["cat"], stdin=proc.stderr, stdout=subprocess.DEVNULL)
    try:
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        drain.wait(timeout=10)


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        instance = await pw.chromium.connect_over_cdp(chromium)
        default = set(instance.contexts)
        try:
            yield instance
        finally:
            for context in instance.contexts:  # what this test opened, not the process
                if context not in default:
                    await context.close()
            await instance.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses Chromium is marked `browser`, wherever it lives."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
