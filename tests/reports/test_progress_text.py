"""The words of a progress line: durations, and the estimate of what is left, worked out
here by hand from the counts and the budget."""

from __future__ import annotations

from unpack_race.reports.progress_text import duration, left_text, rate
from unpack_race.reports.result_text import progress_line
from unpack_race.scheduler.explore import Progress


def test_a_duration_reads_in_seconds_then_minutes_then_hours():
    seconds = (0, 7.4, 59.6, 125, 3600 + 3 * 60 + 59)
    assert [duration(s) for s in seconds] == ["0 s", "7 s", "1 min 00 s", "2 min 05 s", "1 h 03 min"]  # whole minutes


def test_what_is_left_of_a_count_goes_at_the_rate_so_far():
    # 25 of 100 items in 10 s: 75 more at 2.5 per second take 30 s
    assert left_text(25, 100, 10.0) == ", about 30 s left"


def test_what_is_left_of_a_time_budget_is_the_budget_less_the_time_spent():
    assert left_text(25, None, 50.0, max_seconds=60.0) == ", at most 10 s left"


def test_where_a_count_and_a_budget_both_bound_the_run_the_sooner_end_is_given():
    assert left_text(25, 100, 10.0, max_seconds=20.0) == ", at most 10 s left"  # the budget ends first
    assert left_text(25, 100, 10.0, max_seconds=100.0) == ", about 30 s left"  # the count does


def test_no_estimate_without_a_count_or_a_budget_or_before_anything_is_done():
    assert left_text(25, None, 10.0) == ""
    assert left_text(0, 100, 0.0) == ""


def test_a_search_s_line_says_of_how_many_executions_with_its_rates():
    # 300 of 1,000 executions, 6,000 steps, in 2 s: 150 executions/s, 3,000 steps/s, 700 more take about 4.7 s
    line = progress_line("pct", Progress(300, 6000, None, 2.0), executions=1000)
    assert line == "  [pct] 300 executions of 1,000, 2 s elapsed, about 5 s left, 150 executions/s, 3,000 steps/s"
    assert rate(6000, 2.0) == 3000 and rate(5, 0.0) == 0
