"""Puts tests/scheduler on sys.path, so that every test directory imports the tests' one
shared-memory world as `from shared_memory import ...` (tests/ has no __init__.py files,
and pytest puts only a test file's own directory on the path)."""

import sys
from pathlib import Path

SHARED_MEMORY = str(Path(__file__).resolve().parent / "scheduler")
if SHARED_MEMORY not in sys.path:
    sys.path.insert(0, SHARED_MEMORY)
