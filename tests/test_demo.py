"""The demo clinic covers every case product.md §7 lists, with sites inside the right atlas regions."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.signing import content_sha256, session_content
from tpi_notes.services.context import open_clinic
from tpi_notes.services.demo import DEMO_END, DemoError, build_demo


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    summary = build_demo(ctx, patients=200, sessions=1000, seed=7)
    ctx.close()
    assert summary.sessions == 1000 and summary.signed + summary.drafts == 1000
    return path


def q(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def one(path: Path, sql: str) -> object:
    return q(path, sql)[0][0]


def test_every_agent_class_and_mixed_syringes(demo_db: Path) -> None:
    classes = {r[0] for r in q(demo_db, "SELECT DISTINCT f.agent_class FROM preparation_component c "
                                        "JOIN formulary_item f ON f.id = c.item_id")}
    assert classes == {"local_anesthetic", "saline", "corticosteroid"}
    assert one(demo_db, "SELECT count(*) FROM (SELECT preparation_id FROM preparation_component "
                        "GROUP BY preparation_id HAVING count(*) > 1)") > 50
    assert one(demo_db, "SELECT count(*) FROM preparation_component WHERE lot_id IS NULL") == 0


def test_lots_were_in_date_when_used(demo_db: Path) -> None:
    assert one(demo_db, "SELECT count(*) FROM preparation_component c JOIN preparation p ON p.id = c.preparation_id "
                        "JOIN procedure_session s ON s.id = p.session_id JOIN lot l ON l.id = c.lot_id "
                        "WHERE date(s.performed_start) > l.expiry") == 0


def test_dry_needling_with_and_without_estim_and_mixed_sessions(demo_db: Path) -> None:
    assert one(demo_db, "SELECT count(*) FROM site WHERE technique = 'dry_needling' AND estim_frequency_hz IS NOT NULL") > 0
    assert one(demo_db, "SELECT count(*) FROM site WHERE technique = 'dry_needling' AND estim_frequency_hz IS NULL") > 0
    assert one(demo_db, "SELECT count(*) FROM (SELECT session_id FROM site GROUP BY session_id "
                        "HAVING count(DISTINCT technique) = 2)") > 0
    assert one(demo_db, "SELECT count(*) FROM site WHERE technique = 'dry_needling' AND needles_in != needles_out") == 0


def test_patients_for_whom_safety_rules_matter(demo_db: Path) -> None:
    diabetic_steroid = one(demo_db, """
        SELECT count(DISTINCT s.patient_id) FROM procedure_session s JOIN patient pt ON pt.id = s.patient_id
        JOIN preparation p ON p.session_id = s.id JOIN preparation_component c ON c.preparation_id = p.id
        JOIN formulary_item f ON f.id = c.item_id WHERE pt.diabetes AND f.agent_class = 'corticosteroid'""")
    assert diabetic_steroid > 0
    assert one(demo_db, "SELECT count(*) FROM patient WHERE anticoagulant != ''") > 0
    assert one(demo_db, "SELECT count(*) FROM patient WHERE pregnant OR breastfeeding") > 0
    assert one(demo_db, "SELECT count(*) FROM patient WHERE weight_kg IS NULL") > 0


def test_near_lung_muscles_both_views_and_sites_inside_their_regions(demo_db: Path) -> None:
    atlas = load_atlas()
    sites = q(demo_db, "SELECT view, x, y, region_code, muscle_id, side FROM site")
    assert len(sites) > 2000
    assert {s[0] for s in sites} == {"anterior", "posterior"}
    near = {r.code for r in atlas.regions if r.near_lung}
    assert any(s[3] in near for s in sites)
    for view, x, y, code, muscle_id, side in sites:
        region = atlas.hit_test(view, x, y)
        assert region is not None and region.code == code, (view, x, y, code)
        assert (region.muscle_id, region.side) == (muscle_id, side)


def test_names_in_many_scripts(demo_db: Path) -> None:
    names = " ".join(f"{a} {b}" for a, b in q(demo_db, "SELECT family_name, given_name FROM patient"))
    for needle in ("é", "ø", "ß", "ñ", "Nguyễn", "Ирина"):
        assert needle in names, needle
    assert any("\u0370" <= ch <= "\u03ff" for ch in names), "Greek"


def test_mostly_signed_some_drafts_some_addenda_several_staff(demo_db: Path) -> None:
    signed = one(demo_db, "SELECT count(*) FROM procedure_session WHERE status = 'signed'")
    assert 800 < signed < 1000
    assert one(demo_db, "SELECT count(*) FROM addendum") > 5
    assert one(demo_db, "SELECT count(DISTINCT physician_id) FROM procedure_session") >= 3
    assert one(demo_db, "SELECT count(DISTINCT assistant_id) FROM procedure_session") >= 2
    first, last = q(demo_db, "SELECT min(performed_start), max(performed_start) FROM procedure_session")[0]
    span = (date.fromisoformat(last[:10]) - date.fromisoformat(first[:10])).days
    assert 2 * 365 <= span <= 3 * 365 and date.fromisoformat(last[:10]) <= DEMO_END


def test_signed_hashes_match_their_content(demo_db: Path) -> None:
    conn = sqlite3.connect(demo_db)
    conn.row_factory = sqlite3.Row
    import json

    for row in conn.execute("SELECT * FROM procedure_session WHERE status = 'signed' ORDER BY id LIMIT 50"):
        session = dict(row)
        for key in ("performed_start", "performed_end", "timeout_at", "signed_at"):
            if session[key]:
                session[key] = __import__("datetime").datetime.fromisoformat(session[key])
        for key in ("exam_findings", "consent_risks"):
            session[key] = json.loads(session[key])
        for key in ("timeout_done",):
            session[key] = bool(session[key])
        diagnoses = [dict(r) for r in conn.execute(
            "SELECT code, display FROM session_diagnosis WHERE session_id = ? ORDER BY position", (row["id"],))]
        labels = {r["id"]: r["label"] for r in conn.execute("SELECT id, label FROM preparation WHERE session_id = ?",
                                                             (row["id"],))}
        preps = [(label, [dict(c) for c in conn.execute(
            "SELECT f.code AS item_code, l.lot_number, c.volume_ml FROM preparation_component c "
            "JOIN formulary_item f ON f.id = c.item_id JOIN lot l ON l.id = c.lot_id "
            "WHERE c.preparation_id = ? ORDER BY c.position", (pid,))]) for pid, label in labels.items()]
        sites = []
        for s in conn.execute("SELECT * FROM site WHERE session_id = ? ORDER BY number", (row["id"],)):
            site = dict(s)
            site["preparation"] = labels.get(site["preparation_id"])
            for key in ("aspiration", "twitch", "estim_attended"):
                site[key] = None if site[key] is None else bool(site[key])
            sites.append(site)
        findings = [dict(f) for f in conn.execute(
            "SELECT rule_code AS code, subject, severity, message, override_reason FROM session_finding "
            "WHERE session_id = ?", (row["id"],))]
        # signed as the app signs (content version 4): with the patient, the history answers, the coded allergies and the clinic
        assert row["content_version"] == 4
        context = json.loads(row["signed_context"])
        patient = conn.execute("SELECT mrn, family_name, weight_kg FROM patient WHERE id = ?",
                               (row["patient_id"],)).fetchone()
        assert (context["patient"]["mrn"], context["patient"]["family_name"], context["patient"]["weight_kg"]) == \
            (patient["mrn"], patient["family_name"], patient["weight_kg"])
        assert context["clinic"]["name"] == conn.execute("SELECT name FROM clinic_settings").fetchone()[0]
        # issue 17: the PEG and the responses to the last session are under the signature too, as stored
        scales = [{"scale": s["scale"], "items": json.loads(s["items"]), "measured_at": s["measured_at"],
                   "measured_by_id": s["measured_by_id"]} for s in conn.execute(
            "SELECT * FROM session_scale WHERE session_id = ? ORDER BY scale", (row["id"],))]
        for s in scales:
            s["measured_at"] = __import__("datetime").datetime.fromisoformat(s["measured_at"])
        responses = [{"prior_session_id": r["prior_session_id"], "muscle_id": r["muscle_id"], "side": r["side"],
                      "relief_pct": r["relief_pct"], "duration_weeks": r["duration_weeks"],
                      "lasting": bool(r["lasting"])} for r in conn.execute(
            "SELECT * FROM prior_response WHERE session_id = ? ORDER BY prior_session_id, muscle_id, side",
            (row["id"],))]
        assert scales  # a PEG at every demo visit
        content = session_content(session, diagnoses, preps, sites, findings, signed_context=context,
                                  outcomes={"scales": scales, "prior_response": responses})
        assert content_sha256(content, 4) == row["content_sha256"]
        assert context["patient"]["history"]["allergies"]["state"] in ("yes", "no")
        assert content_sha256(session_content(session, diagnoses, preps, sites, findings)) != row["content_sha256"]
    conn.close()


def test_signed_demo_notes_carry_the_findings_the_rules_give(demo_db: Path) -> None:
    near_lung = one(demo_db, "SELECT count(*) FROM session_finding WHERE rule_code = 'near_lung'")
    bleeding = one(demo_db, "SELECT count(*) FROM session_finding WHERE rule_code = 'bleeding_risk'")
    assert near_lung > 50 and bleeding > 0
    # a signed note never carries a stop without a documented reason
    assert one(demo_db, "SELECT count(*) FROM session_finding f JOIN procedure_session s ON s.id = f.session_id "
                        "WHERE s.status = 'signed' AND f.severity = 'stop' AND f.override_reason = ''") == 0


def test_history_answers_are_explicit_most_answered_a_few_not_asked(demo_db: Path) -> None:
    """Issue 13 item 2: the demo's patients carry explicit answers; a few questions were never asked (never the
    allergies, nor pregnancy where she could be pregnant: signing needs those), and every signed note verifies."""
    import json

    from tpi_notes.domain.history_answers import ITEMS, pregnancy_relevant

    unknown = 0
    for sex, born, raw in q(demo_db, "SELECT sex, birth_date, history FROM patient"):
        history = json.loads(raw)
        assert history["allergies"]["state"] in ("yes", "no") and history["allergies"]["recorded_at"]
        if pregnancy_relevant(sex, date.fromisoformat(born), DEMO_END):
            assert history["pregnant"]["state"] in ("yes", "no"), born
        unknown += sum(item not in history for item in ITEMS if item not in ("pregnant", "breastfeeding"))
    assert 0 < unknown < 60
    ctx = open_clinic(str(demo_db), principal=ALL_PERMISSIONS)
    try:
        from tpi_notes.services import integrity

        assert integrity.tampered_session_ids(ctx) == set()
    finally:
        ctx.close()


def test_demo_refuses_a_database_with_patients(demo_db: Path) -> None:
    ctx = open_clinic(str(demo_db), principal=ALL_PERMISSIONS)
    with pytest.raises(DemoError):
        build_demo(ctx, patients=5, sessions=5, seed=1)
    ctx.close()


def test_the_demo_shows_every_clinical_safety_edge(demo_db: Path) -> None:
    """Issue 13 item 8: the demo has a patient for each edge the safety rules cover, so a trainee (and the
    screenshots) meet them: the reduced maximum of an 88-year-old, a weight three years old, anticoagulated dry
    needling, brand-name and skin-prep allergies, and history answers never asked."""
    def findings(code: str) -> list[tuple]:
        return q(demo_db, "SELECT s.id, s.patient_id FROM session_finding f JOIN procedure_session s "
                          f"ON s.id = f.session_id WHERE f.rule_code = '{code}' AND s.status = 'signed'")

    assert findings("la_reduced_max") and findings("weight_stale")
    dry_only = [sid for sid, _pid in findings("bleeding_risk")
                if one(demo_db, f"SELECT count(*) FROM site WHERE session_id = {sid} AND technique != 'dry_needling'") == 0]
    assert dry_only, "no anticoagulated patient had dry needling alone with the bleeding warning"
    allergies = " ".join(r[0] for r in q(demo_db, "SELECT allergies FROM patient"))
    assert "Kenalog" in allergies and "chlorhexidine" in allergies.lower()
    unknown = one(demo_db, "SELECT count(*) FROM patient WHERE history NOT LIKE '%\"diabetes\"%' "
                           "OR history NOT LIKE '%\"immunosuppressed\"%'")
    assert unknown > 0, "every history question was answered for everyone: 'Not recorded' never shows"
