"""Headless Chromium for the browser tests, driven by Playwright for Python and pointed at
the system's Chromium (Debian's package, /usr/bin/chromium; no browser is downloaded).

These tests never skip silently: without Chromium or the playwright package they fail,
saying what `.ci/run` installs. A developer without a browser opts out explicitly with
UNPACK_RACE_NO_BROWSER=1 (then they skip, saying so). UNPACK_RACE_CHROMIUM names another
Chromium binary. Screenshots are kept in UNPACK_RACE_ARTIFACTS (.ci/run sets it), else
in pytest's temporary directory.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser_harness import CANONICAL, write_report

CHROMIUM = os.environ.get("UNPACK_RACE_CHROMIUM", "/usr/bin/chromium")
#: without the background-networking flags Chromium's own connections are refused on a closed network
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(what: str) -> None:
    if os.environ.get("UNPACK_RACE_NO_BROWSER") == "1":
        pytest.skip(f"browser tests opted out with UNPACK_RACE_NO_BROWSER=1 ({what})")
    pytest.fail(f"{what}: .ci/run installs it (apt-get install chromium; the test extra pulls playwright); "
                f"to run the other tests without a browser, set UNPACK_RACE_NO_BROWSER=1", pytrace=False)


@pytest.fixture(scope="session")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    if shutil.which(CHROMIUM) is None:
        _missing(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=shutil.which(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium):
    """Open a local file in a fresh page: every request that is not file:// is refused and
    recorded, and every console error and uncaught exception is recorded."""
    opened = []

    def opener(path: Path):
        page = chromium.new_page(viewport={"width": 1280, "height": 1000})
        page.fetched, page.errors = [], []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))

        def refuse(route):
            page.fetched.append(route.request.url)
            route.abort()

        page.route(lambda url: not url.startswith("file://"), refuse)
        page.goto(path.as_uri())
        opened.append(page)
        return page

    yield opener
    for page in opened:
        page.close()


@pytest.fixture(scope="session")
def canonical_report(tmp_path_factory) -> Path:
    return write_report(CANONICAL, tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("UNPACK_RACE_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
