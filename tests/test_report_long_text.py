"""Every free-text field at its maximum length prints (issue 12 item 4): the procedure note and the aftercare
sheet flow across pages, signed or not, and every character of the text is on the paper.

Maxima come from domain validation: the session's long fields (draft_rules.LONG_TEXT), its short fields
(SHORT_TEXT), the patient's names, MRN, phone, allergies and anticoagulant, the addendum (addenda.MAX_TEXT).
Site notes and override reasons have no limit of their own; they are tested at the long-field maximum.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from pypdf import PdfReader
from test_report_support import PASSWORD, add_patient, session_draft, setup_clinic, sign

from tpi_notes.db.repositories import reference
from tpi_notes.domain.addenda import MAX_TEXT as ADDENDUM_MAX
from tpi_notes.domain.draft_rules import LONG_FIELDS, LONG_TEXT, SHORT_FIELDS, SHORT_TEXT
from tpi_notes.domain.findings import FindingOverride
from tpi_notes.domain.patient import MAX_MRN_LENGTH, MAX_NAME_LENGTH
from tpi_notes.reports.page import PageDecor
from tpi_notes.services import documents, drafts
from tpi_notes.services.addenda import add_addendum
from tpi_notes.services.context import AppContext
from tpi_notes.services.patients import get_patient
from tpi_notes.services.sessions import get_session

REPEATED_HEADERS = ("Severity Finding Source Override / reason",)
# the cell beside the location, drawn between the pieces of a location cut over two rows
NEIGHBOURS = re.compile(r"Session#\d+\((draft|signed)\)")


def long_text(tag: str, length: int, *, lines: bool = True) -> str:
    """``length`` characters of numbered words (so a lost line shows), paragraph breaks, and one token of
    300 characters without a space (it must wrap inside the column)."""
    words, i = [f"{tag}-start"], 0
    while sum(len(w) + 1 for w in words) < length + 20:
        i += 1
        words.append(f"{tag}{i:04d}")
        if i == 40:
            words.append(tag + "Q" * (300 - len(tag)))
        if lines and i % 60 == 0:
            words[-1] += "\n"
    end = f" {tag}-end"
    text = " ".join(words).replace("\n ", "\n")
    return text[: length - len(end)].rstrip() + end


def squeezed(text: str) -> str:
    return "".join(text.split())


def printed(pdf: bytes, *, font_size: float = 8.0, header_on_first: bool = False) -> tuple[int, str]:
    """(pages, the text inside the page frames without whitespace): the running header, the footer and the
    diagonal watermark are left out by position, so text that runs across a page break reads on."""
    decor = PageDecor(clinic="", identity="", title="", font_size=font_size)
    reader = PdfReader(io.BytesIO(pdf))
    out: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        top = float(page.mediabox.height) - (decor.top_margin if number > 1 or header_on_first else 0)

        def keep(text: str, cm: list, tm: list, _font: object, _size: object, top: float = top) -> None:
            if abs(cm[1]) > 1e-6 or abs(tm[1]) > 1e-6:  # the rotated watermark
                return
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if decor.bottom_margin - 1 <= y <= top:
                out.append(text)

        page.extract_text(visitor_text=keep)
    text = squeezed("".join(out))
    for header in REPEATED_HEADERS:  # a table's header row is repeated on every page it runs onto
        text = text.replace(squeezed(header), "")
    return len(reader.pages), NEIGHBOURS.sub("", text)


def _save(ctx: AppContext, patient_id: int, doctor: int, **fields: object) -> int:
    saved = drafts.save_draft(ctx, session_draft(ctx, patient_id, doctor, 3, **fields))
    assert saved.id is not None
    return saved.id


@pytest.fixture
def clinic(ctx: AppContext) -> tuple[AppContext, int]:
    return ctx, setup_clinic(ctx)


@pytest.mark.parametrize("field", LONG_FIELDS)
def test_each_long_field_at_its_maximum_prints_whole_on_more_pages(clinic: tuple[AppContext, int],
                                                                    field: str) -> None:
    ctx, doctor = clinic
    patient = add_patient(ctx)
    short_id = _save(ctx, patient.id, doctor)
    text = long_text(field[:4], LONG_TEXT)
    assert len(text) == LONG_TEXT
    long_id = _save(ctx, patient.id, doctor, **{field: text})
    stored = getattr(get_session(ctx, long_id), field)
    assert len(stored) == LONG_TEXT
    short_pages, _ = printed(documents.procedure_note_pdf(ctx, short_id))
    pages, body = printed(documents.procedure_note_pdf(ctx, long_id))
    assert pages > short_pages, f"{field}: {pages} pages against {short_pages}"
    assert squeezed(stored) in body, f"{field} is not printed whole"


def test_every_field_at_its_maximum_at_once_signed_with_an_addendum(clinic: tuple[AppContext, int]) -> None:
    ctx, doctor = clinic
    with ctx.transaction() as s:  # the clinic's letterhead at its maxima too (domain/clinic.py)
        settings = reference.settings(s)
        settings.name = long_text("cn", 200, lines=False)
        settings.address = long_text("ca", 500)
        clinic_text = [settings.name, settings.address]
    patient = add_patient(ctx, family="F" * MAX_NAME_LENGTH, given="G" * (MAX_NAME_LENGTH - 5) + " Ann",
                          mrn="M" * MAX_MRN_LENGTH, phone="5" * 40, pregnant=True,
                          allergies=tuple(long_text(f"al{i}", 100, lines=False) for i in range(5)),
                          anticoagulant=long_text("ac", 100, lines=False))
    texts = {name: long_text(f"{name[:3]}{i}", LONG_TEXT) for i, name in enumerate(LONG_FIELDS)}
    texts |= {name: long_text(f"{name[:3]}{i}", SHORT_TEXT, lines=False) for i, name in enumerate(SHORT_FIELDS)}
    draft = session_draft(ctx, patient.id, doctor, 3, **texts)
    site_note = long_text("sn", LONG_TEXT)
    reason = long_text("ov", LONG_TEXT)
    draft = replace(draft, sites=(replace(draft.sites[0], note=site_note), *draft.sites[1:]),
                    overrides=(FindingOverride("pregnancy", "", reason),))
    saved = drafts.save_draft(ctx, draft)
    assert saved.id is not None
    session_id = saved.id
    record = get_session(ctx, session_id)
    wanted = [getattr(record, name) for name in (*LONG_FIELDS, *SHORT_FIELDS)] + [site_note, reason]
    wanted += [*get_patient(ctx, patient.id).allergies, patient.anticoagulant, patient.family_name, *clinic_text]

    pages_draft, body = printed(documents.procedure_note_pdf(ctx, session_id))
    missing = [w[:12] for w in wanted if squeezed(w) not in body]
    assert not missing, f"not printed whole on the draft: {missing}"
    assert pages_draft >= 8

    sign(ctx, session_id, doctor)
    addendum = long_text("ad", ADDENDUM_MAX)
    add_addendum(ctx, session_id, "addendum", addendum, doctor, PASSWORD)
    pages_signed, body = printed(documents.procedure_note_pdf(ctx, session_id))
    missing = [w[:12] for w in [*wanted, addendum] if squeezed(w) not in body]
    assert not missing, f"not printed whole on the signed note: {missing}"
    assert pages_signed > pages_draft

    for large in (False, True):
        pdf = documents.aftercare_pdf(ctx, session_id, large_print=large)
        pages, body = printed(pdf, font_size=18.0 if large else 9.0, header_on_first=True)
        # the clinician's free-text follow-up is never on the patient's sheet (issue 13 item 6); the usual line is
        assert "fol5-start" not in body and squeezed("Come to your next visit as planned") in body, large
        assert squeezed(patient.family_name) in body and pages >= (6 if large else 3)
