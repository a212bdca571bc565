"""The scenarios, their parameters and their variants as `unpack-race list` prints them:
each variant with the verdict expected under default parameters and, for containerd's
variants, the releases it stands for and its code path (PR 10723's Stat, PR 10187's two
halves); and the same as `list --json`'s document (format
unpack-race.list, reports/schemas/list.schema.json)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from unpack_race.reports.documents import document


class Param(Protocol):
    name: str
    default: Any
    help: str
    minimum: int | None
    maximum: int | None
    choices: tuple[str, ...]


def param_text(p: Param) -> str:
    """The parameter as the command line takes it, with its default and bounds:
    `--layers N (1..8, default 2): help`, `--gc-policy scheduler|any|dirty (default scheduler): help`,
    `--overlap/--no-overlap (default --overlap): help`."""
    flag = f"--{p.name}"
    if type(p.default) is bool:
        return f"{flag}/--no-{p.name} (default {flag if p.default else f'--no-{p.name}'}): {p.help}"
    if p.choices:
        return f"{flag} {'|'.join(p.choices)} (default {p.default}): {p.help}"
    return f"{flag} N ({p.minimum}..{p.maximum}, default {p.default}): {p.help}"


def catalog_lines(entries: Sequence[Any]) -> list[str]:
    """The lines of `list`, from scenarios.api.catalog()'s entries."""
    lines = []
    for sc in entries:
        lines.append(f"scenario {sc.name}: {sc.summary}")
        lines.append("  parameters:" if sc.params else "  parameters: none")
        lines.extend(f"    {param_text(p)}" for p in sc.params)
        lines.append("  variants, and the verdict expected with default parameters:")
        for v in sc.variants:
            expect = v.expected
            verdict = expect.verdict.value + (f" ({expect.property})" if expect.property else "")
            releases = v.releases if v.releases is not None else ""
            lines.append(f"    {v.name:<28} {verdict:<30} {releases}".rstrip())
            said = v.summary if v.summary is not None else expect.why
            if said:  # a scenario of one's own may not say why
                lines.append(f"    {'':<28} {said}")
            if v.code:
                lines.append(f"    {'':<28} code: {v.code}")
    return lines


def catalog_document(entries: Sequence[Any]) -> dict[str, Any]:
    """`list --json`: each scenario with its parameters (default, range or choices, help) and
    its variants (the verdict expected with default parameters, why, the containerd releases, the code
    path: the unpacker's step before Prepare and PR 10187's halves)."""
    scenarios = []
    for sc in entries:
        scenarios.append({
            "name": sc.name,
            "summary": sc.summary,
            "params": [{"name": p.name, "default": p.default, "minimum": p.minimum, "maximum": p.maximum,
                        "choices": list(p.choices), "help": p.help} for p in sc.params],
            "variants": [{"name": v.name, "expected": {"verdict": v.expected.verdict.value,
                                                       "property": v.expected.property, "why": v.expected.why},
                          "releases": v.releases, "summary": v.summary, "code": v.code}
                         for v in sc.variants],
        })
    return document("list", 0, {"scenarios": scenarios})


__all__ = ["catalog_document", "catalog_lines", "param_text"]
