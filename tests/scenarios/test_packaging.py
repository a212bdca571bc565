"""unpack-race installs as one import package, `unpack_race`, whose subpackages are the
repository's top-level folders; a user's own `model.py` (or `scheduler.py`, ...) in the
working directory cannot shadow any part of it."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import unpack_race
from unpack_race.reports.documents import COMMON, schema_names

ROOT = Path(__file__).resolve().parents[2]


def run(args, cwd, **kwargs):
    env = dict(os.environ)
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)], ROOT)
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("unpack_race-*.whl")
    return found


def test_the_wheel_puts_one_import_package_and_its_dist_info_into_site_packages(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {name.split("/")[0] for name in names}
    dist_info = {t for t in top if t.endswith(".dist-info")}
    assert top - dist_info == {"unpack_race"}
    assert len(dist_info) == 1
    for layer in ("model", "scheduler", "scenarios", "reports"):
        assert f"unpack_race/{layer}/__init__.py" in names
    for subpackage in ("scheduler/strategies", "scheduler/lint", "scenarios/classics"):
        assert f"unpack_race/{subpackage}/__init__.py" in names
    assert "unpack_race/scheduler/schedule.schema.json" in names
    for name in (*schema_names(), COMMON):  # every document's schema, and the one they share
        assert f"unpack_race/reports/schemas/{name}.schema.json" in names
    assert any(n.startswith("unpack_race/scenarios/corpus/") and n.endswith(".json") for n in names)
    assert not any(n.startswith(("unpack_race/tests/", "unpack_race/notebooks/", "unpack_race/docs/")) for n in names)


def test_the_wheel_registers_the_pytest_plugin_under_its_module_name(wheel):
    # named by its module, so that tests/conftest.py's pytest_plugins entry is a no-op where it is installed
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(entry_points).decode("utf-8"))
        assert "unpack_race/scenarios/pytest_plugin.py" in archive.namelist()
    plugin = "unpack_race.scenarios.pytest_plugin"
    assert dict(parser["pytest11"]) == {plugin: plugin}


@pytest.mark.parametrize("shadow", ["model.py", "scheduler.py", "scenarios.py", "reports.py"])
def test_a_module_of_a_layers_name_in_the_working_directory_does_not_break_compare(tmp_path, shadow):
    (tmp_path / shadow).write_text("raise ImportError('this is the user\\'s own module')\n")
    result = run([sys.executable, "-m", "unpack_race", "compare", "--quiet"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "every verdict is the expected one" in result.stdout


def test_python_dash_m_unpack_race_and_version(tmp_path):
    result = run([sys.executable, "-m", "unpack_race", "--version"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"unpack-race {unpack_race.__version__}"
    assert unpack_race.__version__ != "0+unknown"
