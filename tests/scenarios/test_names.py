"""One naming style (issue 8, item 6): scenarios, variants, parameters and options are
kebab-case, and `list` names each parameter exactly as its flag does, so that what `list`
shows can be typed after `--`."""

from __future__ import annotations

import json
import re

import pytest
from unpack_race.model.variants import SHIPPED
from unpack_race.scenarios.cli import build_parser, main
from unpack_race.scenarios.registry import SCENARIOS
from unpack_race.scheduler.strategies.registry import REGISTRY, options

KEBAB = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
PARAMETERS_GROUP = "scenario parameters"


def listed(capsys) -> list[dict]:
    assert main(["list", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["scenarios"]


def parameter_flags(command: str) -> set[str]:
    """The flags of `command`'s scenario-parameter group, `--no-X` negations left out."""
    (parser,) = [a for a in build_parser()._actions if a.dest == "command"]
    group = next(g for g in parser.choices[command]._action_groups if g.title.startswith(PARAMETERS_GROUP))
    return {flag for action in group._group_actions for flag in action.option_strings[:1]}


def test_every_scenario_and_parameter_list_shows_and_every_shipped_variant_is_kebab_case(capsys):
    scenarios = listed(capsys)
    names = [sc["name"] for sc in scenarios] + [p["name"] for sc in scenarios for p in sc["params"]]
    names += [v.name for v in SHIPPED] + [v for sc in SCENARIOS.values() if sc.name != "retry-after-cancel"
                                          for v in sc.variants]
    assert names and [n for n in names if not KEBAB.fullmatch(n)] == []
    assert {sc["name"] for sc in scenarios} == set(SCENARIOS)


def test_every_strategy_and_strategy_option_is_kebab_case():
    assert [n for n in REGISTRY if not KEBAB.fullmatch(n)] == []
    assert [o.flag for o in options().values() if not KEBAB.fullmatch(o.flag)] == []


@pytest.mark.parametrize("command", ["check", "compare", "lint"])
def test_list_s_parameter_names_are_exactly_the_parameter_flags(capsys, command):
    in_list = {f"--{p['name']}" for sc in listed(capsys) for p in sc["params"]}
    assert in_list == parameter_flags(command)


def test_a_parameter_is_given_by_the_name_list_shows(capsys):
    assert main(["check", "retry-after-cancel", "--variant", "prepare-with-lease", "--gc-policy", "any",
                 "--gc-runs", "0", "--backend-cleanup", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "gc-runs=0" in out and "backend-cleanup=yes" in out


def test_a_scenario_s_old_snake_case_name_on_the_command_line_is_refused_with_the_new_one_suggested(capsys):
    assert main(["check", "account_bad", "--variant", "as-written"]) == 2
    assert "unknown scenario 'account_bad' (did you mean account-bad" in capsys.readouterr().err
