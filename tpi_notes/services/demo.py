"""`tpi-notes demo`: a believable, reproducible clinic (same seed, same clinic) for trying the app.

Everything is made up. Dates end on DEMO_END so that the same seed gives the same clinic on any day.
Rows are made as plain dicts (services/demo_sessions.py, with the app's own rules and signing hash), in worker
processes when the demo is large (services/demo_workers.py: each patient's sessions from a random stream of their
own, so the clinic is the same whatever the number of processes), and written in patient order through
db/bulk_writer.py inside one transaction by this process alone, so an interrupted run leaves nothing behind. On a
new SQLite file the session tables' indexes and guard triggers are set aside for the build and put back from their
stored SQL at its end (each index built once), and each signed session's stored CSV row is made from the values
written (services/demo_export_rows.py) rather than read back (issue 19).
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from tpi_notes.db.bulk_writer import BulkWriter, fast_new_file
from tpi_notes.db.models import (
    Addendum,
    FormularyItem,
    Lot,
    Patient,
    Preparation,
    PreparationComponent,
    PriorResponse,
    ProcedureSession,
    SessionDiagnosis,
    SessionExportRow,
    SessionFinding,
    SessionScale,
    Site,
    User,
    UserRole,
)
from tpi_notes.db.repositories import audit, patient_tokens, reference
from tpi_notes.db.repositories import patients as patient_repo
from tpi_notes.db.repositories import staff as staff_repo
from tpi_notes.db.sequences import advance_id_sequences
from tpi_notes.domain import icd10
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.numbers import plural
from tpi_notes.domain.passwords import hash_password_with_salt
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.signed_context import clinic_context
from tpi_notes.services import demo_data as D
from tpi_notes.services import demo_pades
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo_export_rows import ExportLookups
from tpi_notes.services.demo_workers import (
    SESSION_TABLES,
    Chunk,
    SessionPlan,
    Work,
    processes_for,
    session_makers,
)

DEMO_END = date(2026, 11, 1)
DEMO_YEARS = 3
BATCH = 4000
MAX_SESSIONS_PER_PATIENT = 30
SESSIONS_PER_PATIENT_LIMIT = 80  # 3 years at one visit every 12 days, with room to spare
CHUNK_SESSIONS = 1000  # a worker's run of patients: about this many sessions
PARALLEL_FROM = 4000  # sessions from which workers pay for their start (a fresh interpreter, ~1 s of imports)


@dataclass(frozen=True)
class DemoSummary:
    patients: int
    sessions: int
    sites: int
    signed: int
    drafts: int
    addenda: int
    seconds: float
    notes: tuple[str, ...] = ()  # said once about the whole demo (the ICD-10-CM set its dates fall outside)
    processes: int = 1  # that made the sessions


class DemoError(TpiError):
    pass


def _insert(writer: BulkWriter, model: type, rows: list[dict]) -> None:
    writer.insert(model.__table__, rows)


def build_demo(ctx: AppContext, *, patients: int = 200, sessions: int = 1000, seed: int = 7,
               processes: int | None = None) -> DemoSummary:
    """Fill an empty database with a demo clinic; refuses a database that already has patients. ``processes``:
    how many make the sessions (None: one per core for a large demo); the clinic is the same either way."""
    ctx.require(Permission.LOAD_DEMO)
    validate_demo_request(patients, sessions)
    started = time.perf_counter()
    rng = random.Random(seed)
    with ctx.transaction() as s:
        if patient_repo.count(s) > 0:
            raise DemoError("This database already holds patients; the demo writes only to a new database.")
        if staff_repo.count(s) > 0:
            raise DemoError("This clinic is already set up with its own users; the demo writes only to a new "
                            "database (use `tpi-notes demo --db NEW_FILE`).")
        conn = s.connection()
        writer = BulkWriter(conn)
        settings = reference.settings(s)
        for key, value in D.CLINIC.items():
            setattr(settings, key, value)
        settings.demo_seed = seed
        opened = _stamp(DEMO_END - timedelta(days=365 * DEMO_YEARS + 30))
        items = {row.code: row for row in s.scalars(select(FormularyItem))}
        # Every timestamp comes from the demo calendar, so the same seed gives a byte-identical clinic.
        for row in (settings, *items.values()):
            row.created_at = row.updated_at = opened
        s.flush()
        staff = _add_staff(writer, seed)
        lots = _add_lots(writer, rng, items)
        s.flush()
        # rows packed by whoever makes them where the writer takes them so (a new SQLite file, fast_new_file below)
        packs = writer.packs and getattr(conn.dialect, "_json_serializer", None) is None
        plan = SessionPlan(seed, {code: item.id for code, item in items.items()}, lots, staff, DEMO_END, DEMO_YEARS,
                           clinic_context(reference.clinic_info(s)),
                           ExportLookups.read(s),  # each signed session's CSV row, as signing stores it (issue 19)
                           type(conn.dialect) if packs else None)
        processes = processes_for(sessions, packs, processes, smallest=PARALLEL_FROM)
        with session_makers(plan, processes) as make_all:  # workers start while the patients are made
            people = _add_patients(writer, rng, patients)
            s.flush()
            with fast_new_file(writer, [m.__table__ for m in SESSION_TABLES]):
                totals, newest = _add_sessions(writer, conn, rng, make_all, people, sessions, packs)
        advance_id_sequences(conn)  # the rows above carry their own ids; PostgreSQL's sequences must follow
        # signing keys, the clinic root and a few PAdES-signed showcase notes (services/demo_pades.py)
        demo_pades.add_keys_and_signed_notes(s, ctx, staff, D.DEMO_PASSWORD, seed=seed, when=opened,
                                             newest={uid: sid for uid, (_at, sid) in newest.items()})
        audit.append(s, actor=ctx.actor, action="demo", entity="clinic",
                     detail=f"demo clinic: {plural(patients, 'patient')}, {plural(sessions, 'session')}, seed {seed}")
    made = totals[1] + totals[2]
    return DemoSummary(patients, made, *totals, seconds=time.perf_counter() - started, notes=demo_notes(),
                       processes=processes)


def demo_notes() -> tuple[str, ...]:
    """What is said once about the whole demo clinic: its three years reach outside the shipped ICD-10-CM set."""
    code_set = icd10.shipped_only_note([DEMO_END - timedelta(days=365 * DEMO_YEARS), DEMO_END])
    return (code_set,) if code_set else ()


def validate_demo_request(patients: int, sessions: int) -> None:
    if patients < 3 or sessions < 0:
        raise DemoError("The demo needs at least 3 patients and a non-negative number of sessions.")
    if sessions > patients * SESSIONS_PER_PATIENT_LIMIT:
        raise DemoError(f"At most {SESSIONS_PER_PATIENT_LIMIT} sessions per patient fit in the demo's "
                        f"{DEMO_YEARS} years; ask for more patients or fewer sessions.")


def _stamp(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, 30)


def _add_staff(writer: BulkWriter, seed: int) -> dict[str, list[int]]:
    """The demo staff, all with the published demo password (hashed once, with a salt from the seed)."""
    created = _stamp(DEMO_END - timedelta(days=365 * DEMO_YEARS + 30))
    demo_hash = hash_password_with_salt(D.DEMO_PASSWORD, hashlib.sha256(f"demo-{seed}".encode()).digest()[:16])
    users, roles = [], []
    by_role: dict[str, list[int]] = {"physician": [], "nurse": [], "admin": []}
    for uid, (username, name, credentials, user_roles) in enumerate(D.STAFF, start=1):
        users.append({"id": uid, "username": username, "full_name": name, "credentials": credentials,
                      "password_hash": demo_hash, "active": True, "failed_attempts": 0,
                      "created_at": created, "updated_at": created})
        for role in user_roles:
            roles.append({"user_id": uid, "role": role})
            by_role[role].append(uid)
    _insert(writer, User, users)
    _insert(writer, UserRole, roles)
    return by_role


def _add_lots(writer: BulkWriter, rng: random.Random, items: dict) -> dict[str, list[tuple[int, str, date, date]]]:
    """Lots every 5 months per item, each usable for 18 months: (lot id, number, received, expiry)."""
    start = DEMO_END - timedelta(days=365 * DEMO_YEARS + 120)
    rows, lots = [], {}
    lot_id = 0
    for code in sorted(items):
        item = items[code]
        lots[code] = []
        received = start
        while received <= DEMO_END:
            lot_id += 1
            number = f"{code.split('-')[0][:3].upper()}{received:%y%m}{rng.randint(10, 99)}"
            expiry = received + timedelta(days=548)
            created = _stamp(received)
            rows.append({"id": lot_id, "item_id": item.id, "lot_number": number,
                         "ndc": f"99999-{item.id:04d}-{rng.randint(1, 99):02d}", "expiry": expiry,
                         "retired": expiry < DEMO_END - timedelta(days=180), "created_at": created,
                         "updated_at": created})
            lots[code].append((lot_id, number, received, expiry))
            received += timedelta(days=150)
    _insert(writer, Lot, rows)
    return lots


@dataclass
class DemoPatient:
    id: int
    birth_date: date
    sex: str
    weight_kg: float | None
    diabetes: bool
    anticoagulant: str
    pregnant: bool
    breastfeeding: bool
    implanted_device: bool
    allergies: tuple[str, ...]
    profile: str
    bleeding_disorder: bool = False
    signed_as: dict | None = None  # the patient part of a signed session's context (domain/signed_context.py)
    showcase: str = ""  # a rule this patient is there to show (_SHOWCASE_PATIENTS)
    row: dict | None = None  # the patient row as written (the stored CSV rows read it: services/demo_export_rows.py)


# Patients who show a rule the random draws would seldom reach (issue 13 item 8), by id as the allergies are.
# "wide" sessions: six muscles injected from one syringe of 12 mL lidocaine 2 % (240 mg, 76 % of a 70 kg
# patient's maximum): the usual warning for anyone, and the ones below for these two.
_SHOWCASE_PATIENTS = {
    2: "elderly",  # 88 years old: the reduced local-anesthetic maximum for age (la_reduced_max)
    4: "stale_weight",  # weighed three years before the demo ends: weight_stale, and the note prints the date
    6: "anticoagulated_dry_needling",  # apixaban, dry needling only: bleeding_risk without any injectate
}


def _pick_name(rng: random.Random) -> tuple[str, str, str, str]:
    origin = rng.choices(list(D.NAME_WEIGHTS), weights=list(D.NAME_WEIGHTS.values()))[0]
    families, givens, language = D.NAME_POOLS[origin]
    given, sex = rng.choice(givens)
    family = rng.choice(families)
    if origin == "cyrillic" and sex == "female":
        family += "а"
    if origin == "spanish" and rng.random() < 0.25:
        language = "en"
    return family, given, sex, language


# Coded allergies the demo shows (issue 13 item 1): a brand name, the skin prep, an ester, an intolerance, given
# to these patients in place of whatever was drawn for them.
_SHOWCASE_ALLERGIES = {
    3: (("Kenalog", "allergy", "hives / urticaria"),),
    5: (("chlorhexidine", "allergy", "contact dermatitis"),),
    7: (("procaine", "allergy", "swelling (angioedema)"),),
    9: (("Depo-Medrol", "intolerance", "flushing"),),
    12: (("Naropin", "allergy", "anaphylaxis"), ("latex", "allergy", "rash")),
}


def _allergy_entries(pid: int, drawn: tuple[str, ...], when: datetime) -> list[dict]:
    """The patient's allergy entries as stored (domain/allergies.py), recorded by the intake nurse."""
    chosen = tuple((a, "allergy", "") for a in drawn)
    if pid in _SHOWCASE_ALLERGIES:
        chosen = _SHOWCASE_ALLERGIES[pid]
    return [{"substance": a, "kind": kind, "reaction": reaction, "recorded_by": "demo",
             "recorded_at": when.replace(microsecond=0).isoformat()} for a, kind, reaction in chosen]


# History questions a few demo patients were never asked (never one that signing needs): "Not recorded".
_SOMETIMES_UNASKED = ("bleeding_disorder", "immunosuppressed", "implanted_device", "diabetes")


def _history_answers(row: dict, when: datetime) -> dict:
    """Explicit answers, as the intake nurse records them: allergies always (a list or "no known allergies"),
    pregnancy and breastfeeding when she could be pregnant, the rest yes or no, with a few never asked. A
    separate random stream per patient, so the demo's other draws (and its sessions) stay as they were."""
    from tpi_notes.domain.history_answers import ITEMS, pregnancy_relevant

    rng = random.Random(row["id"] * 7919)
    unasked = set(rng.sample(_SOMETIMES_UNASKED, rng.randint(1, 2))) if rng.random() < 0.08 else set()
    relevant = any(pregnancy_relevant(row["sex"], row["birth_date"], day)  # at any session of the demo's years
                   for day in (DEMO_END, DEMO_END - timedelta(days=365 * DEMO_YEARS + 30)))
    out = {}
    for item in ITEMS:
        value = row["allergies"] if item == "allergies" else row[item]
        if not value and (item in unasked or (item in ("pregnant", "breastfeeding") and not relevant)):
            continue  # not asked: unknown
        out[item] = {"state": "yes" if value else "no", "recorded_by": "demo",
                     "recorded_at": when.replace(microsecond=0).isoformat()}
    return out


def _add_patients(writer: BulkWriter, rng: random.Random, count: int) -> list[DemoPatient]:
    from tpi_notes.domain.patient import search_key
    from tpi_notes.domain.signed_context import patient_context

    rows, people = [], []
    profiles = list(D.PROFILE_WEIGHTS)
    for pid in range(1, count + 1):
        if pid <= len(D.FIXED_PATIENTS):
            family, given, sex, language = D.FIXED_PATIENTS[pid - 1]
        else:
            family, given, sex, language = _pick_name(rng)
        age = rng.randint(19, 86)
        birth = DEMO_END - timedelta(days=age * 365 + rng.randint(0, 364))
        weight = None if rng.random() < 0.05 else round(rng.gauss(80 if sex == "male" else 68, 14), 1)
        if weight is not None:
            weight = min(max(weight, 42.0), 160.0)
        diabetes = rng.random() < 0.16
        child_bearing = sex == "female" and age < 44
        pregnant = child_bearing and rng.random() < 0.04
        breastfeeding = child_bearing and not pregnant and rng.random() < 0.05
        anticoagulant = rng.choice(D.ANTICOAGULANTS) if rng.random() < 0.12 else ""
        allergies = rng.choice(D.ALLERGIES) if rng.random() < 0.2 else ()
        device = rng.random() < 0.03
        profile = rng.choices(profiles, weights=list(D.PROFILE_WEIGHTS.values()))[0]
        bleeding = rng.random() < 0.01
        showcase = _SHOWCASE_PATIENTS.get(pid, "")  # after every draw: the other patients stay as they were
        if showcase == "elderly":
            birth, pregnant, breastfeeding = DEMO_END - timedelta(days=88 * 365 + 100), False, False
        if showcase == "stale_weight":
            birth = DEMO_END - timedelta(days=52 * 365 + 40)  # an adult at every session of the demo's years
        if showcase in D.WIDE_SESSIONS:
            weight = 70.0
        if showcase == "anticoagulated_dry_needling":
            anticoagulant = "apixaban"
        created = _stamp(DEMO_END - timedelta(days=365 * DEMO_YEARS + 20))
        entries = _allergy_entries(pid, tuple(allergies), created)
        allergies = tuple(e["substance"] for e in entries)
        rows.append({
            "id": pid, "mrn": str(1_000_000 + pid * 7), "family_name": family, "given_name": given,
            "search_key": search_key(family, given), "birth_date": birth, "sex": sex, "weight_kg": weight,
            "weight_date": None if weight is None else DEMO_END - timedelta(days=rng.randint(0, 300)),
            "phone": f"(555) {rng.randint(100, 999)}-{rng.randint(1000, 9999)}", "language": language,
            "allergies": list(allergies), "anticoagulant": anticoagulant,
            "bleeding_disorder": bleeding, "diabetes": diabetes,
            "insulin": diabetes and rng.random() < 0.35, "pregnant": pregnant, "breastfeeding": breastfeeding,
            "immunosuppressed": rng.random() < 0.03, "implanted_device": device, "row_version": 1,
            "created_at": created, "updated_at": created,
        })
        if showcase == "stale_weight":
            rows[-1]["weight_date"] = DEMO_END - timedelta(days=3 * 365)
        rows[-1]["history"] = _history_answers(rows[-1], created)
        signed_as = patient_context(rows[-1])
        signed_as["history"] = rows[-1]["history"]  # content version 3: the answers as signed
        signed_as["allergy_entries"] = entries  # content version 4: the coded allergies as signed
        rows[-1]["allergies"] = entries  # stored as entries (migration 0011)
        people.append(DemoPatient(pid, birth, sex, weight, diabetes, anticoagulant, pregnant, breastfeeding,
                                  device, tuple(allergies), profile, bleeding, signed_as, showcase, rows[-1]))
    for start in range(0, len(rows), BATCH):
        _insert(writer, Patient, rows[start:start + BATCH])
    patient_tokens.insert_bulk(writer, rows)  # the words the patient search finds them by (migration 0026)
    return people


def _add_sessions(writer: BulkWriter, conn, rng: random.Random, make_all: Any,  # noqa: ANN001
                  people: list[DemoPatient], count: int, packs: bool
                  ) -> tuple[tuple[int, int, int, int], dict[int, tuple[datetime, int]]]:
    """Every session: (sites, signed, drafts, addenda) and each physician's newest signature. ``make_all`` makes
    them (demo_workers.session_makers), packed for the writer when ``packs``."""
    # Some patients come often, most a few times: a skewed draw, capped at a session every few weeks,
    # and everyone seen at least once when there are enough sessions.
    cap = max(MAX_SESSIONS_PER_PATIENT, -(-count // len(people)))
    weights = [rng.paretovariate(1.6) for _ in people]
    by_patient = {i: 1 for i in range(len(people))} if count >= len(people) else {}
    remaining = count - len(by_patient)
    while remaining:
        for index in rng.choices(range(len(people)), weights=weights, k=remaining):
            if by_patient.get(index, 0) < cap and remaining:
                by_patient[index] = by_patient.get(index, 0) + 1
                remaining -= 1
        weights = [0.0 if by_patient.get(i, 0) >= cap else w for i, w in enumerate(weights)]
    # runs of patients, each session's id set from its place in patient order (the same whoever makes it)
    chunks: list[Work] = [[]]
    first_id = made = 1
    for index in sorted(by_patient):
        n = by_patient[index]
        if made > CHUNK_SESSIONS:
            chunks.append([])
            made = 1
        chunks[-1].append((people[index], n, first_id))
        first_id += n
        made += n
    if packs and not writer.unguarded:
        raise RuntimeError("packed demo rows need the new file's guards set aside (fast_new_file)")
    totals = [0, 0, 0, 0]
    newest: dict[int, tuple[datetime, int]] = {}

    def write(chunk: Chunk) -> None:
        for i, n in enumerate((chunk.sites, chunk.signed, chunk.drafts, chunk.addenda)):
            totals[i] += n
        for uid, signed in chunk.newest_signed.items():
            newest[uid] = max(newest.get(uid, signed), signed)
        if packs:
            for packed in chunk.tables.values():
                if packed is not None:
                    writer.insert_packed(*packed)
        else:
            _flush(writer, conn, chunk.tables)

    make_all([c for c in chunks if c], write)
    sites, signed, drafts, addenda = totals
    return (sites, signed, drafts, addenda), newest


def _flush(writer: BulkWriter, conn, tables: dict[type, list[dict]]) -> None:  # noqa: ANN001
    # The database refuses content added to a signed session (migration 0003), so sessions go in as
    # drafts, their content follows, and then they are signed, as the app signs; addenda come last.
    sessions = tables[ProcedureSession]
    if writer.unguarded:  # a new SQLite file with its guards set aside (db/bulk_writer.py): as they are
        for model, rows in tables.items():
            _insert(writer, model, rows)
            rows.clear()
        return
    _insert(writer, ProcedureSession, [dict(row, status="draft") for row in sessions])
    for model in (SessionDiagnosis, Preparation, PreparationComponent, Site, SessionFinding, SessionScale,
                  PriorResponse):  # the outcome rows (issue 17) too, while their sessions are drafts
        _insert(writer, model, tables[model])
    signed = [{"id": row["id"]} for row in sessions if row["status"] == "signed"]
    if signed:
        conn.execute(text("UPDATE procedure_session SET status = 'signed' WHERE id = :id"), signed)
    _insert(writer, Addendum, tables[Addendum])
    _insert(writer, SessionExportRow, tables[SessionExportRow])
    for rows in tables.values():
        rows.clear()


def prepare_demo_target(db: str) -> None:
    """Make room for a demo: a new file is fine, an earlier demo is rebuilt, real data is refused."""
    from pathlib import Path

    from tpi_notes.db.database_file import read_only_connection
    from tpi_notes.db.engine import check_sqlite_file, resolve_database_url, sqlite_path

    path = sqlite_path(resolve_database_url(db))
    if path is None or not path.exists() or path.stat().st_size == 0:
        return
    check_sqlite_file(path)
    import sqlite3

    try:  # read-only, leaving no -wal or -shm beside a file that is then refused
        conn = read_only_connection(path)
    except sqlite3.DatabaseError as exc:
        raise DemoError(f"{path} cannot be read as a database: {exc}.") from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return
        demo = None
        if "clinic_settings" in tables:
            row = conn.execute("SELECT demo_seed FROM clinic_settings WHERE id = 1").fetchone()
            demo = row[0] if row else None
        has_patients = "patient" in tables and conn.execute("SELECT 1 FROM patient LIMIT 1").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DemoError(f"{path} cannot be read as a database: {exc}.") from None
    finally:
        conn.close()
    if demo is None and (has_patients or "patient" not in tables):
        raise DemoError(f"{path} already holds data that is not a demo clinic; choose a new file for the demo.")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
