"""`tpi-notes --version` and Help → About name what a support call needs (issue 18 item 5): the app and the
versions of the data it reads — clinical rules, atlas, aftercare text, formulary, ICD-10-CM code set — taken
from the files themselves, so a new data file shows up without a code change."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import util
from pathlib import Path

from tpi_notes import __version__

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"


def _newest(folder: str, pattern: str) -> dict:
    files = sorted((RESOURCES / folder).glob(pattern), key=lambda p: [int(x) if x.isdigit() else x
                                                                      for x in p.stem.replace(".", "-").split("-")])
    return json.loads(files[-1].read_text(encoding="utf-8"))


def expected_versions() -> dict[str, str]:
    (folder,) = util.find_spec("simple_icd_10_cm").submodule_search_locations
    (code_list,) = (Path(folder) / "data").glob("code-list-*.txt")
    icd10 = code_list.stem.removeprefix("code-list-")
    shipped = RESOURCES / "icd10" / "code-sets.json"  # the code sets the app ships (issue 15), when present
    if shipped.is_file():
        icd10 = max(json.loads(shipped.read_text())["sets"], key=lambda s: s["valid_from"])["version"]
    return {
        "Clinical rules": json.loads((RESOURCES / "rules/clinical-rules.json").read_text())["version"],
        "Anatomy atlas": _newest("atlas", "atlas-*.json")["version"],
        "Aftercare text": _newest("aftercare", "aftercare-*.json")["version"],
        "Formulary": _newest("formulary", "formulary-*.json")["version"],
        "ICD-10-CM code set": icd10,
    }


def _version(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--version"], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_version_names_the_app_and_every_data_version() -> None:
    result = _version()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"tpi-notes {__version__}"
    shown = dict(line.split(":", 1) for line in lines[1:])
    for what, version in expected_versions().items():
        assert shown[what].split()[0] == version, (what, shown[what])
    assert re.search(r"20[2-9][0-9]", shown["ICD-10-CM code set"])  # a dated release
    assert {"Python", "Qt for Python (PySide6)", "SQLite"} <= set(shown)


def test_a_missing_data_file_is_named_and_the_rest_still_shown(tmp_path: Path) -> None:
    partial = tmp_path / "resources"
    shutil.copytree(RESOURCES, partial)
    shutil.rmtree(partial / "formulary")
    result = _version({"TPI_NOTES_RESOURCES": str(partial)})
    assert result.returncode == 0, result.stderr
    shown = dict(line.split(":", 1) for line in result.stdout.splitlines()[1:])
    assert shown["Formulary"].strip().startswith("unreadable") and "no formulary file" in shown["Formulary"]
    assert shown["Aftercare text"].split()[0] == expected_versions()["Aftercare text"]
