"""The patient dialog: names in any script round-trip, bad input is refused at the field and nothing
is written, edits are saved, and a save that lost a race with another workstation does not overwrite."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402
from datetime import date, timedelta  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLabel, QLineEdit  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("ui_fixtures")  # its helpers assert too; it is also a plugin (below)
from ui_fixtures import (  # noqa: E402
    MakeWindow,
    add_patient,
    click_save,
    listed_names,
    open_edit_dialog,
    open_new_dialog,
    search,
    type_into,
    type_text,
)

from tpi_notes.domain.patient import PatientInput  # noqa: E402
from tpi_notes.domain.text_input import parse_date, parse_weight  # noqa: E402
from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.patient_dialog import PatientDialog  # noqa: E402

pytest_plugins = ["ui_fixtures"]

NAMES = [
    # (family, given, MRN, search texts that must find exactly this patient)
    ("Nguyễn", "Thị Ánh", "VN-001", ["nguyen", "Nguyễn", "thi anh"]),
    ("Ødegård", "Øyvind", "NO-002", ["ødegård", "odegard", "øyvind"]),
    ("Петрова", "Ирина", "RU-003", ["ирина", "ПЕТРОВА"]),
]


def error_text(dialog: PatientDialog, name: str) -> str:
    label = dialog.findChild(QLabel, f"error_{name}")
    assert label is not None, f"no error label for {name}"
    return label.text() if label.isVisible() else ""


def shown_errors(dialog: PatientDialog) -> dict[str, str]:
    return {name: label.text() for name, label in dialog.form.errors.items() if label.isVisible()}


def fill_valid(qtbot: QtBot, dialog: PatientDialog, **overrides: str) -> None:
    values = {"mrn": "M-100", "family_name": "Doe", "given_name": "Jane", "birth_date": "1980-03-14"}
    values.update(overrides)
    type_into(qtbot, dialog, **values)


def test_fields_are_named_and_reachable_by_tab(make_window: MakeWindow, qtbot: QtBot) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    for name in ("mrn", "family_name", "given_name", "birth_date", "sex", "weight_kg", "phone", "language",
                 "allergies", "anticoagulant", "bleeding_disorder", "diabetes", "insulin", "pregnant",
                 "breastfeeding", "immunosuppressed", "implanted_device"):
        field = dialog.findChild(object, f"field_{name}")
        assert field is not None, name
        assert field.focusPolicy() & Qt.FocusPolicy.TabFocus, name
        assert dialog.findChild(QLabel, f"error_{name}") is not None, name
    assert dialog.isModal()
    assert dialog.save_button.isDefault()


def test_enter_saves(make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    fill_valid(qtbot, dialog)
    qtbot.keyClick(dialog.form.birth_date, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert patient_service.count_patients(clinic_ctx) == 1


def test_enter_in_the_anticoagulant_combo_saves(make_window: MakeWindow, qtbot: QtBot,
                                                clinic_ctx: AppContext) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    fill_valid(qtbot, dialog)
    line = dialog.form.anticoagulant.lineEdit()
    qtbot.keyClicks(line, "apixaban")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.saved is not None
    assert patient_service.get_patient(clinic_ctx, dialog.saved.id).anticoagulant == "apixaban"


@pytest.mark.parametrize("typed", ["None", "n/a", "-", "Denies"])  # "—" is in test_bleeding_risk.py
def test_none_typed_as_the_anticoagulant_is_no_anticoagulant(make_window: MakeWindow, qtbot: QtBot,
                                                             clinic_ctx: AppContext, typed: str) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    fill_valid(qtbot, dialog)
    line = dialog.form.anticoagulant.lineEdit()
    qtbot.keyClicks(line, typed)
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.saved is not None
    assert patient_service.get_patient(clinic_ctx, dialog.saved.id).anticoagulant == ""
    window.patient_list.select_patient(dialog.saved.id)
    assert not any("Anticoagulant" in text for text in window.patient_view.header.badge_texts())


def test_names_in_any_script_round_trip_and_are_found(make_window: MakeWindow, qtbot: QtBot,
                                                      clinic_ctx: AppContext) -> None:
    window = make_window()
    for family, given, mrn, _ in NAMES:
        dialog = open_new_dialog(qtbot, window)
        type_into(qtbot, dialog, mrn=mrn, family_name=family, given_name=given, birth_date="14.03.1980")
        click_save(qtbot, dialog)
        qtbot.waitUntil(lambda d=dialog: not d.isVisible())
        assert dialog.saved is not None
        stored = patient_service.get_patient(clinic_ctx, dialog.saved.id)
        assert (stored.family_name, stored.given_name, stored.mrn) == (family, given, mrn)
        assert stored.birth_date == date(1980, 3, 14)
    assert len(listed_names(window)) == 3
    for family, given, _, texts in NAMES:
        for text in texts:
            search(qtbot, window, text, [f"{family}, {given}"])


def test_the_date_field_echoes_what_it_understood(make_window: MakeWindow, qtbot: QtBot) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    echo = dialog.form.echoes["birth_date"]
    today = date.today()
    age = today.year - 1980 - ((today.month, today.day) < (3, 14))
    for typed in ("1980-03-14", "03/14/1980", "14.03.1980"):
        type_into(qtbot, dialog, birth_date=typed)
        assert echo.text() == f"14 March 1980 ({age} y)"
    type_into(qtbot, dialog, birth_date="1980-02-30")
    assert "not a real calendar date" in echo.text()


def test_parsers_accept_the_documented_forms() -> None:
    assert parse_weight("72.5") == parse_weight("72,5") == parse_weight(" 72.5 kg ") == 72.5
    assert parse_weight("") is None
    assert parse_date("2000-01-02") == parse_date("01/02/2000") == parse_date("02.01.2000") == date(2000, 1, 2)
    with pytest.raises(ValueError):
        parse_weight("abc")
    with pytest.raises(ValueError):
        parse_date("2000/01/02")


INVALID = [
    pytest.param({"family_name": "", "given_name": ""}, ["family_name", "given_name"], id="empty-names"),
    pytest.param({"birth_date": (date.today() + timedelta(days=1)).isoformat()}, ["birth_date"], id="dob-future"),
    pytest.param({"birth_date": ""}, ["birth_date"], id="dob-missing"),
    pytest.param({"weight_kg": "1000"}, ["weight_kg"], id="weight-1000"),
    pytest.param({"weight_kg": "abc"}, ["weight_kg"], id="weight-abc"),
    pytest.param({"birth_date": "31/31/1980"}, ["birth_date"], id="dob-unparseable"),
    pytest.param({"mrn": "has space"}, ["mrn"], id="mrn-space"),
]


@pytest.mark.parametrize(("overrides", "bad_fields"), INVALID)
def test_invalid_input_is_refused_at_the_field(make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext,
                                               overrides: dict[str, str], bad_fields: list[str]) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    fill_valid(qtbot, dialog, **overrides)
    click_save(qtbot, dialog)
    assert dialog.isVisible() and dialog.saved is None
    assert sorted(shown_errors(dialog)) == sorted(bad_fields)
    for name in bad_fields:
        assert error_text(dialog, name)
        assert dialog.form.inputs[name].property("invalid") is True
    assert dialog.focusWidget() is dialog.form.inputs[bad_fields[0]]
    assert patient_service.count_patients(clinic_ctx) == 0
    # Correcting the field and saving again clears the messages and saves.
    fill_valid(qtbot, dialog, **{"weight_kg": ""} if "weight_kg" in bad_fields else {})
    if "mrn" in bad_fields:
        type_into(qtbot, dialog, mrn="M-100")
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert patient_service.count_patients(clinic_ctx) == 1


def test_unparseable_text_never_reaches_the_service(make_window: MakeWindow, qtbot: QtBot,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_be_called(*_args: object) -> None:
        raise AssertionError("create_patient called with unparseable input")

    monkeypatch.setattr(patient_service, "create_patient", must_not_be_called)
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    fill_valid(qtbot, dialog, weight_kg="seventy", birth_date="14-03-1980")
    click_save(qtbot, dialog)
    assert sorted(shown_errors(dialog)) == ["birth_date", "weight_kg"]
    assert "seventy" in error_text(dialog, "weight_kg")


def test_comma_decimal_weight_is_accepted(make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    fill_valid(qtbot, dialog, weight_kg="72,5")
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.saved is not None and dialog.saved.weight_kg == 72.5
    assert dialog.saved.weight_date == clinic_ctx.today()


def test_duplicate_mrn_is_refused(make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext) -> None:
    add_patient(clinic_ctx, mrn="DUP-1")
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    fill_valid(qtbot, dialog, mrn="dup-1", family_name="Other")
    click_save(qtbot, dialog)
    assert "already belongs" in error_text(dialog, "mrn")
    assert patient_service.count_patients(clinic_ctx) == 1


def test_a_10000_character_name_is_refused(make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    fill_valid(qtbot, dialog)
    field = dialog.form.inputs["family_name"]
    assert isinstance(field, QLineEdit)
    field.setText("A" * 10_000)  # as pasted; the field must not silently truncate it
    assert len(field.text()) == 10_000
    click_save(qtbot, dialog)
    assert "at most 100" in error_text(dialog, "family_name")
    assert patient_service.count_patients(clinic_ctx) == 0


def answer(qtbot: QtBot, dialog: PatientDialog, name: str, choice: str) -> None:
    """Pick ``choice`` in the ``field_<name>`` combo with the keyboard (Home, then Down), as a person would."""
    combo = dialog.form.inputs[name]
    combo.setFocus()
    target = combo.findText(choice)
    assert target >= 0, choice
    for _ in range(combo.count() + 1):  # Up to the first item (Home moves the cursor of an editable one)
        qtbot.keyClick(combo, Qt.Key.Key_Up)
    if combo.currentIndex() < 0:
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    for _ in range(target - combo.currentIndex()):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentIndex() == target


def test_insulin_only_with_diabetes(make_window: MakeWindow, qtbot: QtBot) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    insulin = dialog.form.checks["insulin"]
    assert not insulin.isEnabled()
    answer(qtbot, dialog, "diabetes", "Yes")
    assert insulin.isEnabled()
    qtbot.mouseClick(insulin, Qt.MouseButton.LeftButton)
    assert insulin.isChecked()
    answer(qtbot, dialog, "diabetes", "No")
    assert not insulin.isEnabled() and not insulin.isChecked()


def test_editing_changes_the_patient(make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext) -> None:
    record = add_patient(clinic_ctx, weight_kg=70.0, weight_date=date(2020, 1, 1))
    window = make_window()
    assert window.patient_list.select_patient(record.id)
    dialog = open_edit_dialog(qtbot, window)
    assert dialog.form.weight_kg.text() == "70"
    assert dialog.form.echoes["weight_kg"].text() == "Weighed 1 Jan 2020"
    type_into(qtbot, dialog, given_name="Janet", allergies="lidocaine, latex", anticoagulant="warfarin")
    answer(qtbot, dialog, "diabetes", "Yes")
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    stored = patient_service.get_patient(clinic_ctx, record.id)
    assert stored.given_name == "Janet"
    assert stored.allergies == ("lidocaine", "latex")
    assert stored.anticoagulant == "warfarin" and stored.diabetes
    assert (stored.weight_kg, stored.weight_date) == (70.0, date(2020, 1, 1))  # unchanged weight keeps its date
    assert stored.row_version > record.row_version
    assert window.patient_view.header.name_label.text() == "Doe, Janet"


def test_a_stale_edit_is_refused_and_can_be_reloaded(make_window: MakeWindow, qtbot: QtBot,
                                                     clinic_ctx: AppContext) -> None:
    record = add_patient(clinic_ctx, phone="111")
    window = make_window()
    window.patient_list.select_patient(record.id)
    dialog = open_edit_dialog(qtbot, window)
    # Another workstation saves first.
    theirs = PatientInput(**{k: getattr(record, k) for k in PatientInput.__dataclass_fields__})
    patient_service.update_patient(clinic_ctx, record.id, replace(theirs, phone="222"), record.row_version)
    type_into(qtbot, dialog, phone="333")
    click_save(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.banner.isVisible()
    assert "another workstation" in dialog.banner_label.text()
    assert patient_service.get_patient(clinic_ctx, record.id).phone == "222"  # not overwritten
    qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert not dialog.banner.isVisible()
    assert dialog.form.phone.text() == "222"
    type_into(qtbot, dialog, phone="333")
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert patient_service.get_patient(clinic_ctx, record.id).phone == "333"


# -- "not asked" is not "no" (issue 13 item 2) -------------------------------------------------------------
def test_a_new_patient_starts_with_every_question_not_asked(make_window: MakeWindow, qtbot: QtBot,
                                                           clinic_ctx: AppContext) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    for name in ("allergy_status", "bleeding_disorder", "diabetes", "pregnant", "breastfeeding", "immunosuppressed",
                 "implanted_device"):
        assert dialog.form.inputs[name].currentText() == "Not asked", name
    fill_valid(qtbot, dialog)
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    stored = patient_service.get_patient(clinic_ctx, dialog.saved.id)
    assert all(stored.history.get(item).state == "unknown" for item in ("allergies", "pregnant", "diabetes"))
    header = window.patient_view.header.badge_texts()
    assert "Allergies: not recorded" in header and "No known allergies" not in header
    assert "Pregnancy / breastfeeding: not recorded" in header  # 46, sex unknown: she could be pregnant


def test_tri_state_answers_and_no_known_allergies_are_saved_with_who_and_when(
        make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    fill_valid(qtbot, dialog, allergies="latex")
    assert dialog.form.inputs["allergy_status"].currentText() == "Allergies (list them)"  # typing answers it
    answer(qtbot, dialog, "allergy_status", "No known allergies")
    assert dialog.form.allergies.text() == ""
    answer(qtbot, dialog, "pregnant", "No")
    answer(qtbot, dialog, "breastfeeding", "Yes")
    answer(qtbot, dialog, "diabetes", "No")
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    stored = patient_service.get_patient(clinic_ctx, dialog.saved.id)
    states = {item: stored.history.get(item).state for item in ("allergies", "pregnant", "breastfeeding",
                                                                 "diabetes", "bleeding_disorder")}
    assert states == {"allergies": "no", "pregnant": "no", "breastfeeding": "yes", "diabetes": "no",
                      "bleeding_disorder": "unknown"}
    assert stored.breastfeeding and not stored.pregnant
    assert stored.history.get("allergies").recorded_by == clinic_ctx.actor
    assert stored.history.get("allergies").recorded_at is not None
    header = window.patient_view.header.badge_texts()
    assert "No known allergies" in header and "Breastfeeding" in header
    assert not any("not recorded" in text for text in header)
    # the edit dialog shows the answers as recorded
    again = open_edit_dialog(qtbot, window)
    assert again.form.inputs["allergy_status"].currentText() == "No known allergies"
    assert again.form.inputs["pregnant"].currentText() == "No"
    assert again.form.inputs["bleeding_disorder"].currentText() == "Not asked"
    assert again.form.inputs["allergy_status"].toolTip().startswith(f"Recorded by {clinic_ctx.actor} on ")
    assert again.form.inputs["bleeding_disorder"].toolTip() == ""


def test_the_anticoagulant_is_a_pick_list_with_none_and_other(make_window: MakeWindow, qtbot: QtBot,
                                                              clinic_ctx: AppContext) -> None:
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    combo = dialog.form.anticoagulant
    items = [combo.itemText(i) for i in range(combo.count())]
    assert items[0] == "None" and items[-1] == "Other (type the name)"
    assert {"warfarin", "apixaban", "rivaroxaban", "dabigatran", "edoxaban", "enoxaparin", "heparin", "clopidogrel",
            "prasugrel", "ticagrelor", "aspirin"} <= set(items)
    fill_valid(qtbot, dialog)
    answer(qtbot, dialog, "allergy_status", "No known allergies")
    answer(qtbot, dialog, "anticoagulant", "None")
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    stored = patient_service.get_patient(clinic_ctx, dialog.saved.id)
    assert stored.anticoagulant == "" and stored.history.get("anticoagulant").state == "no"
    edit = open_edit_dialog(qtbot, window)
    answer(qtbot, edit, "anticoagulant", "Other (type the name)")
    line = edit.form.anticoagulant.lineEdit()
    assert line.text() == ""
    type_text(qtbot, line, "fondaparinux")
    click_save(qtbot, edit)
    qtbot.waitUntil(lambda: not edit.isVisible())
    stored = patient_service.get_patient(clinic_ctx, stored.id)
    assert stored.anticoagulant == "fondaparinux" and stored.history.get("anticoagulant").state == "yes"
