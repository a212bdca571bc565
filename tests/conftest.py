"""Puts tests/scheduler on sys.path, so that every test directory imports the tests' one
shared-memory world as `from toy_world import ...` (tests/ has no __init__.py files,
and pytest puts only a test file's own directory on the path); loads unpack-race's own
pytest plugin (its entry point does where the package is installed, and then this is a
no-op) and pytester, which tests/plugin runs inner test files with (pytest accepts
`pytest_plugins` only in a conftest it loads before collecting, as it does this one).
Registers the variants of the files UNPACK_RACE_VARIANT_FILES names for the whole session,
so that every test that goes over the registered variants checks a researcher's too
(docs/variants.md)."""

import sys
from pathlib import Path

SHARED_MEMORY = str(Path(__file__).resolve().parent / "scheduler")
if SHARED_MEMORY not in sys.path:
    sys.path.insert(0, SHARED_MEMORY)

pytest_plugins = ["pytester", "unpack_race.scenarios.pytest_plugin"]

from unpack_race.scenarios.variant_files import from_environment, register_files  # noqa: E402

register_files(from_environment())
