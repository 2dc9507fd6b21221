"""The signed note prints the PEG with its date and change since the first and the last visit, and the response
to prior injections (dates, muscles, agents, relief, duration) (issue 17 item 3)."""

from __future__ import annotations

from test_outcomes_data import _two_visits
from test_report_support import flat, pdf_pages, sign

from tpi_notes.services import documents
from tpi_notes.services.context import AppContext
from tpi_notes.services.sessions import get_session


def test_the_signed_note_prints_peg_change_and_the_response_to_prior_injections(ctx: AppContext) -> None:
    doctor, first, second = _two_visits(ctx)
    sign(ctx, second, doctor)
    earlier = get_session(ctx, first)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, second))))
    assert "Function and response to prior injections" in text
    assert "pain on average 4, interference with enjoyment of life 3, interference with general activity 4: " \
           "score 3.7" in text
    day = f"{earlier.performed_start:%Y-%m-%d}"
    # 3.7 now against 7.3 at the first (and last) earlier visit
    assert f"-3.6, -49 % since the first visit (7.3 on {day})" in text
    assert f"-3.6, -49 % since the last visit (7.3 on {day})" in text
    a, b = earlier.sites[0], earlier.sites[1]
    assert f"{day} (#{first}) {a.side} {a.muscle.lower()} Lidocaine 1 %" in text
    assert "70 % still lasting at 8 weeks" in text and "20 % lasted 1 week" in text
    assert f"{b.side} {b.muscle.lower()}" in text


def test_a_first_visit_note_has_no_earlier_peg_to_compare_with(ctx: AppContext) -> None:
    doctor, first, _second = _two_visits(ctx)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, first))))
    assert "PEG-3 (" in text and "no earlier PEG (first)" in text  # the first visit has nothing to compare
