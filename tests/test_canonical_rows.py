"""`verify` hashes signed sessions straight from their rows (domain/canonical_rows.py, issue 19). A byte of
difference from the record path would make an intact note read as tampered, or a tampered one pass: these hold the
two paths to the same bytes on every content version and every kind of stored value, and show that a child row
changed in a session deep in a later page is still caught."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tpi_notes.db.repositories import session_records, signed_rows
from tpi_notes.domain import canonical_rows
from tpi_notes.domain.signing import _normalise, canonical_bytes, record_content
from tpi_notes.services import drafts, integrity
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo
from tpi_notes.services.demo_data import DEMO_PASSWORD
from tpi_notes.services.signing import NotReadyToSign, sign_session

_LEAVES = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
           | st.dates() | st.datetimes())
_VALUES = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                       | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4), max_leaves=20)


@given(_VALUES)
def test_canonical_values_dump_unsorted_as_normalised_values_dump_sorted(value: Any) -> None:
    dumped = json.dumps(canonical_rows.canonical(value), ensure_ascii=False, separators=(",", ":"))
    assert dumped == json.dumps(_normalise(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class _Frozen(Mapping):  # a mapping that is not a dict takes _normalise's slower branch
    def __init__(self, **values: Any) -> None:
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):  # noqa: ANN204
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def test_other_mappings_and_sequences_as_normalise_takes_them() -> None:
    value = _Frozen(b=[(1.23456789, date(2026, 1, 2))], a=datetime(2026, 1, 2, 3, 4, 5, 6789), c={2: "x", "1": 0.1})
    assert (json.dumps(canonical_rows.canonical(value), separators=(",", ":"))
            == json.dumps(_normalise(value), sort_keys=True, separators=(",", ":")))


def _unlocked(db: Path) -> sqlite3.Connection:
    """The file as someone with a SQL shell has it: every lock trigger dropped."""
    conn = sqlite3.connect(db)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    return conn


def _sign_drafts(ctx: AppContext, db: Path) -> list[int]:
    """Sign the demo's drafts that are complete enough (content version 6, Ed25519); their ids."""
    conn = sqlite3.connect(db)
    draft_ids = [r[0] for r in conn.execute("SELECT id FROM procedure_session WHERE status = 'draft' ORDER BY id")]
    conn.close()
    done = []
    for sid in draft_ids:
        draft = drafts.get_draft(ctx, sid)
        try:
            sign_session(ctx, sid, draft.physician_id, DEMO_PASSWORD, row_version=draft.row_version or 1)
        except NotReadyToSign:
            continue
        done.append(sid)
    return done


@pytest.fixture
def varied(ctx: AppContext, db_path: Path) -> AppContext:
    """A demo clinic (content version 4, outcomes, e-stim, addenda) with its drafts signed now (version 6,
    Ed25519) and some sessions rewritten as versions 1, 2 and 5 and with every rarer kind of stored value."""
    build_demo(ctx, patients=8, sessions=60, seed=11)
    assert _sign_drafts(ctx, db_path)
    conn = _unlocked(db_path)
    signed = [r[0] for r in conn.execute("SELECT id FROM procedure_session WHERE status = 'signed' ORDER BY id")]
    v1, v2, v2_empty, v5 = signed[1], signed[2], signed[3], signed[4]
    conn.execute("UPDATE procedure_session SET content_version = NULL, signed_context = NULL WHERE id = ?", (v1,))
    conn.execute("UPDATE procedure_session SET content_version = 2 WHERE id = ?", (v2,))
    conn.execute("UPDATE procedure_session SET content_version = 2, signed_context = NULL WHERE id = ?", (v2_empty,))
    conn.execute("UPDATE procedure_session SET content_version = 5, follow_up_in = '6w',"
                 " timeout_at = '2026-05-04 09:30:12.345678' WHERE id = ?", (v5,))
    # An older version with no outcomes, one without them but with a response only.
    conn.execute("DELETE FROM session_scale WHERE session_id = ?", (v1,))
    conn.execute("DELETE FROM prior_response WHERE session_id = ?", (v1,))
    conn.execute("DELETE FROM session_scale WHERE session_id = ?", (v2,))
    conn.execute("UPDATE site SET estim_frequency_hz = 2.0, estim_pulse_width_us = NULL, estim_intensity_ma = 0,"
                 " estim_minutes = 12.3456789, estim_attended = 1, x = 0.123456789 WHERE session_id = ?", (v5,))
    conn.execute("UPDATE site SET estim_frequency_hz = NULL, estim_minutes = 9 WHERE session_id = ?", (v2,))
    conn.execute("UPDATE site SET preparation_id = NULL WHERE session_id = ? AND number = 1", (v1,))
    conn.execute("UPDATE preparation_component SET vials_opened = 2, lot_id = NULL WHERE preparation_id IN"
                 " (SELECT id FROM preparation WHERE session_id IN (?, ?))", (v1, v5))
    conn.execute("UPDATE session_finding SET override_reason = 'discussed with patient' WHERE session_id IN (?, ?)",
                 (v2, v5))
    conn.execute("UPDATE procedure_session SET exam_findings = ? WHERE id = ?",
                 (json.dumps([{"region_code": "post.x.L", "taut_band": True, "jump_sign": True},
                              {"region_code": "ant.y.R", "muscle_id": "y", "side": "R", "twitch": True}]), v2))
    conn.execute("UPDATE procedure_session SET signed_context = ? WHERE id = ?",
                 (json.dumps({"z": 1, "patient": {"weight_kg": 70.123456789, "b": [1.5, {"y": None, "a": 2}]}}),
                  v5))
    first = conn.execute("SELECT id, author_id FROM addendum ORDER BY id LIMIT 1").fetchone()
    assert first is not None, "the demo has addenda"
    conn.commit()
    conn.close()
    return ctx


def _decoded(value: Any) -> Any:
    return json.loads(value.text) if isinstance(value, canonical_rows.JsonText) else value


def test_the_rows_give_the_record_paths_bytes_for_every_signed_session(varied: AppContext, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    versions = {v for (v,) in conn.execute("SELECT COALESCE(content_version, 1) FROM procedure_session"
                                           " WHERE status = 'signed'")}
    conn.close()
    assert versions == {1, 2, 4, 5, 6}
    compared = 0
    with varied.read() as s:
        for page in signed_rows.pages(s, 9):
            for x in page.sessions:
                record = session_records.load(s, x.id)
                assert record is not None
                expected = canonical_bytes(record_content(record), record.content_version or 1)
                got = canonical_rows.session_bytes(
                    x.row, page.diagnoses.get(x.id, ()), page.preparations.get(x.id, ()), page.sites.get(x.id, ()),
                    page.findings.get(x.id, ()), page.scales.get(x.id, ()), page.responses.get(x.id, ()))
                assert got == expected, x.id
                # As PostgreSQL hands them over: the JSON columns decoded already.
                decoded = canonical_rows.session_bytes(
                    tuple(_decoded(v) for v in x.row), page.diagnoses.get(x.id, ()), page.preparations.get(x.id, ()),
                    page.sites.get(x.id, ()), page.findings.get(x.id, ()),
                    [(scale, _decoded(items), at, by) for scale, items, at, by in page.scales.get(x.id, ())],
                    page.responses.get(x.id, ()))
                assert decoded == expected, x.id
                compared += 1
    assert compared > 50


def test_the_demo_and_newly_signed_sessions_verify(ctx: AppContext, db_path: Path) -> None:
    build_demo(ctx, patients=8, sessions=60, seed=11)
    signed_now = _sign_drafts(ctx, db_path)
    assert signed_now
    report = integrity.verify_database(ctx)
    assert report.ok, report.tampered
    assert report.sessions_checked > 50 and report.hash_only == report.sessions_checked - len(signed_now)


def _sessions_of(db: Path, patient_id: int) -> set[int]:
    conn = sqlite3.connect(db)
    try:
        return {sid for (sid,) in conn.execute("SELECT id FROM procedure_session WHERE patient_id = ?", (patient_id,))}
    finally:
        conn.close()


def test_a_changed_child_row_deep_in_the_second_page_is_caught(
        ctx: AppContext, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_demo(ctx, patients=8, sessions=60, seed=11)
    monkeypatch.setattr(integrity, "BATCH", 20)  # pages of 20 sessions: the second is ids 21-40
    conn = _unlocked(db_path)

    def signed_in_second_page(having: str) -> int:
        return conn.execute(f"SELECT s.id FROM procedure_session s WHERE s.status = 'signed' AND s.id BETWEEN 31"
                            f" AND 40 AND EXISTS ({having}) ORDER BY s.id DESC LIMIT 1").fetchone()[0]

    site = signed_in_second_page("SELECT 1 FROM site t WHERE t.session_id = s.id AND t.volume_ml > 0")
    conn.execute("UPDATE site SET volume_ml = volume_ml + 0.5 WHERE session_id = ? AND number ="
                 " (SELECT MAX(number) FROM site WHERE session_id = ? AND volume_ml > 0)", (site, site))
    lot = signed_in_second_page("SELECT 1 FROM preparation p JOIN preparation_component c ON c.preparation_id = p.id"
                                " WHERE p.session_id = s.id AND c.lot_id IS NOT NULL AND s.id <> " + str(site))
    component, item, lot_id = conn.execute(
        "SELECT c.id, c.item_id, c.lot_id FROM preparation p JOIN preparation_component c ON c.preparation_id = p.id"
        " WHERE p.session_id = ? AND c.lot_id IS NOT NULL ORDER BY c.id DESC LIMIT 1", (lot,)).fetchone()
    other = conn.execute("INSERT INTO lot (item_id, lot_number, ndc, expiry, retired) SELECT item_id, 'SWAPPED-1', ndc, expiry, 0"
                         " FROM lot WHERE id = ?", (lot_id,)).lastrowid
    conn.execute("UPDATE preparation_component SET lot_id = ? WHERE id = ?", (other, component))
    diagnosis = signed_in_second_page(f"SELECT 1 FROM session_diagnosis d WHERE d.session_id = s.id"
                                      f" AND s.id NOT IN ({site}, {lot})")
    conn.execute("UPDATE session_diagnosis SET display = display || ' (edited)' WHERE session_id = ?"
                 " AND position = (SELECT MAX(position) FROM session_diagnosis WHERE session_id = ?)",
                 (diagnosis, diagnosis))
    conn.commit()
    conn.close()

    report = integrity.verify_database(ctx)
    found = {sid: reason for sid, _mrn, reason in report.tampered}
    assert set(found) == {site, lot, diagnosis} and not report.ok
    assert all(reason.startswith("content does not match its signature") for reason in found.values())
    assert integrity.tampered_session_ids(ctx) == {site, lot, diagnosis}
    conn = sqlite3.connect(db_path)
    patient = conn.execute("SELECT patient_id FROM procedure_session WHERE id = ?", (lot,)).fetchone()[0]
    conn.close()
    assert integrity.tampered_session_ids(ctx, patient) == {lot} | ({site, diagnosis} & _sessions_of(db_path, patient))
    assert item  # the lot swapped is one of the same drug: only its number tells


def test_a_site_pointed_at_another_sessions_syringe_of_the_same_label_is_caught(
        ctx: AppContext, db_path: Path) -> None:
    """A site names its syringe by the label of its own session's syringe of that id (session_records): pointed at
    another session's syringe "A" (the same label) it no longer names one, and the content no longer matches, even
    when both sessions are read in the same page (verify once took the label from any syringe of the page)."""
    build_demo(ctx, patients=8, sessions=60, seed=11)
    conn = _unlocked(db_path)
    site_id, sid, other_prep = conn.execute(
        "SELECT t.id, s.id, o.id FROM site t JOIN procedure_session s ON s.id = t.session_id"
        " JOIN preparation p ON p.id = t.preparation_id"
        " JOIN preparation o ON o.label = p.label AND o.session_id <> s.id"
        " JOIN procedure_session os ON os.id = o.session_id AND os.status = 'signed'"
        " WHERE s.status = 'signed' ORDER BY t.id LIMIT 1").fetchone()
    conn.execute("UPDATE site SET preparation_id = ? WHERE id = ?", (other_prep, site_id))
    conn.commit()
    conn.close()

    assert not integrity.session_is_intact(ctx, sid)  # the record path
    report = integrity.verify_database(ctx)  # every session in one page
    assert [t[0] for t in report.tampered] == [sid]
    assert report.tampered[0][2].startswith("content does not match its signature")
    assert integrity.tampered_session_ids(ctx) == {sid}
