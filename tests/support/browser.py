"""One Chromium for the whole test session; each browser test connects to it (CDP) from
its own event loop and gets fresh contexts. Playwright is imported here only, when a
browser test asks for the fixture, so `pytest -m "not browser"` never loads it.

Every page a browser test opens is watched for Content-Security-Policy violations (the
app's pages run under a strict policy, trading/kernel/csp.py): the browser's
`securitypolicyviolation` events and its "Content Security Policy" console errors. A
test whose pages hit one errors at teardown, so a template that grows an inline script,
handler or style attribute fails the browser suite instead of silently losing its code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page

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


# Runs in every document before the page's own scripts: keeps each violation in the page and
# reports it at once through a binding, so one on a page that then navigates away still counts.
CSP_PROBE = """
(() => {
  if (window.__cspViolations) return;
  const seen = [];
  Object.defineProperty(window, "__cspViolations", { value: seen });
  window.addEventListener("securitypolicyviolation", (e) => {
    const v = {
      id: `${performance.timeOrigin}:${seen.length}`, page: location.href,
      directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
      line: e.lineNumber, sample: e.sample,
    };
    seen.push(v);
    window.__bidhallCspViolation?.(v);
  }, true);
})();
"""
CSP_CONSOLE = "Content Security Policy"
# A function expression Playwright can call: `(a) => ...`, `x => ...`, `function ...`.
_FUNCTION = re.compile(r"^\s*(async\s+)?(function\b|\([^()]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)")


def as_function(expression: str) -> str:
    """`page.wait_for_function("a === b")` polls by `eval`-ing the string in the page, which
    the app's policy (no 'unsafe-eval') refuses after the first try; an arrow function is
    compiled once, outside the page's policy, and then only called. So bare expressions
    are wrapped into one."""
    return expression if _FUNCTION.match(expression) else f"() => ({expression})"


def _poll_without_eval(page: Page) -> None:
    wait_for_function = page.wait_for_function

    async def waiting(expression: str, **kwargs: Any) -> Any:
        return await wait_for_function(as_function(expression), **kwargs)

    page.wait_for_function = waiting  # type: ignore[method-assign]


class CspViolationError(AssertionError):
    """A page broke the Content-Security-Policy during a browser test."""


@dataclass
class CspWatch:
    """What the test's pages reported: violation events (by id) and console errors."""

    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    console: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    async def attach(self, context: BrowserContext) -> None:
        if context in self.contexts:
            return
        self.contexts.append(context)

        def on_violation(_source: Any, v: dict[str, Any]) -> None:
            self.events.setdefault(str(v.get("id")), v)

        def on_console(message: ConsoleMessage) -> None:
            if CSP_CONSOLE in message.text:
                self.console.append(f"{message.page.url if message.page else '?'}: {message.text}")

        await context.expose_binding("__bidhallCspViolation", on_violation)
        await context.add_init_script(CSP_PROBE)
        context.on("console", on_console)
        context.on("page", _poll_without_eval)
        for page in context.pages:  # a page made before attaching gets the probe now
            _poll_without_eval(page)
            await self._probe(page)

    async def _probe(self, page: Page) -> None:
        if not page.is_closed():
            await page.evaluate(CSP_PROBE)

    async def collect(self) -> None:
        """Pick up violations still held in open pages (a report may be in flight)."""
        for context in self.contexts:
            for page in context.pages:
                if page.is_closed():
                    continue
                try:
                    held = await page.evaluate("() => window.__cspViolations || []")
                except Exception:  # a page mid-navigation or crashed has nothing to give
                    continue
                for v in held:
                    self.events.setdefault(str(v.get("id")), v)

    def take(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Return and forget what was seen (a test that provokes violations on purpose)."""
        events, console = list(self.events.values()), list(self.console)
        self.events.clear()
        self.console.clear()
        return events, console

    def check(self) -> None:
        events, console = self.take()
        if events or console:
            lines = [json.dumps(v, ensure_ascii=False) for v in events] + console
            raise CspViolationError(
                "Content-Security-Policy violated in the browser:\n  " + "\n  ".join(lines)
            )


@pytest.fixture
def csp_watch() -> CspWatch:
    """The CSP violations of this test's pages; `browser` fails the test on any it holds."""
    return CspWatch()


@pytest.fixture
async def browser(chromium: str, csp_watch: CspWatch) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        instance = await pw.chromium.connect_over_cdp(chromium)
        default = set(instance.contexts)
        new_context, new_page = instance.new_context, instance.new_page

        # Every context and page the test opens is watched; Playwright's Browser has no event
        # for new contexts, so its two factories are wrapped on this instance.
        async def watched_context(**kwargs: Any) -> BrowserContext:
            context = await new_context(**kwargs)
            await csp_watch.attach(context)
            return context

        async def watched_page(**kwargs: Any) -> Page:
            page = await new_page(**kwargs)  # keeps Playwright's page-owns-its-context close
            await csp_watch.attach(page.context)
            return page

        instance.new_context = watched_context  # type: ignore[method-assign]
        instance.new_page = watched_page  # type: ignore[method-assign]
        try:
            yield instance
            await csp_watch.collect()
        finally:
            for context in instance.contexts:  # what this test opened, not the process
                if context not in default:
                    await context.close()
            await instance.close()
        csp_watch.check()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses Chromium is marked `browser`, wherever it lives."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
