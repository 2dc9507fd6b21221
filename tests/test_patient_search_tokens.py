"""The patient search reads a token index (migration 0026) and finds exactly whom the old LIKE search found.

The old conditions (a LIKE over every patient's ``search_key``, ``mrn ILIKE``, the year by ``extract``, the date
of birth by equality) are kept here as the oracle. Over a random clinic of awkward names (accents, hyphens,
apostrophes, several-word family names, ligatures, Cyrillic) and MRNs with letters, every typed string must give
the same patients in the same order, and the history's patient filter the same sessions; a renamed patient is
found by the new name only; and neither the search nor the history filter reads every patient to do it.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest
from principals import ALL_PERMISSIONS
from sqlalchemy import and_, extract, or_, select

from tpi_notes.db.models import Patient, ProcedureSession
from tpi_notes.db.repositories import patients as repo
from tpi_notes.db.repositories.patient_tokens import after_prefix
from tpi_notes.db.repositories.session_filter import matching_ids
from tpi_notes.domain.history import HistoryFilter
from tpi_notes.domain.patient import PatientInput, fold
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.demo import build_demo
from tpi_notes.services.history import browse
from tpi_notes.services.patients import create_patient, search_patients, update_patient

FAMILIES = ["García-López", "O'Brien", "D’Angelo", "van der Berg", "De la Cruz", "Nguyễn", "Ødegård", "Łukasiewicz",
            "Петрова", "Müller", "Straße", "Ærøskøbing", "ﬁsher", "MacDonald", "garcia", "Garçon", "İnce",
            "Saint-Éxupéry", "Al-Hassan", "Ng", "O", "Smith Jones", "José María", "d'Arcy", "Zoë", "ÅSE"]
GIVENS = ["Anna", "Thị Ánh", "Øyvind", "Ирина", "Zoë", "Jean-Luc", "Mary Ann", "Åsa", "Ľuboš", "Anne-Marie",
          "Chloé", "İsmail", "ß", "Ana"]


def old_conditions(text: str) -> list:
    """The search before migration 0026, word for word: the oracle."""
    conditions = []
    for token in text.split():
        when = repo.parse_date_token(token)
        if when is not None:
            conditions.append(Patient.birth_date == when)
            continue
        folded = repo._like_escape(fold(token))
        options = [Patient.search_key.like(f"% {folded}%", escape="\\"),
                   Patient.mrn.ilike(f"{repo._like_escape(token)}%", escape="\\")]
        if re.fullmatch(r"\d{4}", token):
            options.append(extract("year", Patient.birth_date) == int(token))
        conditions.append(or_(*options))
    return conditions


def _mrn(rng: random.Random, n: int) -> str:
    letters = rng.choice(["", "A", "ab", "Zx-", "q.", "K/", "m_"])
    return f"{letters}{rng.randint(1, 99_999)}{rng.choice(['', '-B', 'c', '.1'])}-{n}"


def _random_input(rng: random.Random, n: int) -> PatientInput:
    return PatientInput(mrn=_mrn(rng, n), family_name=rng.choice(FAMILIES), given_name=rng.choice(GIVENS),
                        birth_date=date(1940, 1, 1) + timedelta(days=rng.randint(0, 25_000)), sex="female",
                        allergies=rng.choice([(), (), ("latex",)]), anticoagulant=rng.choice(["", "None", "apixaban"]))


def _flags(data: PatientInput) -> tuple[str, ...]:
    """The list's badges this patient should carry ("None" is no anticoagulant)."""
    return (*(("bleeding",) if data.anticoagulant == "apixaban" else ()), *(("allergy",) if data.allergies else ()))


def _typed(rng: random.Random, people: list[PatientInput]) -> list[str]:
    """What people type: starts of name words as stored (any case, accents or not), MRN starts in any case,
    years, dates in the three forms, two words, LIKE wildcards, and odd characters."""
    typed = ["", "g", "ga", "gar", "GARC", "garcia-l", "o'b", "o’", "d’a", "van", "van de", "de la", "ng", "o",
             "ødeg", "odeg", "lukas", "łuk", "пет", "ПЕТРОВА", "mull", "müll", "strasse", "stra", "aero", "ærø",
             "fish", "ﬁ", "ince", "i̇", "saint-e", "al-h", "a", "an", "ann", "anne-m", "mary ann", "zoe", "zoë",
             "ß", "ss", "s", "%", "_", "a%", "a_", "\\", "'", "-", "a´b", "´", "o´b", "1", "19", "1975", "١٩٧٥",
             "0000", "ab", "AB", "zx-", "ZX-1", "q.", "k/", "m_", "m%", "1000", "2", "-1", "x y z", "19 ann"]
    for p in rng.sample(people, min(40, len(people))):
        word = rng.choice((p.family_name + " " + p.given_name).split())
        cut = word[:rng.randint(1, len(word))]
        typed.append(rng.choice([cut, cut.upper(), cut.lower(), fold(cut)]))
        typed.append(p.mrn[:rng.randint(1, len(p.mrn))].swapcase())
        typed.append(rng.choice([p.birth_date.isoformat(), f"{p.birth_date:%m/%d/%Y}", f"{p.birth_date:%d.%m.%Y}",
                                 str(p.birth_date.year)]))
        typed.append(f"{cut} {p.birth_date.year}")
    return typed


def _old_ids(s, text: str) -> list[int]:  # noqa: ANN001 - Session
    query = select(Patient.id)
    conditions = old_conditions(text)
    if conditions:
        query = query.where(and_(*conditions))
    return list(s.scalars(query.order_by(Patient.search_key, Patient.id)))


@pytest.fixture
def clinic(ctx: AppContext) -> tuple[AppContext, list[PatientInput]]:
    """A demo clinic (patients written by the bulk writer, with sessions), its first 25 patients renamed to
    awkward names through the service (their sessions keep them), and 120 more registered."""
    build_demo(ctx, patients=40, sessions=160, seed=3)
    rng = random.Random(19)
    people = []
    for pid in range(1, 26):
        new = _random_input(rng, pid)
        old = repo_record(ctx, pid)
        update_patient(ctx, pid, replace(old, mrn=new.mrn, family_name=new.family_name, given_name=new.given_name,
                                         birth_date=new.birth_date), old.row_version)
        people.append(new)
    for n in range(120):
        data = _random_input(rng, 100 + n)
        create_patient(ctx, data)
        people.append(data)
    return ctx, people


def repo_record(ctx: AppContext, pid: int):  # noqa: ANN201 - PatientRecord
    with ctx.read() as s:
        return repo.record(s, pid)


def test_search_finds_exactly_whom_the_like_search_found_in_the_same_order(clinic) -> None:  # noqa: ANN001
    ctx, people = clinic
    typed = _typed(random.Random(7), people)
    with ctx.read() as s:
        assert len(_old_ids(s, "")) == 40 + 120
        probed = 0
        for text in typed:
            old = _old_ids(s, text)
            assert [p.id for p in repo.search(s, text, 10_000)] == old, text  # every match: gathered and sorted
            # a short list: a word matching many patients walks the name order and probes (the list's first 8)
            probed += repo._matches_many(s, [repo._word(t) for t in text.split()], 8)
            assert [p.id for p in repo.search(s, text, 8)] == old[:8], text
        assert probed > 10
    by_mrn = {p.mrn: p for p in people[25:]}  # the registered ones (the renamed demo patients keep their history)
    listed = [p for p in search_patients(ctx, "") if p.mrn in by_mrn]
    assert len(listed) == len(by_mrn) and {p.flags for p in listed} >= {(), ("allergy",), ("bleeding",)}
    assert all(p.flags == _flags(by_mrn[p.mrn]) for p in listed)  # badges read from the stored JSON text
    assert sum(bool(search_patients(ctx, t)) for t in typed) > len(typed) // 2  # most strings find someone


def test_history_patient_filter_gives_the_sessions_the_like_search_gave(clinic) -> None:  # noqa: ANN001
    ctx, people = clinic
    rng = random.Random(11)
    typed = _typed(rng, people[:25])  # the renamed demo patients: the ones with sessions
    found_any = 0
    with ctx.read() as s:
        for text in [t for t in typed if t.strip()]:
            old = select(ProcedureSession.id).where(
                ProcedureSession.patient_id.in_(select(Patient.id).where(and_(*old_conditions(text)))))
            expected = set(s.scalars(old))
            assert set(s.scalars(matching_ids(HistoryFilter(patient_text=text)))) == expected, text
            found_any += bool(expected)
    assert found_any > 20
    family = people[0].family_name.split()[0][:3]
    page = browse(ctx, HistoryFilter(patient_text=family), limit=500)
    with ctx.read() as s:
        expected = set(s.scalars(select(ProcedureSession.id).where(
            ProcedureSession.patient_id.in_(_old_ids(s, family)))))
    assert {r.id for r in page.rows} == expected and page.total == len(expected) > 0


def test_a_renamed_patient_is_found_by_the_new_name_mrn_and_birth_date_only(ctx: AppContext) -> None:
    first = create_patient(ctx, PatientInput(mrn="ZK-501", family_name="Zimmermann", given_name="Ülla",
                                             birth_date=date(1961, 4, 5), sex="female"))
    other = create_patient(ctx, PatientInput(mrn="Q-1", family_name="Quist", given_name="Ola",
                                             birth_date=date(1970, 1, 1), sex="male"))
    assert [p.id for p in search_patients(ctx, "zimm ulla")] == [first.id]
    renamed = update_patient(ctx, first.id, replace(first, family_name="Ørsted-Quist", given_name="Ulla Maj",
                                                    mrn="AB-77", birth_date=date(1962, 7, 8)), first.row_version)
    assert renamed.family_name == "Ørsted-Quist"
    for gone in ("zimm", "Zimmermann", "zk-5", "1961", "1961-04-05", "04/05/1961"):
        assert search_patients(ctx, gone) == [], gone
    for found in ("orsted", "ørsted-q", "maj", "ab-7", "1962", "08.07.1962", "ulla maj orst"):
        assert [p.id for p in search_patients(ctx, found)] == [first.id], found
    assert [p.id for p in search_patients(ctx, "quist")] == [other.id]  # "ørsted-quist" is one word
    page = browse(ctx, HistoryFilter(patient_text="zimmermann"))
    assert page.rows == () and page.total == 0


def test_an_older_clinic_is_searchable_after_the_upgrade(tmp_path) -> None:  # noqa: ANN001
    """Patients written before migration 0026 get their tokens from it (from the stored columns alone)."""
    from alembic import command
    from sqlalchemy import create_engine

    from tpi_notes.db.migrate import alembic_config

    path = tmp_path / "older.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0025")
    engine.dispose()
    rng = random.Random(5)
    people = [_random_input(rng, n) for n in range(60)]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO patient (mrn, family_name, given_name, search_key, birth_date, sex, phone, language,"
            " allergies, anticoagulant, bleeding_disorder, diabetes, insulin, pregnant, breastfeeding,"
            " immunosuppressed, implanted_device, aftercare_large_print, row_version)"
            " VALUES (?, ?, ?, ?, ?, 'female', '', 'en', '[]', '', 0, 0, 0, 0, 0, 0, 0, 0, 1)",
            [(p.mrn, p.family_name, p.given_name, f" {fold(p.family_name)} {fold(p.given_name)} ",
              p.birth_date.isoformat()) for p in people])
    conn.close()
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        with ctx.read() as s:
            for text in _typed(random.Random(2), people):
                assert [p.id for p in repo.search(s, text, 10_000)] == _old_ids(s, text), text
    finally:
        ctx.close()


def _plan(s, query) -> str:  # noqa: ANN001 - Session, Select
    compiled = query.compile(s.get_bind())
    rows = s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                          tuple(compiled.params.values())).fetchall()
    return "\n".join(row[-1] for row in rows)


@pytest.mark.parametrize("text", ["gar", "garcia ann", "ab-1", "1975", "1975-06-30"])
def test_neither_search_nor_history_filter_reads_every_patient(ctx: AppContext, text: str) -> None:
    """A typed word is a range of the token index: no full pass over the patients (41 ms a keystroke at 10,000
    patients, 127 ms for the history's filter at 100,000 patients before)."""
    search = select(Patient.id).where(and_(*repo.search_conditions(text))).order_by(Patient.search_key)
    with ctx.read() as s:
        for plan in (_plan(s, search), _plan(s, matching_ids(HistoryFilter(patient_text=text)))):
            assert "patient_search_token" in plan, plan
            assert not re.search(r"SCAN patient\b", plan), plan


def test_a_prefix_range_ends_right_after_its_last_possible_word() -> None:
    assert after_prefix("n:gar") == "n:gas"
    assert after_prefix("n:a\U0010ffff") == "n:b"
    assert after_prefix("n:\ud7ff") == "n:\ue000"  # the next character a stored name can hold
    assert after_prefix("\U0010ffff") is None


@pytest.mark.skipif(not os.environ.get("TPI_NOTES_PG_URL"), reason="needs TPI_NOTES_PG_URL (.ci/with-postgres.sh)")
def test_postgresql_finds_the_same_patients_as_sqlite(tmp_path) -> None:  # noqa: ANN001
    """The token column compares bytewise on PostgreSQL too (COLLATE "C"), so a prefix range there finds what
    it finds on SQLite, whatever the server's own collation."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    server = os.environ["TPI_NOTES_PG_URL"]
    name = f"tpi_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        pg = open_clinic(make_url(server).set(database=name).render_as_string(hide_password=False),
                         principal=ALL_PERMISSIONS)
        lite = open_clinic(str(tmp_path / "twin.sqlite"), principal=ALL_PERMISSIONS)
        try:
            rng = random.Random(23)
            people = [_random_input(rng, n) for n in range(60)]
            for ctx in (pg, lite):
                for data in people:
                    create_patient(ctx, data)
            for text in _typed(random.Random(29), people):
                found = {(p.mrn, p.flags) for p in search_patients(lite, text)}
                assert {(p.mrn, p.flags) for p in search_patients(pg, text)} == found, text
                mrns = {mrn for mrn, _ in found}
                with lite.read() as s:
                    assert mrns == {p.mrn for p in repo.search(s, text, 10_000)
                                    if p.id in set(_old_ids(s, text))}, text
        finally:
            pg.close()
            lite.close()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
