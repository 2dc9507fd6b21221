"""The `tpi-notes` command line (product.md §7): usage errors exit 2, failures exit 1, one clear line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tpi_notes import atomic_output, cli_args, cli_pades, open_databases, startup_gc
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.patient import LANGUAGES  # --lang's choices: argparse reads them as the parser is built

if TYPE_CHECKING:
    from tpi_notes.domain.audit_anchor import Anchor

PROG = "tpi-notes"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        one_line = " ".join(message.split())  # a value with a line break must not make a second line
        sys.stderr.write(f"{PROG}: {one_line} (see {PROG} --help)\n")
        raise SystemExit(2)


class _VersionAction(argparse.Action):
    """``--version``: what a support call needs (tpi_notes/versions.py), read only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:  # noqa: A002
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        from tpi_notes.versions import version_report

        try:
            print(version_report(), flush=True)
        except BrokenPipeError:  # `tpi-notes --version | head -1`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Chart trigger point injections and dry needling.")
    parser.add_argument("--version", action=_VersionAction, help="show the versions of the app and of its data "
                        "(rules, atlas, aftercare text, formulary, ICD-10-CM) and exit")
    parser.add_argument("--db", help="database file path or SQLAlchemy URL (default: $TPI_NOTES_DB, "
                        "else a file in the user data folder)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    demo = sub.add_parser("demo", help="build a demo clinic in a new database")
    demo.add_argument("--db", dest="sub_db", required=True, help="the new database (file path or URL)")
    demo.add_argument("--patients", type=cli_args.demo_patients, default=200)
    demo.add_argument("--sessions", type=cli_args.demo_sessions, default=1000)
    demo.add_argument("--seed", type=cli_args.seed, default=7)
    verify = sub.add_parser("verify", help="check every signed session and the audit trail; exit 0 when intact")
    verify.add_argument("--db", dest="sub_db", required=True, help="the database to check (file path or URL)")
    verify.add_argument("--anchor", action="append", type=_anchor_file, default=[], metavar="FILE",
                        help="also check that the audit trail still holds the event of this anchor file with its "
                             "hash (repeatable; see `tpi-notes anchor`)")
    anchor = sub.add_parser("anchor", help="write the audit chain's head to a file to keep outside the database")
    anchor.add_argument("--db", dest="sub_db", help="database file path or URL (default: as for the app)")
    anchor.add_argument("-o", "--output", required=True, metavar="FILE", help="the anchor file to write (JSON)")
    anchor.add_argument("--force", action="store_true", help="replace FILE if it exists")
    for name, what in (("note", "write a session's procedure note as PDF"),
                       ("aftercare", "write a session's aftercare sheet as PDF")):
        doc = sub.add_parser(name, help=what)
        doc.add_argument("--db", dest="sub_db", help="database file path or URL (default: as for the app)")
        doc.add_argument("session_id", metavar="SESSION_ID", type=cli_args.session_number, help="the session's number")
        doc.add_argument("-o", "--output", required=True, metavar="OUT.pdf", help="the PDF file to write")
        if name == "aftercare":
            doc.add_argument("--lang", choices=sorted(LANGUAGES), help="language (default: the patient's)")
            doc.add_argument("--large-print", action="store_true", help="18 pt bold type, 1.5 line spacing")
    printout = sub.add_parser("check-printout", help="check a printed note's QR code (or its session number and "
                              "footer hash) against the record; exit 0 when genuine and intact",
                              description="Check a printed note against the record: exit 0 when the paper is what "
                              "was signed and the record is intact, 1 when not (or no such session), 2 when the text "
                              "is not a note's code.",
                              epilog="A code that names a session of this clinic is an access to that record (the "
                              "answer names the patient): it is recorded in the audit trail as a view of the session, "
                              "whether or not the paper matches. Text that is not a code names no record and writes "
                              "nothing (the database is not even opened); nor does a session number the clinic does "
                              "not have.")
    printout.add_argument("--db", dest="sub_db", help="database file path or URL (default: as for the app)")
    printout.add_argument("printed", nargs="+", metavar="TEXT",
                          help="the scanned QR text, or the session number and the hash from the footer")
    backup = sub.add_parser("backup", help="copy the database to a file, checked (SQLite only)")
    backup.add_argument("--db", dest="sub_db", help="database file path (default: as for the app)")
    backup.add_argument("-o", "--output", required=True, metavar="OUT", help="the backup file to write")
    export = sub.add_parser("export", help="export the session history as CSV, JSON Lines or a FHIR R4 Bundle")
    export.add_argument("--db", dest="sub_db", help="database file path or URL (default: as for the app)")
    export.add_argument("--format", required=True, choices=("csv", "jsonl", "fhir"), help="the file format")
    export.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD", help="first day (inclusive)")
    export.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD", help="last day (inclusive)")
    export.add_argument("-o", "--output", required=True, metavar="OUT", help="the file to write")
    assess = sub.add_parser("assess", help="re-check the sessions of a JSON Lines export against the rules (one "
                            "JSON line of findings and codes per session on standard output)")
    assess.add_argument("--db", dest="sub_db", metavar="DB", help="also use this clinic's formulary, settings and "
                        "the patients' "
                        "earlier sessions (read only; nothing is written)")
    assess.add_argument("--as-of", dest="as_of", type=_day, metavar="YYYY-MM-DD",
                        help="check by the rules in force on this day (default: each session's own day)")
    assess.add_argument("file", metavar="FILE", help="the JSON Lines export to check, - for standard input")
    encrypt = sub.add_parser("encrypt", help="write an encrypted (SQLCipher) copy of a database; the key is the "
                             "passphrase in $TPI_NOTES_DB_KEY (SQLite only)")
    encrypt.add_argument("--db", dest="sub_db", help="the plain database file (default: as for the app)")
    encrypt.add_argument("-o", "--output", required=True, metavar="OUT", help="the encrypted copy to write (new)")
    upgrade = sub.add_parser("upgrade", help="bring a database from an older version of tpi-notes to the current "
                             "schema, keeping a backup copy beside it (the other commands never upgrade)")
    upgrade.add_argument("--db", dest="sub_db", help="database file path or URL (default: as for the app)")
    unlock = sub.add_parser("unlock", help="unlock an account locked by wrong passwords (only the operating-system "
                            "owner of the database file may; audited)")
    unlock.add_argument("--db", dest="sub_db", help="database file path or URL (default: as for the app)")
    unlock.add_argument("user", metavar="USER", help="the account's user name")
    icd = sub.add_parser("load-icd10", help="load a CMS ICD-10-CM release (its order file) as the code set valid "
                         "from a date (only the operating-system owner of the database file may; audited)")
    icd.add_argument("--db", dest="sub_db", help="database file path or URL (default: as for the app)")
    icd.add_argument("--version", dest="set_version", required=True, metavar="VERSION", help="e.g. FY2027")
    icd.add_argument("--from", dest="valid_from", required=True, type=_day, metavar="YYYY-MM-DD",
                     help="the date it takes effect (1 October for a fiscal year)")
    icd.add_argument("--to", dest="valid_to", type=_day, metavar="YYYY-MM-DD",
                     help="its last day (default: the next 30 September)")
    icd.add_argument("file", metavar="FILE", help="the CMS order file (icd10cm_order_YYYY.txt)")
    cli_pades.add_parsers(sub)  # check-pdf, export-root
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # the real command (console script, main.py, python -m): with the log and crash capture
        return _logged(sys.argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = cli_args.argument_problem(args) or cli_pades.argument_problem(args)
    if problem:
        parser.error(problem)  # one line, exit 2, before any database is opened or file written
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "anchor":
            return _anchor(args)
        if args.command == "check-printout":
            return _check_printout(args)
        if args.command in ("note", "aftercare"):
            return _document(args)
        if args.command == "backup":
            return _backup(args)
        if args.command == "export":
            return _export(args)
        if args.command == "upgrade":
            return _upgrade(args)
        if args.command == "encrypt":
            return _encrypt(args)
        if args.command == "assess":
            return _assess(args)
        if args.command == "unlock":
            return _unlock(args)
        if args.command == "load-icd10":
            return _load_icd10(args)
        if args.command in cli_pades.COMMANDS:
            return cli_pades.run(args)
        return _open_app(args.db)
    except TpiError as exc:  # one line, even when a driver's message (PostgreSQL's) spans several
        sys.stderr.write(f"{PROG}: {' '.join(part.strip() for part in str(exc).splitlines() if part.strip())}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 1
    except Exception as exc:  # noqa: BLE001 - the user gets one line, the details go to a log file
        log = _write_crash_log()
        sys.stderr.write(f"{PROG}: unexpected error: {exc} (details in {log})\n")
        return 1


def _logged(argv: list[str]) -> int:
    """``main(argv)`` with the rotating log and the crash handlers on (tpi_notes/logs.py), its start and end
    logged by command name and exit code only. Tests call ``main(argv)`` in-process, without them."""
    import logging
    import time

    from tpi_notes import __version__, logs

    logs.start_logging()
    logs.install_crash_handlers()
    log = logging.getLogger("tpi_notes.cli")
    parser = build_parser()
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    command = next((word for word in argv if word in commands), "app")  # never an argument's value
    log.info("%s %s started (tpi-notes %s)", PROG, command, __version__)
    started = time.monotonic()
    code: int | str | None = 1
    try:
        code = main(argv)
        return code
    except SystemExit as exc:  # --help, --version, a usage error
        code = exc.code
        raise
    finally:
        log.info("%s %s ended with exit code %s after %.1f s", PROG, command, code, time.monotonic() - started)


def _write_crash_log() -> Path | str:
    """The crash report of the exception being handled (tpi_notes/logs.py: owner-only, in the log folder,
    without the exception's message, which may quote a patient)."""
    from tpi_notes import logs

    exc_type, exc, tb = sys.exc_info()
    path = logs.report_crash(exc_type, exc, tb, "command line") if exc_type is not None else None
    return path or "the terminal (no writable log folder)"


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
    for note in summary.notes:
        print(note)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.domain.errors import DatabaseDamagedError
    from tpi_notes.services.context import open_existing_clinic
    from tpi_notes.services.integrity import check_anchors, record_verification, verify_database

    path = sqlite_path(resolve_database_url(args.sub_db))
    if path is not None and not path.exists():
        raise TpiError(f"{path} does not exist; there is nothing to verify.")
    try:
        ctx = open_existing_clinic(args.sub_db, quick_check=True)
    except DatabaseDamagedError as exc:  # every finding on stdout, the verdict on stderr; no audit event into it
        for problem in exc.problems:
            print(f"DAMAGED: {problem}")
        raise
    try:
        report = verify_database(ctx)
        anchored = check_anchors(ctx, [anchor for _name, anchor in args.anchor])
        anchor_problems = sum(len(found) for found in anchored)
        record_verification(ctx, report, anchors=len(anchored), anchor_problems=anchor_problems)
    finally:
        ctx.close()
    print(f"Checked {report.sessions_checked} signed sessions and {report.audit_events_checked} audit events.")
    if report.hash_only:  # signed before content version 5: held to their hash and signing audit event only
        print(f"{report.hash_only} of them carry a hash-only signature (before v5), no Ed25519 signature.")
    print(report.head.line if report.head else "Audit chain head: none (the audit trail is empty)")
    for (name, anchor), found in zip(args.anchor, anchored, strict=True):
        if not found:
            print(f"Anchor {name}: the trail still holds event {anchor.event_id} with its anchored hash.")
        for problem in found:
            print(f"ANCHOR {name}: {problem}")
    for session_id, mrn, reason in report.tampered:
        print(f"TAMPERED session {session_id} (patient MRN {mrn}): {reason}")
    for event_id, reason in report.audit_problems:
        print(f"AUDIT event {event_id}: {reason}")
    for name in report.missing_locks:
        print(f"LOCK trigger {name} is missing: the database no longer refuses changes it should refuse")
    for problem in report.key_problems:
        print(f"KEY: {problem}")
    for found in report.miscounted:  # sites written outside tpi-notes: the history's Sites sort is off for it
        print(f"COUNT session {found.session_id}: kept as {found.kept} sites, it has {found.sites}")
    if report.ok and not anchor_problems:
        print("Every signed session and the audit trail check out.")
        return 0
    problems = (len(report.tampered) + len(report.audit_problems) + len(report.missing_locks)
                + len(report.key_problems) + len(report.miscounted) + anchor_problems)
    sys.stderr.write(f"{PROG}: verification failed: {problems} problem{'s' if problems != 1 else ''} "
                     "(listed above)\n")
    return 1


def _anchor_file(text: str) -> tuple[str, Anchor]:
    """``--anchor FILE``: read and parsed while the arguments are (a bad file is a usage error, exit 2)."""
    from tpi_notes.domain.audit_anchor import AnchorFormatError, read_anchor

    try:
        return text, read_anchor(text)
    except AnchorFormatError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _anchor(args: argparse.Namespace) -> int:
    """`anchor`: the current chain head written to a file, whole or not at all, never over an existing one
    unless --force; the writing is itself a "verify" audit event (after the head it names)."""
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.services.context import open_existing_clinic
    from tpi_notes.services.integrity import write_anchor

    out = Path(args.output).expanduser()
    if out.exists() and not args.force and not out.is_dir():
        raise TpiError(f"{out} already exists; an anchor is never overwritten unless asked to (--force).")
    db = args.sub_db or args.db
    path = sqlite_path(resolve_database_url(db))
    if path is not None and not path.exists():
        raise TpiError(f"{path} does not exist; there is no audit trail to anchor.")
    ctx = open_existing_clinic(db)
    try:
        anchor = write_anchor(ctx, out, force=args.force)
    finally:
        ctx.close()
    print(f"Wrote the anchor of the audit chain to {out}: {anchor.head.line.removeprefix('Audit chain head: ')}.")
    return 0


def _check_printout(args: argparse.Namespace) -> int:
    """`check-printout`: exit 0 when the paper is what was signed and the record is intact, 1 otherwise,
    2 when the text cannot be read. Unreadable text is refused before the database is opened: it names no record,
    so nothing is read or written; a readable code of an existing session is audited as a view (the service)."""
    from tpi_notes.domain.errors import ValidationError
    from tpi_notes.domain.printout import parse_printout
    from tpi_notes.services.context import open_existing_clinic
    from tpi_notes.services.printout_check import check_printout

    text = " ".join(args.printed)
    try:
        parse_printout(text)
    except ValidationError as exc:
        sys.stderr.write(f"{PROG}: {next(iter(exc.errors.values()))}\n")
        return 2
    ctx = open_existing_clinic(args.sub_db or args.db)
    try:
        result = check_printout(ctx, text)
    finally:
        ctx.close()
    print(result.message)
    if result.patient:
        print(f"Patient: {result.patient}")
    return 0 if result.ok else 1


def _document(args: argparse.Namespace) -> int:
    """`note` and `aftercare`: the PDF is written whole (via a temporary file) or not at all."""
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.services import documents
    from tpi_notes.services.context import open_existing_clinic

    out = Path(args.output).expanduser()
    if out.is_dir() or not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        why = "it is a folder" if out.is_dir() else f"the folder {out.parent} does not exist or is not writable"
        raise TpiError(f"cannot write {out}: {why}")
    db = args.sub_db or args.db
    path = sqlite_path(resolve_database_url(db))
    if path is not None:
        open_databases.note(path)  # the file this command reads is never the one it writes
    open_databases.refuse_as_target(out)
    if path is not None and not path.exists():
        raise TpiError(f"{path} does not exist; there is no session to print.")
    ctx = open_existing_clinic(db)
    try:
        if args.command == "note":
            pdf = documents.procedure_note_pdf(ctx, args.session_id)
        else:
            pdf = documents.aftercare_pdf(ctx, args.session_id, args.lang, args.large_print)
    finally:
        ctx.close()
    try:
        atomic_output.write_bytes(out, pdf)  # .NAME.partial, fsynced, renamed: whole or not at all
    except OSError as exc:
        raise TpiError(f"cannot write {out}: {exc.strerror or exc}") from None
    kind = "procedure note" if args.command == "note" else "aftercare sheet"
    print(f"Wrote the {kind} of session {args.session_id} to {out} ({len(pdf):,} bytes).")
    return 0


def _backup(args: argparse.Namespace) -> int:
    """`backup`: a checked copy written whole or not at all (services.backup), one line either way."""
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.domain.errors import DatabaseDamagedError
    from tpi_notes.services.backup import NOT_COPIED, backup_to
    from tpi_notes.services.context import open_existing_clinic

    db = args.sub_db or args.db
    path = sqlite_path(resolve_database_url(db))
    if path is None:
        raise TpiError("backup copies an SQLite database file; back up a PostgreSQL clinic with pg_dump.")
    if not path.exists():
        raise TpiError(f"{path} does not exist; there is nothing to back up.")
    try:
        ctx = open_existing_clinic(db, quick_check=True)
    except DatabaseDamagedError as exc:
        raise DatabaseDamagedError(exc.where, exc.problems, NOT_COPIED) from None
    try:
        result = backup_to(ctx, Path(args.output))
    finally:
        ctx.close()
    print(result.summary)
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _export(args: argparse.Namespace) -> int:
    """`export`: the sessions performed in the date range, written whole or not at all (services.exports)."""
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.domain.history import HistoryFilter
    from tpi_notes.services.context import open_existing_clinic
    from tpi_notes.services.exports import FORMATS, export_to_file

    if args.date_from and args.date_to and args.date_from > args.date_to:
        sys.stderr.write(f"{PROG}: --from {args.date_from} is after --to {args.date_to} (see {PROG} --help)\n")
        return 2
    db = args.sub_db or args.db
    path = sqlite_path(resolve_database_url(db))
    if path is not None and not path.exists():
        raise TpiError(f"{path} does not exist; there is nothing to export.")
    out = Path(args.output).expanduser()
    ctx = open_existing_clinic(db)
    try:
        summary = export_to_file(ctx, args.format, out, HistoryFilter(date_from=args.date_from, date_to=args.date_to))
    finally:
        ctx.close()
    noun = "session" if summary.sessions == 1 else "sessions"
    print(f"Exported {summary.sessions:,} {noun} as {FORMATS[args.format]} to {out} ({summary.bytes:,} bytes).")
    return 0


def _assess(args: argparse.Namespace) -> int:
    """`assess`: one JSON line per session on stdout; exit 1 when any line could not be assessed."""
    import shutil
    import tempfile

    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.domain.export_jsonl import json_line
    from tpi_notes.services.assess_export import assess_export
    from tpi_notes.services.context import open_existing_clinic

    db = args.sub_db or args.db  # without --db no database is read, not even the app's default one
    if db is not None:
        path = sqlite_path(resolve_database_url(db))
        if path is not None and not path.exists():
            raise TpiError(f"{path} does not exist; there is no clinic to read.")
    out = sys.stdout.buffer

    def emit(obj: dict) -> None:
        out.write(json_line(obj).encode("utf-8"))

    try:
        given = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        raise TpiError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    with tempfile.TemporaryFile() as spool:
        source = given
        if args.file == "-" or not given.seekable():  # read twice (earlier sessions first): a pipe is kept aside
            shutil.copyfileobj(given, spool, 1 << 20)
            source = spool
        ctx = open_existing_clinic(db) if db is not None else None
        try:
            summary = assess_export(source, emit, ctx, args.as_of)
            out.flush()
        except BrokenPipeError:  # the reader stopped early (`| head`): nothing more to say, no traceback
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python flushes stdout at exit
            return 1
        finally:
            if ctx is not None:
                ctx.close()
            if given is not sys.stdin.buffer:
                given.close()
    if summary.bad_lines:
        lines = "line" if summary.bad_lines == 1 else "lines"
        sys.stderr.write(f"{PROG}: {summary.bad_lines} {lines} could not be assessed (the error objects on "
                         f"standard output say why); {summary.sessions} sessions assessed\n")
        return 1
    return 0


def _encrypt(args: argparse.Namespace) -> int:
    """`encrypt`: an encrypted copy of a plain clinic, keyed with $TPI_NOTES_DB_KEY (services.encryption)."""
    from tpi_notes.db.encryption import ENV_KEY, passphrase_problem
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.services.context import open_existing_clinic
    from tpi_notes.services.encryption import encrypt_copy

    key = os.environ.get(ENV_KEY, "")
    if not key:
        raise TpiError(f"set {ENV_KEY} to the passphrase the encrypted copy will open with; nothing was written.")
    if problem := passphrase_problem(key, key):
        raise TpiError(f"{ENV_KEY}: {problem} Nothing was written.")
    db = args.sub_db or args.db
    path = sqlite_path(resolve_database_url(db))
    if path is None:
        raise TpiError("encrypt copies an SQLite database file; a PostgreSQL server encrypts its own storage.")
    if not path.exists():
        raise TpiError(f"{path} does not exist; there is nothing to encrypt.")
    ctx = open_existing_clinic(db, quick_check=True)
    try:
        result = encrypt_copy(ctx, Path(args.output), key)
    finally:
        ctx.close()
    print(result.summary)
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    """`upgrade`: the one command that migrates an older database (with the backup copy start-up makes)."""
    from tpi_notes.services.context import upgrade_database

    print(upgrade_database(args.sub_db or args.db))
    return 0


def _unlock(args: argparse.Namespace) -> int:
    """`unlock`: the way back in when nobody who could unlock an account can sign in. Only the user who owns
    the database file may (checked before the file is opened); audited as os:<login>."""
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.services.accounts import database_owner_problem, unlock_as_database_owner
    from tpi_notes.services.context import open_existing_clinic

    db = args.sub_db or args.db
    path = sqlite_path(resolve_database_url(db))
    if path is not None and path.exists() and (problem := database_owner_problem(path)):
        raise TpiError(f"refused: {problem}.")
    ctx = open_existing_clinic(db)
    try:
        print(unlock_as_database_owner(ctx, args.user))
    finally:
        ctx.close()
    return 0


def _load_icd10(args: argparse.Namespace) -> int:
    """`load-icd10`: what Administration's "Load ICD-10-CM release…" does, for the owner of the database file."""
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.services.accounts import database_owner_problem
    from tpi_notes.services.context import open_existing_clinic
    from tpi_notes.services.icd10_sets import load_release_as_database_owner

    db = args.sub_db or args.db
    path = sqlite_path(resolve_database_url(db))
    if path is not None and path.exists() and (problem := database_owner_problem(path)):
        raise TpiError(f"refused: {problem}.")
    try:
        data = Path(args.file).expanduser().read_bytes()
    except OSError as exc:
        raise TpiError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    ctx = open_existing_clinic(db)
    try:
        loaded = load_release_as_database_owner(ctx, data, version=args.set_version, valid_from=args.valid_from,
                                                valid_to=args.valid_to, file_name=Path(args.file).name)
    finally:
        ctx.close()
    print(f"Loaded ICD-10-CM {loaded.version}, valid {loaded.valid_from} to {loaded.valid_to}.")
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
    # The first start on this computer: where is the clinic? (TPI_NOTES_DB is db/engine.ENV_VAR, spelt out here:
    # importing the engine would load SQLAlchemy before the first paint.)
    if db is None and not os.environ.get("TPI_NOTES_DB"):
        from tpi_notes.ui.app import ensure_application
        from tpi_notes.ui.clinic_location_dialog import ask_clinic_location

        ensure_application()
        if ask_clinic_location() is None:
            return 0
    startup_gc.pause()  # until the filled list is painted (tpi_notes/startup_gc.py), or start-up ends otherwise
    try:
        return _start_app(db)
    finally:
        startup_gc.resume()


def _start_app(db: str | None) -> int:
    # The main window is painted first; the database layer is loaded behind it (issue 19, tpi_notes/ui/app.py).
    from tpi_notes.ui import app

    window = app.show_start_frame()
    app.load_while_responsive()
    from tpi_notes.db.engine import resolve_database_url, sqlite_path
    from tpi_notes.services.context import open_clinic
    from tpi_notes.services.encryption import DatabaseKeyNeeded, DatabaseKeyWrong

    refusal: TpiError | None = None
    try:
        try:
            ctx = open_clinic(db)
        except (DatabaseKeyNeeded, DatabaseKeyWrong) as exc:  # an encrypted clinic: its passphrase, before the login
            from tpi_notes.ui.unlock_dialog import unlock_clinic

            path = sqlite_path(resolve_database_url(db))
            assert path is not None
            refusal = exc  # raised again when the person cancels: the unlock dialog has said why
            ctx = unlock_clinic(db, path, exc)
    except BaseException as exc:
        if isinstance(exc, TpiError) and exc is not refusal:
            app.refuse_start(window, exc)  # a box over the window too, then it closes
        else:
            window.close()
        raise
    try:
        if not window.isVisible():  # closed (File > Quit) while the clinic was opening
            return 0
        return app.run_app(ctx, window=window)
    finally:
        app.close_window(window)  # the frame, when the login was cancelled before it was filled
        ctx.close()
