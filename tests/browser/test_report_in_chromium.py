"""The canonical 3787 report (the corpus's stat-early-return counterexample) as a person
sees it in Chromium: it opens offline without a console error, the arrow keys move the
step counter and the highlighted box, the GC step's diff shows sha256:c1 swept, the last
step shows the retry's error, and the variant table shows prepare-with-lease passing
(containerd's history: ../shared/containerd-semantics.md). A screenshot is kept."""

from __future__ import annotations

import re

from browser_harness import write_report
from long_race import LongCounter, lost_update_schedule

ERROR_3787 = "parent snapshot sha256:c1 does not exist: not found"


def highlighted(page) -> list[str]:
    return page.eval_on_selector_all(".swimlane svg .current", "boxes => boxes.map(b => b.id)")


def go_to_the_gc_step(page) -> None:
    """Arrow right until the card tells the GC's step, as a reader looks for it."""
    for _ in range(200):
        if re.match(r"Step \d+, gc:", page.inner_text("#card .narration")):
            return
        page.keyboard.press("ArrowRight")
    raise AssertionError("no GC step in the step-through")


def test_the_report_opens_offline_without_console_errors(open_page, canonical_report):
    page = open_page(canonical_report)
    assert page.title() == "unpack-race report: retry-after-cancel, variant stat-early-return"
    assert page.errors == [] and page.fetched == []
    assert page.locator(".swimlane svg").count() == 1


def test_the_arrow_keys_move_the_step_counter_and_the_highlighted_box(open_page, canonical_report):
    page = open_page(canonical_report)
    assert page.inner_text("#counter") == "step 0 (1 of 26)" and highlighted(page) == ["step-0"]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#counter") == "step 2 (3 of 26)" and highlighted(page) == ["step-2"]
    page.keyboard.press("ArrowLeft")
    assert page.inner_text("#counter") == "step 1 (2 of 26)" and highlighted(page) == ["step-1"]
    page.click("#last")
    assert highlighted(page) == ["step-25"]
    page.click("#first")
    page.keyboard.press("ArrowLeft")  # before the first step: it stays there
    assert page.inner_text("#counter") == "step 0 (1 of 26)" and page.errors == []


def test_at_the_gc_step_the_state_diff_shows_sha256_c1_swept(open_page, canonical_report, artifacts):
    page = open_page(canonical_report)
    go_to_the_gc_step(page)
    rows = page.eval_on_selector_all("#card table tr", "rows => rows.map(r => r.innerText.split('\\t'))")
    assert ["snapshots", "sha256:c1", "committed, parent none", "(removed)"] in rows
    assert "GC swept snapshots: sha256:c1" in page.inner_text("#card .notes")
    page.locator("#card").scroll_into_view_if_needed()
    shot = artifacts / "report-3787-gc-step.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_at_the_last_step_the_retry_s_error_is_shown(open_page, canonical_report):
    page = open_page(canonical_report)
    page.keyboard.press("End")
    card = page.inner_text("#card")
    assert f"Error: {ERROR_3787}" in card and "Property no-missing-parent violated" in card
    assert page.locator("#card .error").is_visible()


def test_the_variant_table_shows_prepare_with_lease_passing(open_page, canonical_report):
    page = open_page(canonical_report)
    verdicts = page.eval_on_selector_all(
        "#variants tr[data-variant]", "rows => rows.map(r => [r.dataset.variant, r.cells[1].innerText])")
    assert dict(verdicts) == {"stat-early-return-no-lease": "violation", "stat-early-return": "violation",
                              "prepare-without-lease": "violation", "prepare-with-lease": "pass"}


def test_a_run_too_long_to_draw_says_so_and_still_steps_through(open_page, tmp_path):
    schedule = tmp_path / "long-counter.schedule.json"
    schedule.write_text(lost_update_schedule().dumps())
    reference = f"{__file__.rsplit('/', 1)[0]}/long_race.py:LongCounter"
    page = open_page(write_report(schedule, tmp_path, "--scenario", reference))
    steps = len(lost_update_schedule().steps)
    assert "too many to draw as a swimlane" in page.inner_text(".swimlane") and steps > 400
    page.keyboard.press("End")
    assert page.inner_text("#counter") == f"step {steps - 1} ({steps} of {steps})"
    assert "Property every-update-counted violated" in page.inner_text("#card")
    page.keyboard.press("ArrowLeft")
    assert page.inner_text("#counter") == f"step {steps - 2} ({steps - 1} of {steps})"
    assert page.errors == [] and page.fetched == [] and LongCounter.name in page.title()
