"""Campaign (c): generated bad input through the services and the command line, and refused files.

Three families, in the proportions 75 / 15 / 10 of ``inputs``:

services: patients (names of 10,000 characters, control characters, impossible dates, negative or NaN weights ...),
  drafts (negative or NaN volumes, unknown muscles, regions, drugs and lots, dates from year 1 to 9999, 500 sites
  ...), signatures, addenda and reads of records that do not exist, called on a real clinic file.
command line: ``tpi_notes.cli.main`` with bad arguments (unknown commands, session numbers like ``abc`` or 2**64,
  impossible dates, outputs in missing folders or onto the database itself ...), run in this process, and a
  sample through the real ``python -m tpi_notes`` process.
refused files: every command pointed at a file that is not a clinic database (zero-length, text, random bytes,
  a foreign SQLite database, a clinic database cut short, an SQLite header over garbage, a clinic of a newer
  schema), and every reading command at a clinic of an older schema; the file and its folder listing (names,
  sizes, SHA-256) are hashed before and after.

Figures: ``crashes`` (an exception that is not a ``TpiError``; a command that raises, exits with another status
than 0, 1 or 2, or prints "unexpected error" or a traceback), ``partial_writes`` (a refused call or command after
which the clinic's tables differ: ``common.table_checksum``), ``modified_refused`` (a refused file or its folder
changed) and, for information, ``accepted`` bad input and refused files a command accepted. A refusal writes by
design only (1) a password check's "login" audit event and the account's count of wrong passwords, delay and lock
(``common.PASSWORD_CHECK_COLUMNS``), and (2) the one audited view of a ``check-printout`` whose code is
well-formed and names a session of the clinic, even when the paper does not match (exit 1; ``audited_checks``).
Anything else, or more than that, counts.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from sqlalchemy import text

from .bad_values import IDS, TEXTS, Call, bad_draft, bad_patient
from .common import (
    PASSWORD,
    PRINCIPAL,
    add_example,
    build_clinic,
    describe,
    is_clear_refusal,
    signable_draft,
    table_checksum,
)


@dataclass
class BadInputFigures:
    inputs: int = 0
    by_family: Counter = field(default_factory=Counter)
    refused: int = 0
    accepted: int = 0
    crashes: int = 0
    partial_writes: int = 0
    audited_checks: int = 0  # refused `check-printout`s of a real session: their one view event is by design
    refused_files: int = 0
    modified_refused: int = 0
    refused_files_accepted: int = 0
    exit_codes: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        add_example(self.examples, what, 16)


def run(folder: Path, *, inputs: int = 500, seed: int = 12, cli_processes: int = 2) -> BadInputFigures:
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    figures = BadInputFigures()
    rng = random.Random(seed)
    n_files = max(1, inputs // 10)
    n_cli = max(1, inputs * 15 // 100)
    # commands are run from the campaign's folder: a junk argument taken as a file name ("-5", "-") lands there,
    # never in the folder the campaign was started from (the repository, under `make resilience`)
    with _isolated_user_folder(folder / "userdata"), contextlib.chdir(folder):
        from tpi_notes.domain import icd10

        icd10.lookup("M54.2")  # the code table loads once, before anything is timed or collected
        gc.freeze()  # what exists now is never garbage: run_cli's collections only look at what is new
        try:
            _services(folder / "services", inputs - n_cli - n_files, rng, figures)
            clinic, sid = _clinic_file(folder / "clinic")
            _command_lines(folder / "cli", clinic, sid, n_cli, rng, figures)
            _refused_files(folder / "files", clinic, n_files, cli_processes, rng, figures)
        finally:
            gc.unfreeze()
    figures.seconds = time.monotonic() - started
    return figures


@contextlib.contextmanager
def _isolated_user_folder(path: Path):  # noqa: ANN202
    """Commands without --db, and crash logs, go to a folder of the campaign, never the user's."""
    path.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("TPI_NOTES_DATA_DIR", "TPI_NOTES_DB")}
    os.environ["TPI_NOTES_DATA_DIR"] = str(path)
    os.environ.pop("TPI_NOTES_DB", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# -- services --------------------------------------------------------------------------------------------------

def _services(folder: Path, count: int, rng: random.Random, figures: BadInputFigures) -> None:
    from tpi_notes.domain.patient import PatientInput
    from tpi_notes.services import addenda, drafts, patients, signing, staff
    from tpi_notes.services.context import open_clinic

    folder.mkdir(parents=True, exist_ok=True)
    ctx = open_clinic(str(folder / "clinic.sqlite"), principal=PRINCIPAL)
    try:
        clinic = build_clinic(ctx, 2)
        nurse = staff.add_staff(ctx, "Noor Haddad", "RN", ("nurse",)).id
        draft_id = drafts.save_draft(ctx, signable_draft(ctx, clinic, clinic.patient_ids[0], "draft", 1)).id
        signed = drafts.save_draft(ctx, signable_draft(ctx, clinic, clinic.patient_ids[1], "signed", 2))
        signing.sign_session(ctx, signed.id, clinic.physician_id, PASSWORD, row_version=signed.row_version)
        new_base = signable_draft(ctx, clinic, clinic.patient_ids[0], "new", 3)
        patient_base = PatientInput(mrn="R-NEW", family_name="Okafor", given_name="Ada",
                                    birth_date=date(1980, 5, 1), sex="female", weight_kg=70.0)

        def current_draft():  # noqa: ANN202
            with ctx.factory() as s:
                version = s.execute(text("SELECT row_version FROM procedure_session WHERE id = :i"),
                                    {"i": draft_id}).scalar()
            return replace(new_base, id=draft_id, row_version=version)

        def patient_version(pid: int) -> int:
            with ctx.factory() as s:
                return s.execute(text("SELECT row_version FROM patient WHERE id = :i"), {"i": pid}).scalar()

        def one(k: int) -> Call:
            kind = rng.random()
            if kind < 0.3:
                data, label = bad_patient(rng, replace(patient_base, mrn=f"R-NEW-{k}"))
                return Call("patient", f"create_patient({label})", lambda: patients.create_patient(ctx, data))
            if kind < 0.4:
                data, label = bad_patient(rng, replace(patient_base, mrn=f"R-{k % 2}"))
                pid = clinic.patient_ids[k % 2]
                stale = rng.random() < 0.2
                return Call("patient", f"update_patient({label}{', stale' if stale else ''})",
                            lambda: patients.update_patient(ctx, pid, data, patient_version(pid) - stale))
            if kind < 0.6:
                draft, label = bad_draft(rng, new_base)
                return Call("session", f"save new draft({label})", lambda: drafts.save_draft(ctx, draft))
            if kind < 0.8:
                draft, label = bad_draft(rng, current_draft())
                return Call("session", f"save draft({label})", lambda: drafts.save_draft(ctx, draft))
            if kind < 0.83:
                sid = rng.choice([*IDS, signed.id, draft_id])
                who = rng.choice([clinic.physician_id, nurse, 999_999])
                version = rng.choice([0, -1, 10 ** 6])  # never the draft's own: it must stay a draft
                return Call("sign", f"sign_session({sid}, by {who}, version {version})",
                            lambda: signing.sign_session(ctx, sid, who, PASSWORD, row_version=version))
            if kind < 0.88:
                sid = rng.choice([signed.id, signed.id, draft_id, *IDS])
                what = rng.choice(["addendum", "correction", "late_entry", "", "note", "ADDENDUM", "\x00"])
                words = rng.choice(TEXTS)
                who = rng.choice([clinic.physician_id, clinic.physician_id, nurse, 999_999])
                return Call("addendum", f"add_addendum({sid}, {what!r}, text of {len(words)}, by {who})",
                            lambda: addenda.add_addendum(ctx, sid, what, words, who, PASSWORD))
            target = rng.choice([*IDS])
            words = rng.choice(TEXTS)
            return rng.choice([
                Call("read", f"get_draft({target})", lambda: drafts.get_draft(ctx, target)),
                Call("read", f"get_patient({target})", lambda: patients.get_patient(ctx, target)),
                Call("read", f"search_patients(text of {len(words)})", lambda: patients.search_patients(ctx, words)),
                Call("read", f"list_patient_sessions({target})",
                     lambda: patients.list_patient_sessions(ctx, target)),
            ])

        before = table_checksum(ctx.engine, skip_logins=True)
        for k in range(count):
            call = one(k)
            figures.inputs += 1
            figures.by_family[call.family] += 1
            try:
                call.run()
            except Exception as exc:  # noqa: BLE001 - sorted below
                if is_clear_refusal(exc):
                    figures.refused += 1
                else:
                    figures.crashes += 1
                    figures.note(f"crash: {call.label}: {describe(exc)}")
                after = table_checksum(ctx.engine, skip_logins=True)
                if after != before:
                    figures.partial_writes += 1
                    figures.note(f"partial write: {call.label} refused ({describe(exc)}) but the tables changed")
            else:
                figures.accepted += 1
                after = table_checksum(ctx.engine, skip_logins=True)
            before = after
    finally:
        ctx.close()


# -- the command line ------------------------------------------------------------------------------------------

JUNK = ["", "abc", "-5", "0", "1.5", "99999999999999999999", "18446744073709551616", "2020-02-30", "9999-99-99",
        "--", "-", "--frob", "-o", "/nonexistent/folder/out.pdf", "/dev/null", "/proc/version", "x" * 5000, "é",
        "😀", "postgresql+nodriver://host/db", "sqlite:////nonexistent/x.sqlite", "http://example.org/db",
        "--db", "--format", "xml", "--from", "--lang", "zz", "--anchor", "-h"]


@dataclass(frozen=True)
class Outcome:
    code: int | None
    out: str
    err: str
    crash: str | None  # why this run counts as a crash, if it does


def run_cli(argv: list[str]) -> Outcome:
    """``tpi-notes ARGV`` in this process: the exit status, what it printed, and whether it crashed."""
    from tpi_notes import cli

    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    crash = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse: --help, --version and usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - the crash being counted
            crash = f"raised {describe(exc)}"
    gc.collect(1)  # an engine the command forgot closes here, as it would when the process ends
    return _judge(code, out.getvalue(), err.getvalue(), crash)


def run_cli_process(argv: list[str], env: dict[str, str]) -> Outcome:
    """``tpi-notes ARGV`` as its own process (``python -m tpi_notes``), as a user runs it."""
    done = subprocess.run([sys.executable, "-m", "tpi_notes", *argv], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    crash = f"killed by signal {-done.returncode}" if done.returncode < 0 else None
    return _judge(done.returncode, done.stdout, done.stderr, crash)


def _judge(code: int | None, out: str, err: str, crash: str | None) -> Outcome:
    if crash is None and code not in (0, 1, 2):
        crash = f"exit status {code}"
    if crash is None and "unexpected error" in err:
        crash = err.strip().splitlines()[-1]
    if crash is None and "Traceback (most recent call last)" in out + err:
        crash = "printed a traceback"
    return Outcome(code, out, err, crash)


def _clinic_file(folder: Path) -> tuple[Path, int]:
    """A clinic database with a signed session (its id returned), every connection closed (no -wal left)."""
    from tpi_notes.services import drafts, signing
    from tpi_notes.services.context import open_clinic

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "clinic.sqlite"
    ctx = open_clinic(str(db), principal=PRINCIPAL)
    try:
        clinic = build_clinic(ctx, 1)
        draft = drafts.save_draft(ctx, signable_draft(ctx, clinic, clinic.patient_ids[0], "cli", 1))
        signing.sign_session(ctx, draft.id, clinic.physician_id, PASSWORD, row_version=draft.row_version)
    finally:
        ctx.close()
    return db, draft.id


def _file_checksum(db: Path, *, except_audit: tuple[int, ...] = ()) -> str:
    """The clinic's tables, read through a fresh engine (but the audit events ``except_audit``, written by
    design); a file that no longer opens says so."""
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{db}")
    try:
        return table_checksum(engine, except_audit=except_audit)
    except Exception as exc:  # noqa: BLE001 - the file was destroyed: reported as a partial write
        return f"unreadable: {describe(exc)}"
    finally:
        engine.dispose()


def _command_lines(folder: Path, clinic: Path, sid: int, count: int, rng: random.Random,
                   figures: BadInputFigures) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    db, pristine = folder / "clinic.sqlite", clinic
    shutil.copyfile(pristine, db)
    outputs = folder / "out"
    fixed = [["demo"], ["demo", "--db", str(db)], ["demo", "--db", str(folder / "new.sqlite"), "--patients", "-1"],
             ["demo", "--db", str(folder / "new.sqlite"), "--seed", "abc"], ["--frob"], ["frobnicate"],
             ["note"], ["-h"], ["--version"], ["export", "--help"]]
    before = _file_checksum(db)
    for k in range(count):
        out = str(outputs / f"{k}" / rng.choice(["out.pdf", "out.csv", "anchor.json", "backup.sqlite"]))
        (outputs / f"{k}").mkdir(parents=True, exist_ok=True)
        templates = [["note", str(sid), "--db", str(db), "-o", out],
                     ["aftercare", str(sid), "--db", str(db), "-o", out, "--lang", "es"],
                     ["export", "--db", str(db), "--format", "csv", "-o", out],
                     ["export", "--db", str(db), "--format", "jsonl", "--from", "2026-01-01", "--to", "2026-12-31",
                      "-o", out],
                     ["backup", "--db", str(db), "-o", out], ["anchor", "--db", str(db), "-o", out],
                     ["verify", "--db", str(db)], ["check-printout", "--db", str(db), str(sid), "0123456789abcdef"]]
        if k < len(fixed):
            argv = fixed[k]
        else:
            argv = list(rng.choice(templates))
            for _ in range(rng.randint(1, 2)):
                where = rng.randrange(1, len(argv))
                how = rng.random()
                junk = rng.choice([*JUNK, str(db), str(outputs), str(sid)])
                if how < 0.6:
                    argv[where] = junk
                elif how < 0.8:
                    argv.insert(where, junk)
                else:
                    del argv[where]
            if argv and argv[0] == "demo" or not argv:
                argv = ["demo", "--db", str(db)]
        head = _audit_head(db)
        outcome = run_cli(argv)
        figures.inputs += 1
        figures.by_family["command line"] += 1
        after = _judge_command(db, argv, outcome, before, head, figures)
        if after.startswith("unreadable"):
            for suffix in ("-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(pristine, db)
            after = _file_checksum(db)
        before = after


# What a refused command may write by design: `check-printout` given a well-formed code that names a session of
# the clinic has accessed that record (the answer names the patient), so it appends one audited view of it, even
# when the paper does not match (exit 1). Nothing else: unreadable text, or a session that does not exist, names
# no record and may write nothing; a second event, another session's or any other table's change is counted.
CHECKED_PRINTOUT = "printed note checked against the record"


def _judge_command(db: Path, argv: list[str], outcome: Outcome, before: str, head: int,
                   figures: BadInputFigures) -> str:
    """Count ``outcome`` (a crash, accepted or refused, a partial write: the clinic changed beyond what the
    command writes by design); the clinic's checksum after it, as the next command starts from."""
    figures.exit_codes[outcome.code] += 1
    if outcome.crash:
        figures.crashes += 1
        figures.note(f"crash: tpi-notes {_show(argv)}: {outcome.crash}")
    allowed = _audited_check(db, argv, outcome.code, head)
    after = _file_checksum(db, except_audit=allowed)
    if outcome.code == 0:
        figures.accepted += 1
    else:
        figures.refused += 1
        figures.audited_checks += len(allowed)
        if after != before:
            figures.partial_writes += 1
            figures.note(f"partial write: tpi-notes {_show(argv)} exited {outcome.code} but the clinic changed"
                         f" ({after[:60]})")
    return _file_checksum(db) if allowed else after


def _audit_head(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        try:
            return conn.execute("SELECT coalesce(max(id), 0) FROM audit_event").fetchone()[0]
        except sqlite3.DatabaseError:  # a file the last command destroyed: every row after it counts
            return 0


def _checked_session(argv: list[str]) -> int | None:
    """The session a `check-printout` command line names by a well-formed code; None for any other command line
    (another command, a usage error, text that is not a code)."""
    from tpi_notes import cli
    from tpi_notes.domain.errors import ValidationError
    from tpi_notes.domain.printout import parse_printout

    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            args = cli.build_parser().parse_args(argv)
    except SystemExit:
        return None
    if getattr(args, "command", None) != "check-printout":
        return None
    try:
        return parse_printout(" ".join(args.printed)).session_id
    except ValidationError:
        return None


def _audited_check(db: Path, argv: list[str], code: int | None, head: int) -> tuple[int, ...]:
    """The id of the one audit event a `check-printout` of a real session writes by design (after ``head``), or
    nothing: a command that is not such a check, a session the clinic lacks, no such event, or more than one."""
    sid = _checked_session(argv)
    if sid is None or code not in (0, 1):
        return ()
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        try:
            patient = conn.execute("SELECT patient_id FROM procedure_session WHERE id = ?", (sid,)).fetchone()
            events = conn.execute("SELECT id, action, entity, entity_id, patient_id, detail, actor FROM audit_event"
                                  " WHERE id > ?", (head,)).fetchall()
        except sqlite3.DatabaseError:
            return ()
    if patient is None or len(events) != 1:
        return ()
    (event_id, *what, actor), = events
    if what != ["view", "session", sid, patient[0], CHECKED_PRINTOUT] or not actor.startswith("os:"):
        return ()
    return (event_id,)


def _show(argv: list[str]) -> str:
    return " ".join(a if len(a) < 40 else a[:20] + f"…({len(a)} chars)" for a in argv)


# -- refused files ---------------------------------------------------------------------------------------------

def _foreign_sqlite(path: Path, wal: bool) -> bytes:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE recipe (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO recipe (name) VALUES (?)", [("bread",), ("soup",)])
    conn.commit()
    conn.close()
    data = path.read_bytes()
    path.unlink()
    return data


def _newer_clinic(clinic: bytes, path: Path) -> bytes:
    path.write_bytes(clinic)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    conn.commit()
    conn.close()
    data = path.read_bytes()
    path.unlink()
    return data


def _older_clinic(path: Path) -> bytes:
    """A clinic file of the first release (revision 0001): a reading command must not upgrade it."""
    from alembic import command
    from sqlalchemy import create_engine

    from tpi_notes.db.migrate import alembic_config

    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    data = path.read_bytes()
    path.unlink()
    return data


def _refused_kinds(folder: Path, source: Path, rng: random.Random) -> dict[str, Callable[[], bytes]]:
    folder.mkdir(parents=True, exist_ok=True)
    clinic = source.read_bytes()
    foreign = _foreign_sqlite(folder / "foreign.sqlite", wal=False)
    foreign_wal = _foreign_sqlite(folder / "foreign-wal.sqlite", wal=True)
    newer = _newer_clinic(clinic, folder / "newer.sqlite")
    older = _older_clinic(folder / "older.sqlite")
    return {
        "zero-length": lambda: b"",
        "text": lambda: b"Patient list\nDoe, Jane, 1970-01-01\n" * rng.randint(1, 200),
        "random bytes": lambda: rng.randbytes(rng.choice([1, 100, 4096, 65_536])),
        "SQLite header over garbage": lambda: b"SQLite format 3\x00" + rng.randbytes(rng.choice([84, 4080, 40_000])),
        "foreign SQLite": lambda: foreign,
        "foreign SQLite (WAL)": lambda: foreign_wal,
        "clinic cut short": lambda: clinic[:rng.choice([100, 1024, 4096, len(clinic) // 2, len(clinic) - 4096])],
        "clinic of a newer schema": lambda: newer,
        "clinic of an older schema": lambda: older,  # only `upgrade` may change it
    }


def _refused_commands(path: Path, out: Path) -> list[list[str]]:
    from tpi_notes import cli

    f, o = str(path), str(out)
    commands = [["verify", "--db", f], ["note", "1", "--db", f, "-o", o], ["aftercare", "1", "--db", f, "-o", o],
                ["export", "--db", f, "--format", "csv", "-o", o], ["backup", "--db", f, "-o", o],
                ["anchor", "--db", f, "-o", o], ["check-printout", "--db", f, "1", "0123456789abcdef"],
                ["--db", f, "export", "--format", "jsonl", "-o", o],
                ["demo", "--db", f, "--patients", "3", "--sessions", "1"]]
    known = {"upgrade": ["upgrade", "--db", f]}  # commands other parts of issue 12 add, tried once they exist
    parser = cli.build_parser()
    names = next((set(a.choices) for a in parser._actions if getattr(a, "choices", None) and a.dest == "command"),
                 set())
    return commands + [argv for name, argv in known.items() if name in names]


def _fingerprint(folder: Path) -> list[tuple[str, int, str]]:
    return sorted((p.name, p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
                  for p in folder.iterdir() if p.is_file())


# Changes a command makes on purpose: `upgrade` upgrades an older clinic; `demo` builds in an empty file or
# over a clinic without patients (services.demo.prepare_demo_target).
BY_DESIGN = {("clinic of an older schema", "upgrade"), ("clinic of an older schema", "demo"), ("zero-length", "demo")}


def _refused_files(folder: Path, clinic: Path, count: int, processes: int, rng: random.Random,
                   figures: BadInputFigures) -> None:
    kinds = _refused_kinds(folder / "kinds", clinic, rng)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    names = sorted(kinds)
    for k in range(count):
        case = folder / f"case-{k}"
        home, out_dir = case / "db", case / "out"
        home.mkdir(parents=True, exist_ok=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        kind = names[k % len(names)]
        path = home / "clinic.sqlite"
        path.write_bytes(kinds[kind]())
        commands = _refused_commands(path, out_dir / "out.file")
        argv = commands[rng.randrange(len(commands))]
        if (kind, argv[0]) in BY_DESIGN:
            argv = commands[0]
        before = _fingerprint(home)
        in_process = k >= processes
        outcome = run_cli(argv) if in_process else run_cli_process(argv, env)
        after = _fingerprint(home)
        if after != before and in_process:
            gc.collect()  # an engine left for the oldest generation closes now (the process would have ended)
            after = _fingerprint(home)
        figures.inputs += 1
        figures.refused_files += 1
        figures.by_family["refused file" + ("" if in_process else " (own process)")] += 1
        figures.exit_codes[outcome.code] += 1
        shown = f"tpi-notes {_show(argv)} on a {kind} file"
        if outcome.crash:
            figures.crashes += 1
            figures.note(f"crash: {shown}: {outcome.crash}")
        if after != before:
            figures.modified_refused += 1
            changed = sorted({n for n, *_ in after} ^ {n for n, *_ in before}) or ["its bytes"]
            figures.note(f"modified: {shown}: {', '.join(changed)} changed")
        if outcome.code == 0:
            figures.refused_files_accepted += 1
            figures.note(f"accepted: {shown} exited 0")
        shutil.rmtree(case, ignore_errors=True)
