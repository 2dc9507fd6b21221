"""Campaign (a): kill -9 at random moments while a worker process saves drafts, signs and adds addenda.

Each worker is a process of its own, forked warm from a template process (``_template``), with its own
connections to the real SQLite file. It loops: save a new complete draft, save it again 0-3 times with other
content, sign it (70 %), add 0-2 addenda. Before each call it appends ``begin <action>`` to its report file
and, once the call has returned (committed), one line naming what was committed. The parent waits for the
worker to be running, chooses a delay from its own seeded generator, sends SIGKILL, and then opens the file
again as the app would after a crash and checks:

committed-vs-present (``lost``): every save reported is still there, at that row version with that content or a
  later one; every signature reported is still signed; every addendum reported is there with its hash.
partial writes (``partial``), precisely:
  1. each session holds exactly the sites, diagnoses and syringe that its comments name (the content of one
     save, ``common.content_for``), never a mix of two saves or a session row without its children;
  2. its audit trail has one ``create`` and one ``create``/``change`` event per save that is visible:
     ``row_version`` of a draft, ``row_version - bump`` of a signed session (``bump`` = what signing adds,
     measured once at the start);
  3. it is signed if and only if it has one ``sign`` event (a signed session without one, or a draft with one,
     is a partial signature);
  4. every addendum row has one ``addendum`` event naming it and every such event has its row;
  5. no site, syringe, component or diagnosis row belongs to a session that does not exist.
integrity (``integrity_failures``): ``PRAGMA integrity_check`` answers exactly ``ok``.
verify (``verify_failures``): ``services.integrity.verify_database`` finds every signature and the chain intact.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from .common import (
    PASSWORD,
    PRINCIPAL,
    Clinic,
    Reporter,
    add_example,
    build_clinic,
    describe,
    expected_shape,
    process_context,
    read_report,
    shape,
    signable_draft,
    with_content,
)


@dataclass
class KillFigures:
    kills: int = 0
    during: Counter = field(default_factory=Counter)  # what the worker had begun when it was killed
    reported_commits: int = 0
    lost: int = 0
    partial: int = 0
    integrity_failures: int = 0
    verify_failures: int = 0
    worker_failures: int = 0  # a worker that stopped by itself (an error of its own) before the kill
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        add_example(self.examples, what, 12)


def run(folder: Path, *, kills: int = 30, seed: int = 12, max_delay: float = 0.8, per_file: int = 50) -> KillFigures:
    """``kills`` workers killed, each after a delay between 0 and ``max_delay`` seconds once it is running; a new
    clinic file every ``per_file`` kills, so that ``verify`` after each kill checks a clinic of bounded size."""
    started = time.monotonic()
    figures = KillFigures()
    rng = random.Random(seed)
    for first in range(0, kills, per_file):
        _one_file(folder / f"file-{first // per_file}", range(first, min(kills, first + per_file)), seed, rng,
                  max_delay, figures)
    figures.seconds = time.monotonic() - started
    return figures


def _one_file(folder: Path, cycles: range, seed: int, rng: random.Random, max_delay: float,
              figures: KillFigures) -> None:
    from tpi_notes.services import drafts, signing
    from tpi_notes.services.context import open_clinic

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "kills.sqlite"
    ctx = open_clinic(str(db), principal=PRINCIPAL)
    try:
        clinic = build_clinic(ctx, 4)
        # what signing adds to row_version (rule 2), on one session signed before any kill
        probe = drafts.save_draft(ctx, signable_draft(ctx, clinic, clinic.patient_ids[0], "probe", 0))
        signed = signing.sign_session(ctx, probe.id, clinic.physician_id, PASSWORD, row_version=probe.row_version)
        bump = signed.row_version - probe.row_version
    finally:
        ctx.close()

    mp = process_context()
    to_template, to_parent = mp.Pipe()
    template = mp.Process(target=_template, args=(str(db), clinic, seed, cycles.start, str(folder), to_parent),
                          daemon=True)
    template.start()
    checked_up_to = 0  # sessions up to this id had their content checked after an earlier kill
    try:
        for cycle in cycles:
            to_template.send(cycle)
            heard: dict[str, int] = {}
            while "exit" not in heard and not ("pid" in heard and "ready" in heard):
                if not to_template.poll(120) or not template.is_alive():
                    raise RuntimeError(f"the kill campaign's template process stopped (exit {template.exitcode})")
                what, value = to_template.recv()
                heard[what] = value
            if "exit" not in heard:
                time.sleep(rng.uniform(0.0, max_delay))  # the random moment: the worker is somewhere in its loop
                with contextlib.suppress(ProcessLookupError):
                    os.kill(heard["pid"], signal.SIGKILL)
                while "exit" not in heard:
                    what, value = to_template.recv()
                    heard[what] = value
            lines = read_report(folder / f"worker-{cycle}.tsv")
            if heard["exit"] == -signal.SIGKILL:
                figures.kills += 1
            else:
                figures.worker_failures += 1
                figures.note(f"kill {cycle}: the worker ended by itself (exit {heard['exit']}): {_last_error(lines)}")
            figures.during[_in_flight(lines)] += 1
            checked_up_to = _check(db, cycle, lines, bump, checked_up_to, figures)
    finally:
        to_template.send(None)
        template.join(30)


def _template(url: str, clinic: Clinic, seed: int, first: int, folder: str, parent) -> None:  # noqa: ANN001
    """Opens the clinic and charts one session (reported with the first worker's), so that SQLAlchemy has
    compiled every statement, closes its connections, then forks one worker per kill: each starts warm, on
    connections of its own, within milliseconds. Tells the parent each worker's pid, when it is ready and how
    it ended."""
    from tpi_notes.services.context import open_clinic

    ctx = open_clinic(url, principal=PRINCIPAL)
    _chart(ctx, clinic, random.Random(seed), Reporter(Path(folder) / f"worker-{first}.tsv"),
           f"t{first}", forever=False)
    ctx.engine.dispose()  # no descriptor of the database is open when a worker is forked
    while (cycle := parent.recv()) is not None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                ctx.engine.dispose(close=False)
                parent.send(("ready", 0))
                _chart(ctx, clinic, random.Random(seed * 100_003 + cycle),
                       Reporter(Path(folder) / f"worker-{cycle}.tsv"), f"w{cycle}", forever=True)
            finally:
                os._exit(code)
        parent.send(("pid", pid))
        parent.send(("exit", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])))


def _chart(ctx, clinic: Clinic, rng: random.Random, out: Reporter, tag: str, *, forever: bool) -> None:  # noqa: ANN001
    """Real service calls on the real file: save a new draft, save it again 0-3 times, sign it (70 %), add
    0-2 addenda; again and again until killed (or once)."""
    from tpi_notes.services import addenda, drafts, signing

    seq = 0
    try:
        while True:
            seq += 1
            out.line("begin", "save", "new")
            saved = drafts.save_draft(ctx, signable_draft(ctx, clinic, rng.choice(clinic.patient_ids),
                                                          f"{tag}.{seq}", seq))
            out.line("save", saved.id, saved.row_version, saved.comments)
            for _ in range(rng.randint(0, 3)):
                seq += 1
                out.line("begin", "save", saved.id)
                saved = drafts.save_draft(ctx, with_content(saved, f"{tag}.{seq}", seq))
                out.line("save", saved.id, saved.row_version, saved.comments)
            if not forever or rng.random() < 0.7:
                out.line("begin", "sign", saved.id)
                signing.sign_session(ctx, saved.id, clinic.physician_id, PASSWORD, row_version=saved.row_version)
                out.line("sign", saved.id)
                for k in range(rng.randint(0, 2) if forever else 1):
                    out.line("begin", "addendum", saved.id)
                    added = addenda.add_addendum(ctx, saved.id, "addendum", f"Called the patient ({tag}.{seq}.{k}).",
                                                 clinic.physician_id, PASSWORD)
                    out.line("addendum", saved.id, added.content_sha256)
            if not forever:
                return
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which counts it
        out.line("error", describe(exc))
        raise


def _in_flight(lines: list[list[str]]) -> str:
    """What the worker had begun and not finished when it died ("between" calls otherwise)."""
    for line in reversed(lines):
        if line[0] == "begin":
            return line[1]
        if line[0] in ("save", "sign", "addendum"):
            return "between"
        if line[0] == "error":
            return "error"
    return "start-up"


def _last_error(lines: list[list[str]]) -> str:
    return next((line[1] for line in reversed(lines) if line[0] == "error" and len(line) > 1), "no report")


def _check(db: Path, cycle: int, lines: list[list[str]], bump: int, checked_up_to: int, figures: KillFigures) -> int:
    """Every check of the module docstring after one kill; returns the highest session id checked."""
    from tpi_notes.db.repositories import session_records
    from tpi_notes.services import integrity
    from tpi_notes.services.context import open_clinic

    ctx = open_clinic(str(db), principal=PRINCIPAL)
    try:
        with ctx.engine.connect() as conn:
            answer = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        if answer != ["ok"]:
            figures.integrity_failures += 1
            figures.note(f"kill {cycle}: integrity_check: {answer[:3]}")
        report = integrity.verify_database(ctx)
        if not report.ok:
            figures.verify_failures += 1
            figures.note(f"kill {cycle}: verify: {report.tampered[:2]} {report.audit_problems[:2]} "
                         f"{report.missing_locks[:2]}")
        with ctx.factory() as s:
            sessions = {sid: (status, version, comments) for sid, status, version, comments in s.execute(text(
                "SELECT id, status, row_version, comments FROM procedure_session"))}
            saves = dict(s.execute(text(
                "SELECT entity_id, count(*) FROM audit_event WHERE entity = 'session' AND action IN ('create', 'change')"
                " GROUP BY entity_id")).all())
            creates = dict(s.execute(text(
                "SELECT entity_id, count(*) FROM audit_event WHERE entity = 'session' AND action = 'create'"
                " GROUP BY entity_id")).all())
            signs = dict(s.execute(text("SELECT entity_id, count(*) FROM audit_event WHERE entity = 'session'"
                                        " AND action = 'sign' GROUP BY entity_id")).all())
            addendum_rows = dict(s.execute(text("SELECT id, content_sha256 FROM addendum")).all())
            addendum_events = Counter(r[0] for r in s.execute(text(
                "SELECT entity_id FROM audit_event WHERE entity = 'addendum' AND action = 'addendum'")))
            orphans = s.execute(text(
                "SELECT (SELECT count(*) FROM site WHERE session_id NOT IN (SELECT id FROM procedure_session))"
                " + (SELECT count(*) FROM preparation WHERE session_id NOT IN (SELECT id FROM procedure_session))"
                " + (SELECT count(*) FROM session_diagnosis WHERE session_id NOT IN"
                "    (SELECT id FROM procedure_session))"
                " + (SELECT count(*) FROM preparation_component WHERE preparation_id NOT IN"
                "    (SELECT id FROM preparation))")).scalar()
            for sid, (status, version, comments) in sessions.items():
                if sid > checked_up_to:  # rule 1: content, for the sessions this worker may have written
                    record = session_records.load(s, sid)
                    if record is None or (expected_shape(comments) is not None
                                          and shape(record) != expected_shape(comments)):
                        figures.partial += 1
                        figures.note(f"kill {cycle}: session {sid} holds {shape(record) if record else None}, "
                                     f"its comments say {comments!r}")
                visible = version - (bump if status == "signed" else 0)
                if saves.get(sid, 0) != visible or creates.get(sid, 0) != 1:  # rule 2
                    figures.partial += 1
                    figures.note(f"kill {cycle}: session {sid} ({status}, version {version}) has "
                                 f"{saves.get(sid, 0)} save events")
                if (status == "signed") != (signs.get(sid, 0) == 1) or signs.get(sid, 0) > 1:  # rule 3
                    figures.partial += 1
                    figures.note(f"kill {cycle}: session {sid} is {status} with {signs.get(sid, 0)} sign events")
            for aid in set(addendum_rows) | set(addendum_events):  # rule 4
                if aid not in addendum_rows or addendum_events.get(aid, 0) != 1:
                    figures.partial += 1
                    figures.note(f"kill {cycle}: addendum {aid}: row {'present' if aid in addendum_rows else 'missing'}"
                                 f", {addendum_events.get(aid, 0)} events")
            if orphans:  # rule 5
                figures.partial += 1
                figures.note(f"kill {cycle}: {orphans} child rows without their session")
            hashes = set(addendum_rows.values())
            for line in lines:  # committed-vs-present
                kind = line[0]
                if kind == "save":
                    figures.reported_commits += 1
                    sid, version, comments = int(line[1]), int(line[2]), line[3]
                    present = sessions.get(sid)
                    if present is None or present[1] < version or (present[1] == version
                                                                    and present[2] != comments):
                        figures.lost += 1
                        figures.note(f"kill {cycle}: save of session {sid} at version {version} is not there")
                elif kind == "sign":
                    figures.reported_commits += 1
                    if sessions.get(int(line[1]), ("missing",))[0] != "signed":
                        figures.lost += 1
                        figures.note(f"kill {cycle}: session {line[1]} was signed and is not")
                elif kind == "addendum":
                    figures.reported_commits += 1
                    if line[2] not in hashes:
                        figures.lost += 1
                        figures.note(f"kill {cycle}: an addendum to session {line[1]} is missing")
        return max(sessions, default=checked_up_to)
    finally:
        ctx.close()
