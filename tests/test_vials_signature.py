"""vials_opened (migration 0015) is under the signature only when set: every signature made before it verifies
unchanged, and a count recorded at signing cannot be changed afterwards without the hash noticing."""

from __future__ import annotations

from dataclasses import replace

from test_report_support import add_patient, save_session, setup_clinic, sign

from tpi_notes.db.repositories import session_records
from tpi_notes.domain.session import Component
from tpi_notes.domain.signing import record_content, record_sha256
from tpi_notes.services import drafts
from tpi_notes.services.context import AppContext


def _with_vials(record, vials):  # noqa: ANN001, ANN202
    preps = tuple(replace(p, components=tuple(replace(c, vials_opened=vials) for c in p.components))
                  for p in record.preparations)
    return replace(record, preparations=preps)


def test_a_component_without_a_count_hashes_as_before(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    session_id = save_session(ctx, add_patient(ctx).id, doctor, 2)
    sign(ctx, session_id, doctor)
    with ctx.read() as s:
        record = session_records.load(s, session_id)
    assert record is not None and record.content_sha256 == record_sha256(record)
    components = [c for p in record_content(record)["preparations"] for c in p["components"]]
    assert components and all(set(c) == {"item_code", "lot_number", "volume_ml"} for c in components)
    assert record_sha256(_with_vials(record, 3)) != record.content_sha256


def test_a_count_recorded_at_signing_is_signed(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    session_id = save_session(ctx, add_patient(ctx).id, doctor, 2)
    draft = drafts.get_draft(ctx, session_id)
    a = draft.preparations[0]
    counted = replace(a, components=tuple(replace(c, vials_opened=2) if c.item_code == "triamcinolone-40" else c
                                          for c in a.components))
    drafts.save_draft(ctx, replace(draft, preparations=(counted,)))
    sign(ctx, session_id, doctor)
    with ctx.read() as s:
        record = session_records.load(s, session_id)
    assert record is not None
    assert [c.vials_opened for c in record.preparations[0].components if c.item_code == "triamcinolone-40"] == [2]
    assert record.content_sha256 == record_sha256(record)
    assert record_sha256(_with_vials(record, None)) != record.content_sha256
    assert isinstance(record.preparations[0].components[0], Component)
