"""Imports point one way (DESIGN.md, "The layers"): the scheduler knows nothing of the
model, the scenarios or the reports; the model uses only the scheduler's protocol types;
the reports know nothing of the model or the scenarios. Checked by parsing every file's
imports (including imports inside functions) with `ast`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# What model/ may import from the scheduler: the effect/actor protocol (with the resource
# map a world declares for its footprints), never a strategy, the explorer or schedules.
PROTOCOL_MODULES = {"scheduler.effect", "scheduler.program", "scheduler.properties", "scheduler.kernel",
                    "scheduler.resources"}


def python_files(package: str) -> list[Path]:
    return sorted(p for p in (REPO / package).rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


PACKAGE = "unpack_race."
LAYERS = ("model", "scheduler", "scenarios", "reports")


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module an import statement names, relative imports resolved, named inside
    the package (`unpack_race.scheduler.kernel` is listed as `scheduler.kernel`). For
    `from pkg import name`, both `pkg` and `pkg.name` are listed (name may be a
    submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
    return {name.removeprefix(PACKAGE) for name in found}


def bare_layer_imports(source: str) -> list[str]:
    """Absolute imports of a layer by its folder name (`import model.world`), which a
    user's own `model.py` in the working directory would shadow."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else [])
        found += [n for n in names if n.split(".")[0] in LAYERS]
    return found


def imports_of(path: Path) -> set[str]:
    return imported_modules(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


def top_level(name: str) -> str:
    return name.split(".")[0]


# -- the import collector itself ---------------------------------------------------------------


def test_the_import_collector_sees_plain_from_relative_and_nested_imports():
    source = (
        "import os.path\n"
        "from unpack_race.scheduler.effect import Effect\n"
        "from . import sibling\n"
        "from ..strategies import dfs\n"
        "def later():\n"
        "    import unpack_race.model.world\n"
    )
    found = imported_modules(source, "scheduler.strategies.replay")
    assert {"os.path", "scheduler.effect", "scheduler.effect.Effect", "scheduler.strategies.sibling",
            "scheduler.strategies", "scheduler.strategies.dfs", "model.world"} <= found
    assert imported_modules("from .kernel import Step\n", "scheduler", is_package=True) == {
        "scheduler.kernel", "scheduler.kernel.Step"}


@pytest.mark.parametrize("package", ["scheduler", "model", "reports"])
def test_each_layer_has_python_files_to_check(package):
    assert python_files(package), f"no .py files found under {package}/"


def test_bare_layer_imports_are_recognised():
    assert bare_layer_imports("import model.world\nfrom scheduler import Effect\nimport os\n") == [
        "model.world", "scheduler"]
    assert bare_layer_imports("from unpack_race.model import world\nfrom . import kernel\n") == []


@pytest.mark.parametrize(
    "path", [p for layer in (*LAYERS, "tests") for p in python_files(layer)],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_every_import_names_the_layers_inside_the_one_package(path):
    bare = bare_layer_imports(path.read_text(encoding="utf-8"))
    assert not bare, f"{path.relative_to(REPO)} imports {bare}; write unpack_race.{bare[0]}"


# -- the rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", python_files("scheduler"), ids=lambda p: str(p.relative_to(REPO)))
def test_the_scheduler_imports_neither_model_nor_scenarios_nor_reports(path):
    forbidden = sorted(m for m in imports_of(path) if top_level(m) in {"model", "scenarios", "reports"})
    assert not forbidden, f"{path.relative_to(REPO)} imports {forbidden}"


def protocol_exports() -> set[str]:
    """The names scheduler/__init__.py imports from the protocol modules, which
    `from unpack_race.scheduler import X` may therefore bring into the model."""
    tree = ast.parse((REPO / "scheduler" / "__init__.py").read_text(encoding="utf-8"))
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").removeprefix(PACKAGE) in PROTOCOL_MODULES
        for alias in node.names
    }


def non_protocol_scheduler_imports(names: set[str], exports: set[str]) -> list[str]:
    bad = []
    for name in sorted(names):
        if top_level(name) != "scheduler" or name == "scheduler":
            continue
        # `from unpack_race.scheduler.effect import Effect` lists scheduler.effect.Effect: judge its module.
        module = ".".join(name.split(".")[:2])
        if module not in PROTOCOL_MODULES and module.split(".")[1] not in exports:
            bad.append(name)
    return bad


def test_the_model_rule_refuses_strategies_the_explorer_and_schedules():
    exports = protocol_exports()
    assert {"Effect", "Failure", "Footprint", "Program"} <= exports
    allowed = {"scheduler.effect", "scheduler.effect.Effect", "scheduler.kernel.Step", "scheduler.Effect", "attrs"}
    assert non_protocol_scheduler_imports(allowed, exports) == []
    refused = {"scheduler.strategies", "scheduler.strategies.dfs.DepthFirst", "scheduler.explore",
               "scheduler.schedule.Schedule", "scheduler.DepthFirst"}
    assert non_protocol_scheduler_imports(refused, exports) == sorted(refused)


@pytest.mark.parametrize("path", python_files("model"), ids=lambda p: str(p.relative_to(REPO)))
def test_the_model_imports_only_the_scheduler_protocol_modules(path):
    bad = non_protocol_scheduler_imports(imports_of(path), protocol_exports())
    assert not bad, f"{path.relative_to(REPO)} imports {bad}; model/ may use only {sorted(PROTOCOL_MODULES)}"


def test_the_scheduler_package_itself_re_exports_only_protocol_types():
    imported = imports_of(REPO / "scheduler" / "__init__.py")
    modules = {m for m in imported if m.count(".") == 1}
    assert modules <= PROTOCOL_MODULES, sorted(modules - PROTOCOL_MODULES)


@pytest.mark.parametrize("path", python_files("reports"), ids=lambda p: str(p.relative_to(REPO)))
def test_the_reports_import_neither_model_nor_scenarios(path):
    forbidden = sorted(m for m in imports_of(path) if top_level(m) in {"model", "scenarios"})
    assert not forbidden, f"{path.relative_to(REPO)} imports {forbidden}"


# -- the scheduler's vocabulary ----------------------------------------------------------------

# containerd's words must not appear in the generic engine: "containerd" and "snapshot"
# in any case; "lease" as a word or a CamelCase part (lease, leases, Lease, DeleteLease,
# lease_id, LEASE), but not inside "release" or "please".
CONTAINERD_WORDS = re.compile(
    r"(?i:containerd|snapshot)|(?<![A-Za-z])(?:lease|Lease|LEASE)|(?<=[a-z])Lease"
)


def containerd_words(text: str) -> list[str]:
    return [
        f"line {text.count(chr(10), 0, m.start()) + 1}: {m.group()!r}" for m in CONTAINERD_WORDS.finditer(text)
    ]


def test_the_vocabulary_check_catches_containerd_words_but_not_release():
    found = containerd_words("a Snapshotter, containerD,\nDeleteLease, leases, lease_id, LEASE")
    assert [hit.split(": ", 1)[1] for hit in found] == [
        "'Snapshot'", "'containerD'", "'Lease'", "'lease'", "'lease'", "'LEASE'"]
    assert found[2].startswith("line 2: ")
    assert containerd_words("release the lock; Released; please; RELEASE") == []


def scheduler_text_files() -> list[Path]:
    return sorted(
        p for p in (REPO / "scheduler").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}
    )


@pytest.mark.parametrize("path", scheduler_text_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_the_scheduler_source_never_mentions_containerd_snapshots_or_leases(path):
    hits = containerd_words(path.read_text(encoding="utf-8"))
    assert not hits, f"{path.relative_to(REPO)} mentions {hits}"
