"""Checks of command-line arguments that argparse's types cannot make alone (product.md §7: a misuse is one
clear line and exit 2, told before any database is opened or any file written).

No Qt and no database here: a value is judged by its text and, for ``-o``, by the folder it names.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

MAX_ID = 2**63 - 1  # the largest number a database row id can hold (SQLite and PostgreSQL BIGINT)
MAX_DEMO_PATIENTS = 1_000_000
MAX_DEMO_SESSIONS = 10_000_000
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)  # a range filter's ends, with room for time zones


def _digits(text: str, what: str) -> int:
    """A whole number written in ASCII digits only (int() would also take "1_000", " 7 " and "٣")."""
    body = text[1:] if text.startswith("-") else text
    if not body or not body.isascii() or not body.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number ({what})")
    if len(body) > 30:
        raise argparse.ArgumentTypeError(f"{text[:20]}… is far too large ({what})")
    return int(text)


def whole_number(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""
    def parse(text: str) -> int:
        value = _digits(text, what)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range ({what}: {low:,} to {high:,})")
        return value
    parse.__name__ = what  # argparse names the type in its messages
    return parse


session_number = whole_number(1, MAX_ID, "a session number, from 1")
demo_patients = whole_number(3, MAX_DEMO_PATIENTS, "the number of demo patients")
demo_sessions = whole_number(0, MAX_DEMO_SESSIONS, "the number of demo sessions")
seed = whole_number(-MAX_ID, MAX_ID, "a seed")


def output_problem(text: str) -> str | None:
    """Why ``-o TEXT`` cannot be written (empty, a folder, a missing or read-only folder, a name too long for
    its temporary ``.NAME.partial``), or None. Nothing is created or opened."""
    if not text.strip():
        return "-o is empty; name the file to write"
    if "\0" in text:
        return "-o contains a NUL character"
    out = Path(text).expanduser()
    try:
        if out.is_dir():
            return f"cannot write {out}: it is a folder"
        if out.exists() and not out.is_file():
            return f"cannot write {out}: it is not a regular file (a device or a pipe)"
        folder = out.parent
        if not folder.is_dir():
            return f"cannot write {out}: the folder {folder} does not exist"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"cannot write {out}: the folder {folder} is not writable"
        limit = os.pathconf(folder, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
        if len(os.fsencode(f".{out.name}.partial")) > limit:
            return f"cannot write {out.name[:40]}…: the file name is too long ({limit} bytes at most)"
    except (OSError, ValueError) as exc:
        return f"cannot write {text!r}: {getattr(exc, 'strerror', None) or exc}"
    return None


def argument_problem(args: argparse.Namespace) -> str | None:
    """The first misuse among the parsed arguments that argparse let through, or None."""
    from tpi_notes.db.url_check import database_url_problem

    for db in (getattr(args, "db", None), getattr(args, "sub_db", None)):
        if db is not None and (problem := database_url_problem(db)):
            return problem
    output = getattr(args, "output", None)
    if output is not None and (problem := output_problem(output)):
        return problem
    if args.command == "demo":
        return _demo_problem(args)
    if args.command == "export":
        for option, day in (("--from", args.date_from), ("--to", args.date_to)):
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                return f"{option} {day} is outside {FIRST_DAY} to {LAST_DAY}"
        if args.date_from and args.date_to and args.date_from > args.date_to:
            return f"--from {args.date_from} is after --to {args.date_to}"
    if args.command == "assess":
        return _assess_problem(args)
    return None


def _assess_problem(args: argparse.Namespace) -> str | None:
    """`assess`: a day some rule set covers, and a FILE that can be read (never the clinic's database)."""
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.domain.rules import earliest_rules_date

    if args.as_of is not None and args.as_of < earliest_rules_date():
        return f"--as-of {args.as_of} is before the first rule set ({earliest_rules_date()})"
    if args.file == "-":
        return None
    if not args.file.strip() or "\0" in args.file:
        return "FILE is empty or not a file name; name the JSON Lines file to check, or - for standard input"
    given = Path(args.file).expanduser()
    try:
        if given.is_dir():
            return f"cannot read {given}: it is a folder"
        if not given.exists():
            return f"cannot read {given}: there is no such file"
        if not os.access(given, os.R_OK):
            return f"cannot read {given}: permission denied"
        db = args.sub_db or args.db
        path = sqlite_path(resolve_database_url(db)) if db is not None else None
        if path is not None and any(_same(given, Path(f"{path}{suffix}")) for suffix in ("", "-wal", "-shm",
                                                                                        "-journal")):
            return f"{given.name} is the clinic's database or one of its working files, not a JSON Lines export"
    except (OSError, ValueError) as exc:
        return f"cannot read {args.file!r}: {getattr(exc, 'strerror', None) or exc}"
    return None


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _demo_problem(args: argparse.Namespace) -> str | None:
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.domain.errors import TpiError
    from tpi_notes.services.demo import validate_demo_request

    try:
        validate_demo_request(args.patients, args.sessions)
    except TpiError as exc:
        return str(exc)
    path = sqlite_path(resolve_database_url(args.sub_db))
    if path is not None and not path.parent.is_dir():
        return f"cannot create {path}: the folder {path.parent} does not exist"
    return None
