"""The scenarios, their parameters and their variants as `unpack-race list` prints them:
each variant with the verdict expected under default parameters and, for containerd's
variants, the releases it stands for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Param(Protocol):
    name: str
    default: Any
    help: str
    minimum: int | None
    maximum: int | None
    choices: tuple[str, ...]


def param_text(p: Param) -> str:
    """`name=default (allowed values): help`."""
    if p.choices:
        allowed = "|".join(p.choices)
    elif type(p.default) is bool:
        allowed = "true|false"
    else:
        allowed = f"{p.minimum}..{p.maximum}"
    return f"{p.name}={p.default!r} ({allowed}): {p.help}"


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
            releases = f"containerd {v.releases}" if v.releases is not None else ""
            lines.append(f"    {v.name:<28} {verdict:<30} {releases}".rstrip())
            lines.append(f"    {'':<28} {v.summary if v.summary is not None else expect.why}")
    return lines


__all__ = ["catalog_lines", "param_text"]
