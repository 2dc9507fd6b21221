"""The selected patient's header: who they are, and the allergies and risks that change a procedure."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from tpi_notes.domain.bleeding import anticoagulant_taken
from tpi_notes.domain.history_answers import allergies_text, pregnancy_relevant, state_of
from tpi_notes.domain.patient import LANGUAGES, PatientRecord
from tpi_notes.domain.text_input import age_text, short_date
from tpi_notes.ui.flow_layout import FlowLayout
from tpi_notes.ui.style import BADGE_COLOURS, set_role


def allergy_badge(record: PatientRecord) -> tuple[str, str]:
    """(text, kind) of the allergy pill: the list, "No known allergies" only when chosen, else not recorded."""
    state = state_of(record, "allergies")
    if state == "yes":
        return "Allergies: " + allergies_text(record), "allergy"  # "Kenalog (allergy, hives); codeine (intolerance)"
    if state == "no":
        return "No known allergies", "no_allergy"
    return "Allergies: not recorded", "not_recorded"


def risk_badges(record: PatientRecord) -> list[tuple[str, str]]:
    """(text, kind) for each risk pill, in the order a clinician scans them."""
    badges: list[tuple[str, str]] = []
    drug = anticoagulant_taken(record)  # "None", "n/a", "—" typed as the drug are no drug
    if drug:
        badges.append((f"Anticoagulant: {drug}", "bleeding"))
    if record.bleeding_disorder:
        badges.append(("Bleeding disorder", "bleeding"))
    if record.diabetes:
        badges.append(("Diabetes (insulin)" if record.insulin else "Diabetes", "diabetes"))
    if record.pregnant:
        badges.append(("Pregnant", "pregnancy"))
    if record.breastfeeding:
        badges.append(("Breastfeeding", "pregnancy"))
    unasked = [word for word, item in (("pregnancy", "pregnant"), ("breastfeeding", "breastfeeding"))
               if state_of(record, item) == "unknown"]
    if unasked and pregnancy_relevant(record.sex, record.birth_date, date.today()):  # signing will ask for it
        badges.append((f"{' / '.join(unasked).capitalize()}: not recorded", "not_recorded"))
    if record.immunosuppressed:
        badges.append(("Immunosuppressed", "immunosuppressed"))
    if record.implanted_device:
        badges.append(("Implanted electronic device", "device"))
    return badges


class Badge(QLabel):
    """A small coloured pill; ``kind`` picks its colours from :data:`BADGE_COLOURS`."""

    def __init__(self, text: str, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.kind = kind
        background, foreground, border = BADGE_COLOURS[kind]
        weight = 600 if kind == "allergy" else 500
        self.setStyleSheet(
            f"QLabel {{ background: {background}; color: {foreground}; border: 1px solid {border};"
            f" border-radius: 10px; padding: 2px 10px; font-weight: {weight}; }}"
        )
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


class PatientHeader(QFrame):
    """Name, age, sex, DOB, MRN, weight with its date, then the allergy badge and the risk badges."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.name_label = QLabel(self)
        self.name_label.setObjectName("header_name")
        set_role(self.name_label, "title")
        self.name_label.setWordWrap(True)  # a 200-character name must not widen the window
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_label = QLabel(self)
        self.details_label.setObjectName("header_details")
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badge_row = FlowLayout(spacing=6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        layout.addWidget(self.name_label)
        layout.addWidget(self.details_label)
        layout.addLayout(self.badge_row)
        self.badges: list[Badge] = []

    def show_patient(self, record: PatientRecord, today: date) -> None:
        self.name_label.setText(record.display_name)
        self.name_label.setToolTip(record.display_name)
        self.details_label.setText(self.details_text(record, today))
        self._set_badges(record)

    @staticmethod
    def details_text(record: PatientRecord, today: date) -> str:
        parts: list[str] = []
        if record.birth_date is not None:
            parts.append(age_text(record.birth_date, today))
        parts.append(record.sex.capitalize())
        if record.birth_date is not None:
            parts.append(f"DOB {short_date(record.birth_date)}")
        parts.append(f"MRN {record.mrn}")
        if record.weight_kg is not None:
            when = f" ({short_date(record.weight_date)})" if record.weight_date else ""
            parts.append(f"{record.weight_kg:g} kg{when}")
        else:
            parts.append("Weight not recorded")
        if record.language != "en":
            parts.append(f"Prefers {LANGUAGES.get(record.language, record.language)}")
        if record.phone:
            parts.append(record.phone)
        # Break lines only between parts, never inside a phone number or a date.
        return "  ·  ".join(part.replace(" ", "\u00a0") for part in parts)

    def _set_badges(self, record: PatientRecord) -> None:
        while self.badge_row.count():
            item = self.badge_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.badges = []
        self.badges.append(Badge(*allergy_badge(record), self))
        self.badges.extend(Badge(text, kind, self) for text, kind in risk_badges(record))
        for badge in self.badges:
            self.badge_row.addWidget(badge)

    def badge_texts(self) -> list[str]:
        return [badge.text() for badge in self.badges]
