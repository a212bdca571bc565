"""A scenario with one variant needs no `--variant` (issue 8, item 6: "the one-variant
classics still require `--variant as-written`"); one with several still does, and the
refusal lists them."""

from __future__ import annotations

import json

import pytest
from unpack_race.scenarios import api
from unpack_race.scenarios.base import ParamError
from unpack_race.scenarios.cli import main
from unpack_race.scenarios.registry import SCENARIOS


def test_check_of_a_one_variant_classic_without_variant_checks_its_variant(capsys, tmp_path):
    # account_bad.c asserts the wrong balance: SCTBench lists it as a bug (exit 1, a violation)
    assert main(["check", "account-bad", "--out", str(tmp_path), "--quiet"]) == 1
    (written,) = tmp_path.glob("*.schedule.json")
    assert written.name == "account-bad.as-written.schedule.json"
    assert json.loads(written.read_text(encoding="utf-8"))["variant"] == "as-written"


def test_check_s_json_document_names_the_variant_it_chose(capsys):
    assert main(["check", "lastzero", "--n", "1", "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["variant"] == "as-written"


def test_the_facade_chooses_the_only_variant_too():
    checked = api.check("lastzero", params={"n": 1})
    assert checked.variant == "as-written" and checked.verdict.exit_code == 0


def test_a_scenario_of_several_variants_needs_one_named_and_the_refusal_lists_them(capsys):
    assert main(["check", "retry-after-cancel", "--quiet"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    variants = SCENARIOS["retry-after-cancel"].variants
    assert f"scenario retry-after-cancel has {len(variants)} variants; name one with --variant V: " in line
    assert ", ".join(variants) in line
    with pytest.raises(ParamError, match="has .* variants; name one"):
        api.check("retry-after-cancel")


@pytest.mark.parametrize("name", sorted(n for n, sc in SCENARIOS.items() if len(sc.variants) == 1))
def test_every_one_variant_scenario_chooses_its_variant(name):
    assert SCENARIOS[name].choose_variant(None) == SCENARIOS[name].variants[0]
