"""What the campaigns share: a clinic to work in, drafts whose content says what they should hold, a checksum
of every table, report files a killed worker cannot half-write, and the process starter."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from multiprocessing.context import BaseContext
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from tpi_notes.anatomy import load_atlas
from tpi_notes.db.models import Base, FormularyItem, Lot
from tpi_notes.db.repositories import reference
from tpi_notes.domain.draft import DEFAULT_RISKS, NEAR_LUNG_RISK, STEROID_RISKS, SessionDraft
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.history_answers import History
from tpi_notes.domain.patient import PatientInput
from tpi_notes.domain.permissions import Permission, Principal
from tpi_notes.domain.session import Component, Diagnosis, ExamFinding, Preparation
from tpi_notes.domain.sites import place_site
from tpi_notes.services import drafts, patients, staff
from tpi_notes.services.accounts import set_password
from tpi_notes.services.context import AppContext

PASSWORD = "Correct-horse-42"
# Every campaign acts with every permission (the roles are tests/test_roles.py's business).
PRINCIPAL = Principal("test:resilience", "resilience campaign", frozenset(Permission))
MUSCLES = [("upper_trapezius", "posterior", "R"), ("upper_trapezius", "posterior", "L"),
           ("levator_scapulae", "posterior", "R"), ("levator_scapulae", "posterior", "L")]
DIAGNOSES = ("M79.18", "M54.2")
# The content of a saved draft is named in its comments, so a reader can tell a whole draft from a torn one.
_MARK = re.compile(r"\[n(\d+) d(\d+) l(\d+)\]")


@dataclass(frozen=True)
class Clinic:
    physician_id: int
    patient_ids: tuple[int, ...]


def build_clinic(ctx: AppContext, n_patients: int = 3) -> Clinic:
    """A physician with a password, an in-date lot of every formulary item and ``n_patients`` patients."""
    with ctx.transaction() as s:
        reference.settings(s).name = "Resilience Clinic"
        for item in s.scalars(select(FormularyItem)):
            s.add(Lot(item_id=item.id, lot_number=lot_of(item.code), expiry=date.today() + timedelta(days=365)))
    doctor = staff.add_staff(ctx, "Amelia Hart", "MD", ("physician",))
    set_password(ctx, doctor.id, PASSWORD)
    ids = tuple(patients.create_patient(ctx, PatientInput(
        mrn=f"R-{n}", family_name=f"Patient{n}", given_name="Test", birth_date=date(1970, 1, 1 + n % 28),
        sex="female", weight_kg=70.0, history=History.of(allergies="no", pregnant="no", breastfeeding="no"))).id for n in range(n_patients))
    return Clinic(doctor.id, ids)


def lot_of(code: str) -> str:
    return f"R-{code}"[:40]


def content_for(seq: int) -> tuple[int, int, int]:
    """(sites, diagnoses, mL of lidocaine) of the ``seq``-th save: every save differs from the one before."""
    return 1 + seq % 4, 1 + seq % 2, 2 + seq % 5


def mark(tag: str, seq: int) -> str:
    n, d, lido = content_for(seq)
    return f"{tag} [n{n} d{d} l{lido}]"


def expected_shape(comments: str) -> tuple[int, int, int] | None:
    found = _MARK.search(comments or "")
    return tuple(int(g) for g in found.groups()) if found else None  # type: ignore[return-value]


def shape(draft) -> tuple[int, int, int]:  # noqa: ANN001 - a SessionDraft or SessionRecord
    """What a draft or record really holds, in the terms of ``content_for``."""
    lido = sum(c.volume_ml for p in draft.preparations for c in p.components if c.item_code == "lidocaine-1")
    return len(draft.sites), len(draft.diagnoses), round(lido)


def is_torn(draft) -> bool:  # noqa: ANN001
    """A draft whose content is not the one its comments name (read or stored half of one save, half another)."""
    want = expected_shape(draft.comments)
    return want is not None and shape(draft) != want


def with_content(draft: SessionDraft, tag: str, seq: int) -> SessionDraft:
    """``draft`` holding the content of save ``seq`` (sites, syringe, diagnoses), marked in its comments."""
    n, d, lido = content_for(seq)
    atlas = load_atlas(draft.atlas_version)
    per_site = round(min(1.0, (lido + 2) / n), 2)
    sites = []
    for number, (muscle, view, side) in enumerate(MUSCLES[:n], start=1):
        region = next(r for r in atlas.regions if (r.muscle_id, r.view, r.side) == (muscle, view, side))
        site = place_site(atlas, view, *region.anchor, number, "injection")
        sites.append(replace(site, preparation_label="A", volume_ml=per_site, needle="25 G × 1.5 in",
                             aspiration=True, passes=3, twitch=True))
    syringe = Preparation("A", tuple(Component(code, ml, lot_of(code)) for code, ml in
                                     (("lidocaine-1", float(lido)), ("triamcinolone-40", 1.0), ("saline-0.9", 1.0))))
    return replace(draft, comments=mark(tag, seq), sites=tuple(sites), preparations=(syringe,),
                   diagnoses=tuple(Diagnosis(code, "") for code in DIAGNOSES[:d]),
                   exam_findings=tuple(ExamFinding(s.region_code, taut_band=True, hypersensitive_spot=True)
                                       for s in sites))


def signable_draft(ctx: AppContext, clinic: Clinic, patient_id: int, tag: str, seq: int) -> SessionDraft:
    """A new, complete draft (everything signing asks for), not yet saved."""
    start = datetime.combine(date.today() - timedelta(days=1), time(9, 30))
    draft = replace(
        drafts.new_draft(ctx, patient_id), performed_start=start, performed_end=start + timedelta(minutes=25),
        location="Procedure room 2", physician_id=clinic.physician_id, indication="Neck pain for 6 months",
        conservative_care="Physical therapy for 8 weeks", consent_type="written",
        consent_risks=DEFAULT_RISKS + STEROID_RISKS + (NEAR_LUNG_RISK,), consent_form_id="TPI-C-2026",
        timeout_done=True, timeout_at=start + timedelta(minutes=2), position="Prone", pain_before=7, pain_after=3,
        relief_pct=57, complications="None", tolerance="Tolerated well", blood_loss="Minimal",
        observation_minutes=15, respiratory_check="Breath sounds equal, no dyspnea", disposition="Home, ambulatory",
        follow_up="Reassess in 6 weeks")
    return with_content(draft, tag, seq)


# -- measuring -------------------------------------------------------------------------------------------------

# What a password check writes (and commits) by design before the action it guards is refused: its "login" audit
# event about the account and, on the account, the count of wrong passwords, the delay and the lock.
PASSWORD_CHECK_COLUMNS = ("failed_attempts", "next_attempt_at", "locked_at")


def table_checksum(engine: Engine, *, skip_logins: bool = False, except_audit: tuple[int, ...] = ()) -> str:
    """SHA-256 over the rows of every table of the schema (and Alembic's), each in primary-key order.

    ``skip_logins``: leave out what a password check writes by design (PASSWORD_CHECK_COLUMNS of the accounts,
    and "login" events about an account), nothing more: any other change to an account still counts.
    ``except_audit``: leave out these audit events (one a command writes by design, named by its id)."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for name in [*(t.name for t in Base.metadata.sorted_tables), "alembic_version"]:
            where = []
            if skip_logins and name == "audit_event":
                where.append("NOT (action = 'login' AND entity = 'user')")
            if except_audit and name == "audit_event":
                where.append(f"id NOT IN ({', '.join(str(int(i)) for i in except_audit)})")
            digest.update(name.encode())
            rows = conn.exec_driver_sql(f"SELECT * FROM {name}{' WHERE ' + ' AND '.join(where) if where else ''}"
                                        " ORDER BY 1")
            columns = list(rows.keys())
            kept = [i for i, column in enumerate(columns)
                    if not (skip_logins and name == "app_user" and column in PASSWORD_CHECK_COLUMNS)]
            for row in rows:
                digest.update(repr(tuple(row[i] for i in kept) if len(kept) < len(columns) else tuple(row)).encode())
    return digest.hexdigest()


def is_clear_refusal(exc: BaseException) -> bool:
    """The project's own errors are the refusals a user reads as one clear message; anything else is raw."""
    return isinstance(exc, TpiError)


def add_example(examples: list[str], what: str, limit: int) -> None:
    """Keep the first ``limit`` problems found, each kind once (numbers aside)."""
    kind = re.sub(r"\d+", "#", what)
    if len(examples) < limit and all(re.sub(r"\d+", "#", e) != kind for e in examples):
        examples.append(what[:300])


def describe(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"


# -- report files ----------------------------------------------------------------------------------------------

class Reporter:
    """Lines appended with one write() each: what a worker wrote before it was killed is there, whole."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def line(self, *fields: object) -> None:
        os.write(self._fd, ("\t".join(str(f).replace("\t", " ").replace("\n", " ") for f in fields)
                            + "\n").encode())


def read_report(path: Path) -> list[list[str]]:
    """The whole lines of a report file (a line cut by the kill has no newline and is left out)."""
    if not path.exists():
        return []
    data = path.read_bytes()
    return [line.split("\t") for line in data.decode(errors="replace").split("\n")[:-1]]


# -- processes -------------------------------------------------------------------------------------------------

def process_context() -> BaseContext:
    """Workers forked from a clean server process that has already imported and warmed the services, so a
    worker starts in milliseconds (forking the caller itself would copy pytest's and Qt's threads)."""
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([f"{__package__}.warm"])
    # Python 3.11's fork server ignores the caller's sys.path: it finds this package through PYTHONPATH,
    # set only while the server starts.
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]), saved]))
    try:
        forkserver.ensure_running()
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved
    return ctx


def sqlite_url(path: Path) -> str:
    return str(path)


def pg_database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)
