"""Issue 16 item 2 as an outside tester would check it: phrases in every free-text field of the note, inserted
where the user means them, and ICD-10-CM favourites first and billable.

Scenarios (each failed before its fix): a phrase picked over selected text replaced it with a stray leading
space; a phrase picked in a one-answer field (complications "None") was appended to the answer ("None Brief
vasovagal…"); the reason to proceed despite a stop and the addendum text took no phrases; the physician's
favourites came after the generic codes of the muscles; a header code (M79.1) was kept as a favourite.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from PySide6.QtCore import Qt  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402

from tpi_notes.domain import phrases as rules  # noqa: E402
from tpi_notes.domain.errors import ValidationError  # noqa: E402
from tpi_notes.domain.findings import Finding  # noqa: E402
from tpi_notes.domain.permissions import Principal  # noqa: E402
from tpi_notes.domain.session import Diagnosis  # noqa: E402
from tpi_notes.services import phrases, staff  # noqa: E402
from tpi_notes.ui.addendum_dialog import AddendumDialog  # noqa: E402
from tpi_notes.ui.editor.phrase_picker import PhrasePicker  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def as_physician(clinic: Clinic) -> None:
    clinic.ctx.act_as(Principal.for_user(clinic.physician_id, "ahart", "Amelia Hart", ("physician",)))


def pick(qtbot: QtBot, picker: PhrasePicker, words: str) -> None:
    qtbot.keyClicks(picker.filter, words)
    assert picker.list.count() >= 1, words
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    assert not picker.isVisible()


def test_a_phrase_picked_over_selected_text_replaces_it(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    as_physician(clinic)
    editor = make_editor()
    box = editor.pre.conservative_care
    qtbot.mouseClick(box.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(box, "NSAIDs")
    qtbot.keyClick(box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # select it all, then F2
    qtbot.keyClick(box, Qt.Key.Key_F2)
    pick(qtbot, editor.phrases.active, "rehabilitation twice")
    wanted = "Currently in a rehabilitation program (physical therapy twice a week) alongside the injections."
    assert box.toPlainText() == wanted  # was " Currently in …": a space before it, from the text it replaced
    assert editor.current_draft().conservative_care == wanted
    # at the end of some text, a phrase follows after one space, as before
    qtbot.keyClicks(box, " Tried:")
    qtbot.keyClick(box, Qt.Key.Key_F2)
    pick(qtbot, editor.phrases.active, "ergonomic")
    assert box.toPlainText().startswith(wanted + " Tried: Ergonomic changes at work")


@pytest.mark.parametrize(("field", "words", "wanted"), [
    ("complications", "vasovagal", "Brief vasovagal reaction, resolved lying flat within 5 minutes"),
    ("tolerance", "twitch", "Tolerated well; local twitch responses elicited"),
    ("blood_loss", "hemostasis", "Minimal; hemostasis with pressure, adhesive dressings applied"),
    ("disposition", "escort", "Home with an escort after observation, stable"),
])
def test_a_phrase_in_a_one_answer_field_is_the_answer(qtbot, make_editor, clinic: Clinic, field: str,  # noqa: ANN001
                                                      words: str, wanted: str) -> None:
    as_physician(clinic)
    editor = make_editor()
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    combo = getattr(editor.post, field)
    assert combo.currentText()  # the clinic's default answer ("None", "Tolerated well" …)
    line = combo.lineEdit()
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton)
    qtbot.keyClick(line, Qt.Key.Key_End)
    qtbot.keyClick(line, Qt.Key.Key_F2)
    pick(qtbot, editor.phrases.active, words)
    assert combo.currentText() == wanted  # was "None Brief vasovagal …"
    assert getattr(editor.current_draft(), field) == wanted


def test_every_free_text_field_takes_phrases_the_override_reason_and_addendum_too(qtbot, make_editor,  # noqa: ANN001
                                                                                  clinic: Clinic) -> None:
    as_physician(clinic)
    lib = rules.library()
    for field in ("override_reason", "addendum"):
        assert field in rules.PHRASE_FIELDS and len(lib.phrases[field]) >= 2, field
    editor = make_editor()
    dialog = editor.findings.ask_reason(Finding("anticoagulant", "stop", "On warfarin.", "test", subject="warfarin"))
    qtbot.mouseClick(dialog.reason.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(dialog.reason, Qt.Key.Key_F2)
    picker = dialog.findChild(PhrasePicker)
    assert picker is not None and picker.isVisible() and picker.field == "override_reason"
    pick(qtbot, picker, "prescribing")
    assert "prescribing physician" in dialog.reason.toPlainText()
    dialog.reject()

    physicians = staff.list_staff(clinic.ctx, "physician")
    # one's own addendum phrase with non-ASCII text, found by its words typed without the accents
    saved = phrases.save_phrase(clinic.ctx, "addendum", "Patientin telefonisch erreicht: Hämatom rückläufig, "
                                "keine Beschwerden.")
    addendum = AddendumDialog(clinic.ctx, 1, physicians, clinic.physician_id)
    qtbot.addWidget(addendum)
    addendum.show()
    qtbot.mouseClick(addendum.text.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(addendum.text, "Day 2:")
    qtbot.keyClick(addendum.text, Qt.Key.Key_F2)
    picker = addendum.findChild(PhrasePicker)
    assert picker is not None and picker.field == "addendum"
    assert picker.current().id == saved.id  # one's own first
    pick(qtbot, picker, "hamatom rucklaufig")
    assert addendum.text.toPlainText() == "Day 2: Patientin telefonisch erreicht: Hämatom rückläufig, keine Beschwerden."
    qtbot.keyClick(addendum.text, Qt.Key.Key_F2)
    [again] = [p for p in addendum.findChildren(PhrasePicker) if p.isVisible()]
    pick(qtbot, again, "telephone next day")
    assert addendum.text.toPlainText().endswith(" Patient reached by telephone the next day: mild soreness only; no "
                                                "bleeding, swelling, fever or shortness of breath.")


def test_the_physicians_favourites_come_first(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    as_physician(clinic)
    phrases.add_favourite(clinic.ctx, Diagnosis("M79.7", "Fibromyalgia"))
    phrases.add_favourite(clinic.ctx, Diagnosis("M79.18", "Myalgia, other site"))
    editor = make_editor()
    click_region(qtbot, editor, region("gluteus_medius", "posterior", "L"))
    names = [b.objectName() for b in editor.diagnosis_help.buttons]
    # the favourite the muscles also suggest, then the other favourite, then the muscles' other codes
    assert names == ["suggest_M79.18", "suggest_M79.7", "suggest_M62.838"]
    assert "favourite" in editor.diagnosis_help.buttons[0].toolTip()


def test_a_header_code_is_never_kept_as_a_favourite(clinic: Clinic) -> None:
    as_physician(clinic)
    for header in ("M79.1", "M54.5", "G44.2"):
        with pytest.raises(ValidationError, match="not a billable"):
            phrases.add_favourite(clinic.ctx, Diagnosis(header, "Myalgia"))
    assert phrases.favourites(clinic.ctx) == []
    phrases.add_favourite(clinic.ctx, Diagnosis("m79.12", ""))  # typed in lower case, without its title
    assert phrases.favourites(clinic.ctx) == [Diagnosis("M79.12", "Myalgia of auxiliary muscles, head and neck")]


def test_a_favourite_is_taken_off_with_its_star(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    as_physician(clinic)
    editor = make_editor()
    picker = editor.pre.diagnoses
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    qtbot.mouseClick(picker.search_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(picker.search_edit, "M79.7")
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    [row] = picker.rows()
    assert row.favourite_button.text() == "☆"
    qtbot.mouseClick(row.favourite_button, Qt.MouseButton.LeftButton)
    [row] = picker.rows()
    assert row.favourite_button.text() == "★" and "Remove M79.7" in row.favourite_button.toolTip()
    assert [d.code for d in phrases.favourites(clinic.ctx)] == ["M79.7"]
    qtbot.mouseClick(row.favourite_button, Qt.MouseButton.LeftButton)  # was: no way to take a favourite off
    [row] = picker.rows()
    assert row.favourite_button.text() == "☆"
    assert phrases.favourites(clinic.ctx) == []
    second = make_editor()
    assert not [b for b in second.diagnosis_help.buttons if b.objectName() == "suggest_M79.7"]


@pytest.mark.parametrize(("muscle", "view", "technique", "wanted"), [
    ("upper_trapezius", "posterior", "injection", ["M79.12", "G44.209", "M54.2"]),  # neck: head and neck muscles
    ("rhomboid_major", "posterior", "dry_needling", ["M79.18", "M62.830"]),  # upper back, dry needling alike
    ("iliocostalis_lumborum", "posterior", "injection", ["M79.18", "M62.830", "M54.50"]),  # low back: M54.50, not M54.5
    ("gluteus_medius", "posterior", "dry_needling", ["M79.18", "M62.838"]),
    ("gastrocnemius", "posterior", "injection", ["M79.18", "M62.838"]),
    ("pectoralis_major", "anterior", "injection", ["M79.18", "M62.838"]),
    ("deltoid", "posterior", "injection", ["M79.18", "M62.838"]),  # was M62.830, muscle spasm of *back*
])
def test_codes_suggested_for_each_region_are_billable_and_fit_it(clinic: Clinic, muscle: str, view: str,  # noqa: ANN001
                                                                 technique: str, wanted: list[str]) -> None:
    from datetime import date

    from tpi_notes.anatomy import load_atlas
    from tpi_notes.domain import icd10
    from tpi_notes.domain.sites import place_site

    as_physician(clinic)
    atlas = load_atlas()
    reg = next(r for r in atlas.regions if (r.muscle_id, r.view) == (muscle, view))
    site = place_site(atlas, reg.view, *reg.anchor, 1, technique)
    assert site.muscle_id == muscle
    for day in (date(2026, 9, 30), date(2026, 10, 1)):  # the last day of FY2026, the first of FY2027
        offered = phrases.suggested_diagnoses(clinic.ctx, [site], (), day, atlas.version)
        assert [d.code for d, _why in offered] == wanted, day
        assert all(icd10.lookup(d.code, day) == d for d, _why in offered)


def test_the_reason_for_unticking_a_risk_takes_phrases_too(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    from PySide6.QtCore import QPoint

    from tpi_notes.domain.draft import NEAR_LUNG_RISK

    as_physician(clinic)
    editor = make_editor()
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))  # over the lung: pneumothorax ticked
    box = editor.pre.risk_boxes[NEAR_LUNG_RISK]
    assert box.isChecked()
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    editor.tab_pages["pre"].ensureWidgetVisible(box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    dialog = editor.pre.active_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.mouseClick(dialog.reason.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(dialog.reason, Qt.Key.Key_F2)  # was: nothing (only the findings panel's reason had phrases)
    [picker] = [p for p in dialog.findChildren(PhrasePicker) if p.isVisible()]
    assert picker.field == "override_reason"
    pick(qtbot, picker, "consent form")
    assert dialog.reason.toPlainText() == "Risk discussed with the patient, who accepts it; documented on the consent form."
    dialog.reject()
