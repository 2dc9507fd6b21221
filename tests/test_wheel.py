"""An ordinary install works (issue 18 item 1): the wheel `pip wheel .` builds carries the reference data, the
migrations and the rest, and installed into a fresh virtual environment its `tpi-notes` command builds a demo
clinic and prints and exports from it, run from a folder outside the repository.

No network: the wheel is built without build isolation (setuptools comes from the project's .venv, see the
test extras) and installed with --no-deps --no-index; the new environment sees the project's installed
dependencies through a .pth file, never the repository itself."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds a wheel and runs the command line in subprocesses (about 15 s)

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "tpi_notes", "resources")


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(source: Path, out: Path) -> Path:
    """`pip wheel . --no-deps` on ``source``, a copy of the repository's packaging inputs (the shared working
    tree gets no build/ or egg-info from the test)."""
    _run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(out)], cwd=source)
    (wheel,) = out.glob("tpi_notes-*.whl")
    return wheel


def copy_sources(to: Path) -> Path:
    to.mkdir()
    for name in SOURCES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, to / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, to / name)
    return to


def fresh_venv(where: Path) -> Path:
    """A virtual environment of its own whose only view of the project's dependencies is a .pth line naming
    .venv's site-packages (whose own .pth files, the editable install among them, are not read from there)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    python = where / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "project-dependencies.pth").write_text("\n".join(deps) + "\n")
    return python


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    return build_wheel(copy_sources(tmp / "src"), tmp / "dist")


def test_the_wheel_carries_the_reference_data_and_the_migrations(built: Path) -> None:
    names = set(zipfile.ZipFile(built).namelist())
    shipped = {f"tpi_notes/_resources/{p.relative_to(REPO / 'resources')}" for p in (REPO / "resources").glob("*/*.json")}
    assert shipped and shipped <= names, sorted(shipped - names)
    migrations = {f"tpi_notes/db/migrations/versions/{p.name}"
                  for p in (REPO / "tpi_notes/db/migrations/versions").glob("*.py")}
    assert migrations and migrations <= names
    assert "tpi_notes/db/migrations/env.py" in names
    assert not [n for n in names if "__pycache__" in n or "/atlas_src/" in n]
    entry_points = zipfile.ZipFile(built).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "tpi-notes = tpi_notes.cli:main" in entry_points


def test_installed_from_the_wheel_every_command_works_from_any_folder(built: Path, tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(built)], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TPI_NOTES_", "VIRTUAL_ENV"))}
    env["TPI_NOTES_DATA_DIR"] = str(tmp_path / "userdata")
    env["TPI_NOTES_SITE_CONFIG_DIR"] = str(tmp_path / "site-config")

    where = _run([str(python), "-c", "import tpi_notes, tpi_notes.paths as p; print(tpi_notes.__file__); "
                  "print(p.resources_dir())"], cwd=elsewhere, env=env).stdout.splitlines()
    installed = tmp_path / "venv"
    assert all(Path(line).is_relative_to(installed) for line in where), where  # not the repository's copy
    assert Path(where[1]).name == "_resources"

    tpi = str(tmp_path / "venv" / "bin" / "tpi-notes")
    db = tmp_path / "clinic.sqlite"
    out = _run([tpi, "demo", "--db", str(db), "--patients", "3", "--sessions", "6"], cwd=elsewhere, env=env)
    assert "Demo clinic: 3 patients, 6 sessions" in out.stdout
    _run([tpi, "--db", str(db), "note", "1", "-o", "note.pdf"], cwd=elsewhere, env=env)
    _run([tpi, "--db", str(db), "aftercare", "1", "-o", "aftercare.pdf"], cwd=elsewhere, env=env)
    _run([tpi, "--db", str(db), "export", "--format", "fhir", "-o", "bundle.json"], cwd=elsewhere, env=env)
    for name in ("note.pdf", "aftercare.pdf"):
        assert (elsewhere / name).read_bytes().startswith(b"%PDF")
    assert json.loads((elsewhere / "bundle.json").read_bytes())["resourceType"] == "Bundle"
    _run([str(python), "-c", "import tpi_notes.ui.app"], cwd=elsewhere, env=env)  # the GUI's modules load too
