"""`compare --report` in Chromium: compare.html shows the four variants side by side,
prepare-with-lease passing with no page of its own (containerd's history), and each
violating variant's link opens its counterexample's report, offline and without errors."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def compare_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    done = subprocess.run([sys.executable, "-m", "unpack_race", "compare", "--out", str(out), "--report", "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out / "compare.html"


def test_the_variants_side_by_side_link_to_each_counterexample_s_page(open_page, compare_page):
    page = open_page(compare_page)
    rows = page.eval_on_selector_all("#variants tr[data-variant]",
                                     "rows => rows.map(r => [r.dataset.variant, r.cells[1].innerText, "
                                     "r.querySelector('a') !== null])")
    assert rows == [["stat-early-return-no-lease", "violation", True], ["stat-early-return", "violation", True],
                    ["prepare-without-lease", "violation", True], ["prepare-with-lease", "pass", False]]
    from playwright.sync_api import expect

    page.click('tr[data-variant="stat-early-return"] a')
    page.wait_for_load_state("load")  # the report's script binds its keys on load: End before it is lost
    assert page.title() == "unpack-race report: retry-after-cancel, variant stat-early-return"
    page.keyboard.press("End")
    expect(page.locator("#card")).to_contain_text("parent snapshot sha256:c1 does not exist: not found")
    assert page.errors == [] and page.fetched == []
