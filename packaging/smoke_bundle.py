"""Smoke test of the desktop bundle (`make bundle` runs it after building; issue 18 item 2).

    python packaging/smoke_bundle.py dist/tpi-notes/tpi-notes

Runs the bundled `tpi-notes` from an empty folder outside the repository, with its own data folder: `--version`
(every data version readable), `demo`, `note`, `aftercare`, `verify`, `export`, then starts the app offscreen on
the demo clinic and checks it is still running at the login screen a few seconds later, with no crash report.
Also checks that Qt's PDF and print support travelled with it. Exit 0 when all pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GUI_SECONDS = 8


def run(exe: Path, *args: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run([str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"FAILED: tpi-notes {' '.join(args)} (exit {done.returncode})\n{done.stdout}{done.stderr}")
    print(f"ok: tpi-notes {' '.join(args)}: {done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ''}")
    return done.stdout


def main(exe_path: str) -> int:
    exe = Path(exe_path).resolve()
    internal = exe.parent / "_internal"
    qt = internal / "PySide6" / "Qt"
    needed = [qt / "plugins" / "printsupport", qt / "plugins" / "platforms" / "libqoffscreen.so",
              *sorted((qt / "lib").glob("libQt6Pdf.so*"))[:1], *sorted((qt / "lib").glob("libQt6PrintSupport.so*"))[:1],
              internal / "tpi_notes" / "db" / "migrations" / "versions", internal / "tpi_notes" / "_resources"]
    missing = [str(p) for p in needed if not p.exists()]
    if sys.platform.startswith("linux") and (missing or len(needed) < 6):
        raise SystemExit(f"FAILED: not in the bundle: {missing or 'Qt PDF / print libraries'}")
    with tempfile.TemporaryDirectory(prefix="tpi-bundle-smoke-") as tmp:
        where = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TPI_NOTES_", "PYTHON"))}
        env["TPI_NOTES_DATA_DIR"] = str(where / "userdata")
        version = run(exe, "--version", cwd=where, env=env)
        if "unreadable" in version or len(version.splitlines()) < 6:
            raise SystemExit(f"FAILED: --version\n{version}")
        run(exe, "demo", "--db", "clinic.sqlite", "--patients", "5", "--sessions", "12", cwd=where, env=env)
        run(exe, "--db", "clinic.sqlite", "note", "1", "-o", "note.pdf", cwd=where, env=env)
        run(exe, "--db", "clinic.sqlite", "aftercare", "1", "-o", "aftercare.pdf", cwd=where, env=env)
        run(exe, "verify", "--db", "clinic.sqlite", cwd=where, env=env)
        run(exe, "--db", "clinic.sqlite", "export", "--format", "fhir", "-o", "bundle.json", cwd=where, env=env)
        for pdf in ("note.pdf", "aftercare.pdf"):
            if not (where / pdf).read_bytes().startswith(b"%PDF"):
                raise SystemExit(f"FAILED: {pdf} is not a PDF")
        if json.loads((where / "bundle.json").read_text())["resourceType"] != "Bundle":
            raise SystemExit("FAILED: the FHIR export is not a Bundle")

        gui_env = {**env, "QT_QPA_PLATFORM": env.get("QT_QPA_PLATFORM", "offscreen"),
                   "TPI_NOTES_DB": str(where / "clinic.sqlite")}
        app = subprocess.Popen([str(exe)], cwd=where, env=gui_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            time.sleep(GUI_SECONDS)  # a script, not a test: the app waits at its login screen meanwhile
            alive = app.poll() is None
        finally:
            app.terminate()
            output = app.communicate(timeout=30)[0].decode(errors="replace")
        logs = where / "userdata" / "logs"
        crashes = sorted(logs.glob("crash-*.txt"))
        log = (logs / "tpi-notes.log").read_text() if (logs / "tpi-notes.log").exists() else ""
        if not alive or crashes or "tpi-notes app started" not in log:
            raise SystemExit(f"FAILED: the app did not stay up at its login screen (alive: {alive}, crash "
                             f"reports: {[c.name for c in crashes]})\n{output}")
        print(f"ok: the app started offscreen and was still running after {GUI_SECONDS} s")
    print(f"Bundle smoke test passed: {exe}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(main(sys.argv[1]))
