"""A save writes the session row and only the child rows that changed (issue 19): an unchanged site or syringe is
left as stored, a changed one is written, and what the save returns is what a fresh read gives."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS
from test_drafts_service import clinic, full_draft  # noqa: F401 - the fixture and the 4-site draft

from tpi_notes.domain.draft import STEROID_RISKS
from tpi_notes.domain.errors import ConcurrentEditError
from tpi_notes.domain.findings import FindingOverride
from tpi_notes.domain.outcomes import PriorResponse, peg
from tpi_notes.domain.session import Component, Diagnosis, Preparation
from tpi_notes.services import drafts, staff
from tpi_notes.services.clinic import list_lots
from tpi_notes.services.context import open_clinic
from tpi_notes.services.demo import build_demo


def _rows(db_path: Path, session_id: int) -> tuple[dict[int, int], dict[str, int], list[int]]:
    """Row ids as stored: sites by number, syringes (with their components') by label, the diagnoses' rowids."""
    with closing(sqlite3.connect(db_path)) as conn:
        sites = dict(conn.execute("SELECT number, id FROM site WHERE session_id = ?", (session_id,)))
        preps = {label: (prep_id, components) for label, prep_id, components in conn.execute(
            "SELECT p.label, p.id, group_concat(c.id) FROM preparation p JOIN preparation_component c"
            " ON c.preparation_id = p.id WHERE p.session_id = ? GROUP BY p.id", (session_id,))}
        diagnoses = [r for (r,) in conn.execute("SELECT rowid FROM session_diagnosis WHERE session_id = ?"
                                                " ORDER BY position", (session_id,))]
    return sites, preps, diagnoses


def _audit_events(db_path: Path) -> int:
    with closing(sqlite3.connect(db_path)) as conn:
        return conn.execute("SELECT count(*) FROM audit_event").fetchone()[0]


@pytest.fixture
def two_sessions(clinic):  # noqa: ANN001, ANN201, F811
    """The first session saved, then a second one: rows written again for the first come after the second's."""
    ctx, patient_id, doctor_id = clinic
    first = drafts.save_draft(ctx, full_draft(ctx, patient_id, doctor_id))
    drafts.save_draft(ctx, full_draft(ctx, patient_id, doctor_id))
    return ctx, first


def test_a_comment_change_leaves_every_site_syringe_and_diagnosis_as_stored(two_sessions, db_path) -> None:  # noqa: ANN001
    ctx, first = two_sessions
    stored, events = _rows(db_path, first.id), _audit_events(db_path)
    saved = drafts.save_draft(ctx, replace(first, comments="only the comment changed"))
    assert _rows(db_path, first.id) == stored
    assert saved.row_version == first.row_version + 1  # the version moves on all the same
    assert _audit_events(db_path) == events + 1  # and the save is in the audit trail
    assert saved == drafts.get_draft(ctx, first.id)
    assert saved.comments == "only the comment changed"


def test_a_changed_site_is_written_and_the_others_are_left(two_sessions, db_path) -> None:  # noqa: ANN001
    ctx, first = two_sessions
    sites, preps, diagnoses = _rows(db_path, first.id)
    moved = replace(first.sites[1], note="tender band, moved", volume_ml=0.5)
    saved = drafts.save_draft(ctx, replace(first, sites=(first.sites[0], moved, *first.sites[2:])))
    after, preps_after, diagnoses_after = _rows(db_path, first.id)
    assert {n: after[n] for n in (1, 3, 4)} == {n: sites[n] for n in (1, 3, 4)}
    assert after[2] != sites[2]
    assert (preps_after, diagnoses_after) == (preps, diagnoses)
    again = drafts.get_draft(ctx, first.id)
    assert again.sites[1] == moved and again.sites[0] == first.sites[0]
    assert saved == again


def test_a_changed_syringe_is_written_and_its_sites_are_left(two_sessions, db_path) -> None:  # noqa: ANN001
    ctx, first = two_sessions
    sites, preps, _ = _rows(db_path, first.id)
    syringe = first.preparations[0]
    weaker = replace(syringe, components=(replace(syringe.components[0], volume_ml=3.0), *syringe.components[1:]))
    saved = drafts.save_draft(ctx, replace(first, preparations=(weaker,)))
    after, preps_after, _ = _rows(db_path, first.id)
    # the syringe keeps its row (the sites name it by id) and only its drugs are written again
    assert preps_after["A"][0] == preps["A"][0] and preps_after["A"][1] != preps["A"][1]
    assert after == sites
    again = drafts.get_draft(ctx, first.id)
    assert again.preparations == (weaker,)
    assert [s.preparation_label for s in again.sites] == ["A", "A", "A", None]
    assert saved == again


def test_sites_removed_added_and_renumbered_are_stored_as_sent(two_sessions) -> None:  # noqa: ANN001
    ctx, first = two_sessions
    one, two, three, four = first.sites
    shuffled = (replace(four, number=1), replace(one, number=2), replace(three, number=3))
    saved = drafts.save_draft(ctx, replace(first, sites=shuffled, diagnoses=(Diagnosis("M54.2", ""),)))
    again = drafts.get_draft(ctx, first.id)
    assert again.sites == shuffled
    assert [d.code for d in again.diagnoses] == ["M54.2"]
    assert saved == again


def test_what_a_save_returns_is_what_is_stored(two_sessions) -> None:  # noqa: ANN001
    """Scales, responses, overrides (a stale one dropped), carried fields and lots come back as a read gives them."""
    ctx, first = two_sessions
    earlier = drafts.save_draft(ctx, replace(full_draft(ctx, first.patient_id, first.physician_id),
                                             performed_start=first.performed_start - timedelta(days=30),
                                             performed_end=None))
    site = first.sites[0]
    syringe = first.preparations[0]
    changed = replace(
        first, scales=(peg(6, 5, 4, first.performed_start, first.physician_id),),
        prior_responses=(PriorResponse(earlier.id, site.muscle_id, site.side, 60, 4, False),),
        overrides=(FindingOverride("no_such_rule", "", "gone by now"),),
        carried_fields=("position",), carried_from="as on 2026-10-01",
        preparations=(syringe, Preparation("B", (Component("lidocaine-1", 2.0),))),
    )
    saved = drafts.save_draft(ctx, changed)
    again = drafts.get_draft(ctx, first.id)
    assert saved == again
    created = drafts.save_draft(ctx, replace(changed, id=None, row_version=None))
    assert created == drafts.get_draft(ctx, created.id)
    assert [s.measured_by for s in saved.scales] == [s.measured_by for s in again.scales]
    assert saved.overrides == ()
    assert saved.scales[0].items == (6, 5, 4) and saved.prior_responses[0].relief_pct == 60
    untouched = drafts.save_draft(ctx, replace(saved, comments="and again"))
    assert replace(untouched, comments=saved.comments, row_version=saved.row_version) == saved


def test_a_stale_version_is_still_refused_and_nothing_is_written(two_sessions, db_path) -> None:  # noqa: ANN001
    ctx, first = two_sessions
    drafts.save_draft(ctx, replace(first, comments="saved elsewhere"))
    stored = _rows(db_path, first.id)
    events = _audit_events(db_path)
    with pytest.raises(ConcurrentEditError):
        drafts.save_draft(ctx, replace(first, comments="stale", sites=first.sites[:1]))
    assert _rows(db_path, first.id) == stored
    assert _audit_events(db_path) == events
    assert drafts.get_draft(ctx, first.id).comments == "saved elsewhere"


def test_a_syringe_drawn_from_a_lot_with_an_ndc_is_left_when_only_the_comment_changes(tmp_path) -> None:  # noqa: ANN001
    """The lot's expiry and NDC come back with the syringe but are never saved with it: not a change."""
    ctx = open_clinic(str(tmp_path / "demo.sqlite"), principal=ALL_PERMISSIONS)
    try:
        build_demo(ctx, patients=3, sessions=3, seed=1)
        lot = next(x for x in list_lots(ctx) if x.item_code == "lidocaine-1" and x.expiry > date(2027, 1, 1))
        first = full_draft(ctx, 1, staff.list_staff(ctx, "physician")[0].id)
        first = replace(first, preparations=(Preparation("A", (Component("lidocaine-1", 4.0, lot.lot_number),)),),
                        consent_risks=tuple(r for r in first.consent_risks if r not in STEROID_RISKS))
        first, _ = drafts.save_draft(ctx, first), drafts.save_draft(ctx, first)  # rows after the first's
        assert first.preparations[0].components[0].ndc == lot.ndc != ""
        path = Path(ctx.url.removeprefix("sqlite:///"))
        stored = _rows(path, first.id)
        saved = drafts.save_draft(ctx, replace(first, comments="only the comment"))
        assert _rows(path, first.id) == stored
        assert saved == drafts.get_draft(ctx, first.id)
    finally:
        ctx.close()


def test_a_syringe_renamed_and_one_removed_leave_no_site_naming_a_lost_syringe(two_sessions) -> None:  # noqa: ANN001
    ctx, first = two_sessions
    syringe = first.preparations[0]
    second = drafts.save_draft(ctx, replace(first, preparations=(syringe, Preparation("B", (Component(
        "lidocaine-1", 2.0),))), sites=(*first.sites[:2], replace(first.sites[2], preparation_label="B"),
                                        first.sites[3])))
    assert [s.preparation_label for s in second.sites] == ["A", "A", "B", None]
    renamed = drafts.save_draft(ctx, replace(
        second, preparations=(replace(syringe, label="C"),),
        sites=tuple(replace(s, preparation_label="C") if s.preparation_label else s for s in second.sites)))
    again = drafts.get_draft(ctx, first.id)
    assert [p.label for p in again.preparations] == ["C"]
    assert [s.preparation_label for s in again.sites] == ["C", "C", "C", None]
    assert renamed == again
