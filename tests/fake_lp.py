"""A stand-in for CUPS' ``lp`` and ``lpstat`` on PATH: it keeps every job it is given (the PDF from standard
input and the command's options), or refuses it as ``lp`` does (the reason on standard error, exit 1), and says
which queue is the default (or that there is none). The app's real printing code (tpi_notes/printing.py) runs
against it, so a test sees exactly what would reach the printer, without a CUPS server or root.

Import it in a test module: ``from fake_lp import FakeLp, fake_lp  # noqa: F401``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

_LP = """#!/bin/sh
dir="$FAKE_LP_DIR"
if [ -s "$dir/refuse" ]; then cat "$dir/refuse" >&2; exit 1; fi
n=$(ls "$dir"/job-*.pdf 2>/dev/null | wc -l); n=$((n + 1))
printf '%s\\n' "$@" > "$dir/job-$n.args"
cat > "$dir/job-$n.tmp" && mv "$dir/job-$n.tmp" "$dir/job-$n.pdf"
queue=$(cat "$dir/queue")
echo "request id is $queue-$n (1 file(s))"
"""

_LPSTAT = """#!/bin/sh
dir="$FAKE_LP_DIR"
case "$1" in
  -d) if [ -s "$dir/default" ]; then echo "system default destination: $(cat "$dir/default")";
      else echo "no system default destination"; fi ;;
  -e) cat "$dir/queue" ;;
  *) ;;
esac
exit 0
"""


@dataclass(frozen=True)
class Job:
    pdf: bytes
    args: list[str]


@dataclass
class FakeLp:
    folder: Path
    queue: str = "Front-desk"

    @property
    def jobs(self) -> list[Job]:
        found = sorted(self.folder.glob("job-*.pdf"), key=lambda p: int(p.stem.split("-")[1]))
        return [Job(p.read_bytes(), p.with_suffix(".args").read_text(encoding="utf-8").splitlines()) for p in found]

    def refuse(self, reason: str) -> None:
        """The next jobs are refused with ``lp: reason`` (as CUPS says it)."""
        (self.folder / "refuse").write_text(f"lp: {reason}\n", encoding="utf-8")

    def accept(self) -> None:
        (self.folder / "refuse").write_text("", encoding="utf-8")

    def no_default(self) -> None:
        (self.folder / "default").write_text("", encoding="utf-8")


@pytest.fixture
def fake_lp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeLp:
    folder = tmp_path / "fake-lp"
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("lp", _LP), ("lpstat", _LPSTAT)):
        path = bin_dir / name
        path.write_text(text, encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    lp = FakeLp(folder)
    (folder / "queue").write_text(lp.queue + "\n", encoding="utf-8")
    (folder / "default").write_text(lp.queue + "\n", encoding="utf-8")
    lp.accept()
    monkeypatch.setenv("FAKE_LP_DIR", str(folder))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return lp
