"""The `tpi-notes` command line (product.md §7): usage errors exit 2, failures exit 1, one clear line."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from tpi_notes import __version__
from tpi_notes.domain.errors import TpiError
from tpi_notes.paths import user_data_dir

PROG = "tpi-notes"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{PROG}: {message} (see {PROG} --help)\n")
        raise SystemExit(2)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Chart trigger point injections and dry needling.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--db", help="database file path or SQLAlchemy URL (default: $TPI_NOTES_DB, "
                        "else a file in the user data folder)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    demo = sub.add_parser("demo", help="build a demo clinic in a new database")
    demo.add_argument("--db", dest="sub_db", required=True, help="the new database (file path or URL)")
    demo.add_argument("--patients", type=_positive, default=200)
    demo.add_argument("--sessions", type=_positive, default=1000)
    demo.add_argument("--seed", type=int, default=7)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        return _open_app(args.db)
    except TpiError as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 1
    except Exception as exc:  # noqa: BLE001 - the user gets one line, the details go to a log file
        log = _write_crash_log()
        sys.stderr.write(f"{PROG}: unexpected error: {exc} (details in {log})\n")
        return 1


def _write_crash_log() -> Path | str:
    try:
        folder = user_data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "crash.log"
        with log.open("a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc() + "\n")
        return log
    except OSError:
        return "the terminal (no writable log folder)"


def _demo(args: argparse.Namespace) -> int:
    from tpi_notes.services.context import open_clinic
    from tpi_notes.services.demo import build_demo, prepare_demo_target

    prepare_demo_target(args.sub_db)
    ctx = open_clinic(args.sub_db)
    try:
        summary = build_demo(ctx, patients=args.patients, sessions=args.sessions, seed=args.seed)
    finally:
        ctx.close()
    print(f"Demo clinic: {summary.patients} patients, {summary.sessions} sessions ({summary.signed} signed, "
          f"{summary.drafts} drafts, {summary.addenda} addenda), {summary.sites} sites in {summary.seconds:.1f} s.")
    return 0


def display_problem() -> str | None:
    """Why a window cannot open here, or None. Checked before Qt is loaded so Qt cannot abort."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return None
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return ("no display is available (neither DISPLAY nor WAYLAND_DISPLAY is set). Run tpi-notes on a "
                "desktop session, over `ssh -X`, or on a virtual screen: `xvfb-run tpi-notes`. The command-line "
                "tools (tpi-notes demo, tpi-notes --help) work without a display.")
    return None


def _open_app(db: str | None) -> int:
    problem = display_problem()
    if problem:
        sys.stderr.write(f"{PROG}: {problem}\n")
        return 1
    from tpi_notes.services.context import open_clinic

    ctx = open_clinic(db)
    try:
        from tpi_notes.ui.app import run_app

        return run_app(ctx)
    finally:
        ctx.close()
