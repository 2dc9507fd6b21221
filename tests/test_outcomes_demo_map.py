"""The demo's outcomes (issue 17 item 6) and the response map on the patient page (item 3): believable data that
verifies, and a map whose colour for every muscle and side is the one the recorded responses give."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

from pytestqt.qtbot import QtBot
from ui_fixtures import MakeWindow, clinic_ctx, make_window, message_boxes, ui_data_dir  # noqa: F401

from tpi_notes.domain.outcomes import response_class
from tpi_notes.palette import RESPONSE_COLOURS
from tpi_notes.services import integrity
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo


def _expected(db: Path, patient_id: int) -> dict[tuple[str, str], str]:
    """Straight from the tables: each muscle and side of the patient's signed sessions, classed by the response
    recorded for its latest treatment that has one, else not recorded."""
    conn = sqlite3.connect(db)
    try:
        treated = conn.execute(
            "SELECT DISTINCT t.muscle_id, t.side FROM site t JOIN procedure_session s ON s.id = t.session_id"
            " WHERE s.patient_id = ? AND s.status = 'signed'", (patient_id,)).fetchall()
        rows = conn.execute(
            "SELECT r.muscle_id, r.side, r.relief_pct, r.duration_weeks, r.lasting, p.performed_start, s.performed_start"
            " FROM prior_response r JOIN procedure_session s ON s.id = r.session_id"
            " JOIN procedure_session p ON p.id = r.prior_session_id WHERE s.patient_id = ?"
            " ORDER BY p.performed_start, s.performed_start", (patient_id,)).fetchall()
    finally:
        conn.close()
    out = {key: "not_recorded" for key in treated}
    for muscle_id, side, relief, weeks, lasting, _prior_at, _at in rows:  # the last one wins
        out[(muscle_id, side)] = response_class(relief, weeks, bool(lasting))
    return out


def test_the_demo_has_believable_outcomes_under_its_signatures(ctx: AppContext, db_path: Path) -> None:
    build_demo(ctx, patients=30, sessions=160, seed=4)
    assert integrity.verify_database(ctx).ok  # the outcome rows are under each demo signature
    conn = sqlite3.connect(db_path)
    try:
        sessions = conn.execute("SELECT COUNT(*) FROM procedure_session").fetchone()[0]
        pegs = conn.execute("SELECT COUNT(*) FROM session_scale WHERE scale = 'peg'").fetchone()[0]
        responses = conn.execute("SELECT relief_pct, duration_weeks, lasting FROM prior_response").fetchall()
        one_visit = conn.execute("SELECT COUNT(*) FROM (SELECT patient_id FROM procedure_session GROUP BY patient_id"
                                 " HAVING COUNT(*) <= 2)").fetchone()[0]
    finally:
        conn.close()
    assert pegs == sessions  # a PEG at every visit
    kinds = Counter(response_class(*r) for r in responses)
    assert kinds["good"] > kinds["partial"] > 0 and kinds["none"] > 0  # most respond, some do not
    assert one_visit > 0  # some patients stop coming


def test_the_response_map_of_a_demo_patient_matches_the_recorded_responses(
        make_window: MakeWindow, clinic_ctx: AppContext, qtbot: QtBot, tmp_path: Path) -> None:  # noqa: F811
    build_demo(clinic_ctx, patients=12, sessions=80, seed=9)
    db = Path(clinic_ctx.url.split("///", 1)[1])
    conn = sqlite3.connect(db)
    patient_id = conn.execute(
        "SELECT s.patient_id FROM prior_response r JOIN procedure_session s ON s.id = r.session_id"
        " GROUP BY s.patient_id ORDER BY COUNT(DISTINCT r.muscle_id || r.side) DESC LIMIT 1").fetchone()[0]
    conn.close()
    expected = _expected(db, patient_id)
    assert {"good", "not_recorded"} <= set(expected.values()) or len(set(expected.values())) >= 2
    window = make_window()
    assert window.patient_list.select_patient(patient_id)
    shown = window.patient_view.response_map
    assert shown.isVisible()
    seen = set()
    for region in shown.atlas.regions:
        key = (region.muscle_id, region.side)
        if key in expected:
            seen.add(key)
            assert shown.region_colour(region.code) == RESPONSE_COLOURS[expected[key]].lower(), region.code
        elif not any((d.muscle_id, region.side) in expected for d in region.deep):
            assert shown.region_colour(region.code) is None, region.code  # never treated: its own tint
    assert seen == set(expected)  # every treated muscle and side is drawn
    shown.as_text.click()  # the text alternative says the same, muscle by muscle
    text = shown.text.toPlainText()
    assert len(text.splitlines()) == len(expected)
    assert text.count("not recorded —") == list(expected.values()).count("not_recorded")
    assert not window.patient_view.pain_chart.is_empty and window.patient_view.pain_chart.peg
