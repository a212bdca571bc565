"""What a scenario is: named parameters with their bounds, a builder that turns a
variant and parameter values into a program and its properties, and the verdict
containerd's history leads us to expect."""

from __future__ import annotations

import abc
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from unpack_race.scheduler.echo import echo
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Property
from unpack_race.scheduler.schedule import Schedule
from unpack_race.scheduler.suggestions import did_you_mean
from unpack_race.scheduler.verdict import Verdict


class ParamError(ValueError):
    """A parameter value out of its bounds; the message says which and what is allowed."""


@attrs.frozen
class Param:
    """A scenario parameter: its name, default (whose type is the parameter's), help, and
    bounds (`minimum`/`maximum` for whole numbers, `choices` for text)."""

    name: str
    default: Any
    help: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> Any:
        kind = type(self.default)
        if kind is bool:
            if not isinstance(value, bool):
                raise ParamError(f"parameter {self.name}: expected true or false, got {echo(value)}")
            return value
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParamError(f"parameter {self.name}: expected a whole number, got {echo(value)}")
            if self.minimum is not None and value < self.minimum or self.maximum is not None and value > self.maximum:
                raise ParamError(
                    f"parameter {self.name}: {echo(value)} is out of range; use {self.minimum} to {self.maximum}"
                )
            return value
        if self.choices and value not in self.choices:
            raise ParamError(
                f"parameter {self.name}: {echo(value)} is not one of {', '.join(self.choices)}"
            )
        return value


@attrs.frozen
class Expectation:
    """The verdict a variant is expected to have, where it comes from (`why`), and, for a
    violation, the property expected to fail (None: any)."""

    verdict: Verdict  # pass, violation or vacuous
    property: str | None = None  # the property expected to fail
    why: str = ""


@attrs.frozen
class Unreachable:
    """A `sometimes` property a scenario does not declare, because its parameters make it
    unreachable, and why (in the words of the system modelled). A search then cannot end
    vacuous for lack of it, and a pass can say why the interesting window is never
    entered within these bounds."""

    property: str
    why: str


@attrs.frozen
class Built:
    """What `Scenario.build` returns: the program, its properties, the bounds in words
    (shown in every result), and the `sometimes` properties left out as unreachable."""

    program: Program
    properties: tuple[Property, ...]
    bounds: str
    unreachable: tuple[Unreachable, ...] = ()  # `sometimes` properties left out, and why


class Scenario(abc.ABC):
    """A named configuration that `api.check`, `api.compare`, `api.lint` and the others
    take as a name (registered) or as an object. A subclass sets `name`, `summary`,
    `params` (a tuple of `Param`, possibly empty) and `variants`, and defines
    `build(variant, params)` (a `Built`) and `expected(variant, params)` (an
    `Expectation`); `params` arrive resolved, every default filled in."""

    name: str
    summary: str
    params: tuple[Param, ...]
    variants: tuple[str, ...]
    #: what an unknown variant's message adds, where more variants can be given
    more_variants: str = ""
    #: where the scenario was loaded from, as the reference that loads it again
    #: (`/abs/path/file.py:NAME` or `module:NAME`, scenarios/user_scenarios.py); None
    #: for a built-in one, or one that was not loaded by reference (see `reference`)
    loaded_from: str | None = None

    def reference(self) -> str | None:
        """How the command line can load this scenario again: `loaded_from` if it was
        loaded by reference; for an object made in Python, `/abs/path/file.py:Class` when its
        class is a top-level name of an importable file and takes no arguments (a
        pytest test file's Scenario, say); None for a built-in scenario (its name is
        enough), or when there is no such reference (a class of `__main__`, whose file
        is a script that loading would run; one defined in a function; a class that takes
        arguments, as the object may not have been made with the defaults)."""
        if self.loaded_from is not None:
            return self.loaded_from
        cls = type(self)
        module = sys.modules.get(cls.__module__)
        path = getattr(module, "__file__", None)
        if (cls.__module__ in ("__main__", "unpack_race") or cls.__module__.startswith("unpack_race.")
                or path is None or getattr(module, cls.__qualname__, None) is not cls):
            return None
        try:
            if inspect.signature(cls).parameters:  # made with arguments, perhaps not the defaults
                return None
        except (TypeError, ValueError):
            return None
        return f"{Path(path).resolve()}:{cls.__qualname__}"

    def recorded(self, schedule: Schedule) -> Schedule:
        """The schedule of a run of this scenario, with the reference that loads the
        scenario again as its `source` field (none for a built-in one): what lets
        `unpack-race replay`, `minimize`, `explain` and `lint` say how to load it."""
        ref = self.reference()
        if ref is None:
            return schedule
        return attrs.evolve(schedule, extensions={**schedule.extensions, "source": ref})

    def resolve(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults plus checked overrides; unknown names are an error."""
        known = {p.name: p for p in self.params}
        for name in overrides:
            if name not in known:
                raise ParamError(
                    f"scenario {self.name} has no parameter {echo(name)}{did_you_mean(name, known)}; "
                    f"its parameters are: {', '.join(known)}"
                )
        return {p.name: p.check(overrides.get(p.name, p.default)) for p in self.params}

    def choose_variant(self, variant: str | None) -> str:
        """`variant`, checked; when it is None, the scenario's only variant. A scenario of
        several variants needs one named: ParamError, listing them."""
        if variant is not None:
            return self.check_variant(variant)
        if len(self.variants) == 1:
            return self.variants[0]
        raise ParamError(
            f"scenario {self.name} has {len(self.variants)} variants; name one with --variant V: "
            f"{', '.join(self.variants)}{self.more_variants}"
        )

    def variant_definition(self, variant: str) -> Any:
        """What stands behind a variant's name, for the listings (`list`, `compare`): an
        object with `releases`, `summary` and `code()`, as model.variants.Variant has; None
        (the default) for a variant that is only a name (a classic's, or one's own)."""
        return None

    def check_variant(self, variant: str) -> str:
        if variant not in self.variants:
            raise ParamError(
                f"scenario {self.name} has no variant {echo(variant)}{did_you_mean(variant, self.variants)}; "
                f"its variants are: "
                f"{', '.join(self.variants)}{self.more_variants}"
            )
        return variant

    def story(self, explanation: Any, continuation: Any = None) -> list[str] | None:
        """A counterexample told in the words of the system modelled, from its explanation
        (scheduler.explain.Explanation) and the run carried on past the violation; None
        when the run has no shape this scenario can tell. By default: the first of the
        containerd stories (scenarios.stories: pkg/rootfs's, the remapped snapshot's,
        issue 3787's) that recognises the run."""
        from unpack_race.scenarios.stories import story

        return story(explanation, continuation)

    @abc.abstractmethod
    def build(self, variant: str, params: Mapping[str, Any]) -> Built: ...

    @abc.abstractmethod
    def expected(self, variant: str, params: Mapping[str, Any]) -> Expectation: ...
