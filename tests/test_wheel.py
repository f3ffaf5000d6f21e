"""`pip install .` gives a working tool: the wheel carries every subpackage and data file."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, XINZHOU

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, as `pip install .` builds it."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True)
    return next(out.glob("budgetqa-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with the wheel installed; dependencies come from this interpreter's site-packages.

    A `.pth` line adds that folder to the path but its own `.pth` files (the editable install of this
    checkout) are not processed, so only the wheel's copy of budgetqa can be imported.
    """
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=False)
    site = next((env / "lib").glob("python*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "--no-deps",
                    "-q", str(wheel)], check=True)
    return env / "bin"


def test_the_wheel_holds_every_subpackage_and_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ROOT.glob("app/**/*"):
        if path.suffix in {".py", ".toml"} and "__pycache__" not in path.parts:
            assert path.relative_to(ROOT).as_posix() in names
    for pkg in ("ingest", "store"):
        assert {p.relative_to(ROOT).as_posix() for p in (ROOT / pkg).glob("*.py")} <= names


def test_the_installed_tool_ingests_answers_and_audits(installed: Path, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(installed / "budgetqa"), *args, "--home", str(tmp_path / "home")], cwd=tmp_path,
                              capture_output=True, text=True, timeout=600)

    where = subprocess.run([str(installed / "python"), "-c", "import app; print(app.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert str(installed.parent) in where  # the wheel's copy, not this checkout
    assert run("ingest", str(XINZHOU)).returncode == 0
    answer = json.loads(run("ask", "公务接待费是多少？", "--json").stdout)
    assert (answer["status"], answer["value"], answer["unit"]) == ("verified", 1.0, "万元")
    audit = run("audit", "--json")
    assert audit.returncode == 0 and json.loads(audit.stdout)["findings"]  # the rules file is there: it finds things
    assert run("ui", "--help").returncode == 0


def test_a_missing_data_file_is_an_error_not_an_empty_result(tmp_path: Path) -> None:
    from app.data import load_toml
    from store.errors import DataFileMissingError

    with pytest.raises(DataFileMissingError, match="reinstall"):
        load_toml(tmp_path / "audit_rules.toml")
