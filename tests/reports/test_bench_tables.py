"""The bench's sampling table: its median over all seeds counts a seed that found nothing
within the cap as more than the cap, so a sampler that mostly fails is not flattered by
the median of the few seeds that found it."""

from __future__ import annotations

from unpack_race.reports.bench_tables import median_over_seeds


def test_the_median_over_seeds_counts_a_seed_that_found_nothing_as_more_than_the_cap():
    # by hand: 1, 3, 5 sorted; the middle one
    assert median_over_seeds([5, 1, 3], cap=10) == "3"
    # 2, 4, 6, 8: between 4 and 6
    assert median_over_seeds([8, 2, 6, 4], cap=10) == "5"
    # 2, 4, >10, >10: between 4 and something above 10, so above (4 + 10) / 2
    assert median_over_seeds([None, 4, None, 2], cap=10) == "> 7"
    # 3, >10, >10: the middle seed found nothing
    assert median_over_seeds([None, 3, None], cap=10) == "> 10"
    assert median_over_seeds([], cap=10) == "-"


def test_the_table_gives_both_medians_and_says_which_is_which():
    from unpack_race.reports.bench_tables import bench_markdown

    row = {"program": "p", "strategy": "random", "seeds": 4, "cap": 10, "found": 2, "median_runs": 3,
           "min_runs": 2, "max_runs": 4, "median_seconds": 0.1, "steps_per_second": 100,
           "runs_per_seed": [2, None, 4, None]}
    data = {"date": "2026-12-02", "seconds": 1.0, "settings": {"seeds": 4},
            "machine": {"cores": 2, "python": "3.11", "platform": "linux", "commit": "abc"},
            "exhaustive": [], "sampling": [row], "growth": []}
    text = bench_markdown(data, "unpack-race bench")
    assert "| median runs (all seeds) | median of those found |" in text
    assert "| p | random | 2/4 | 10 | > 7 | 3 | 2 | 4 |" in text
