"""Every public class and function a reader of the library needs has a docstring (issue
8): the engine's protocol (effects, actors, programs, properties), the explorer and its
strategies, the shared-memory threads, and the facade with its scenarios. Public means
listed in the module's `__all__`, or, without one, defined in the module under a name
without a leading underscore."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = (
    "unpack_race.scheduler",
    "unpack_race.scheduler.effect",
    "unpack_race.scheduler.program",
    "unpack_race.scheduler.properties",
    "unpack_race.scheduler.explore",
    "unpack_race.scheduler.strategies",
    "unpack_race.scheduler.shared_memory",
    "unpack_race.scheduler.verdict",
    "unpack_race.scheduler.coverage",
    "unpack_race.scheduler.run",
    "unpack_race.scenarios.base",
    "unpack_race.scenarios.api",
)


def public(module) -> list[tuple[str, object]]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, o in vars(module).items()
                 if not n.startswith("_") and getattr(o, "__module__", None) == module.__name__]
    return [(n, getattr(module, n)) for n in sorted(names)]


@pytest.mark.parametrize("name", MODULES)
def test_every_public_class_and_function_has_a_docstring(name):
    module = importlib.import_module(name)
    assert (module.__doc__ or "").strip(), f"{name} has no module docstring"
    missing = [n for n, o in public(module) if (inspect.isclass(o) or inspect.isfunction(o))
               and not (o.__doc__ or "").strip()]
    assert not missing, f"{name}: no docstring for {', '.join(missing)}"


def test_explore_and_check_say_what_they_take_and_raise():
    from unpack_race.scenarios.api import check
    from unpack_race.scheduler.explore import explore

    for function, words in ((explore, ("strategy", "properties", "PropertyScopeError")),
                            (check, ("scenario", "variant", "strategy", "ParamError"))):
        assert all(w in function.__doc__ for w in words), function.__name__
