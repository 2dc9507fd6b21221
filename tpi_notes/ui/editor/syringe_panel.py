"""The Syringes tab: every syringe of the session, "Add syringe", and syringe errors at their rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from tpi_notes.domain.session import Preparation, Site
from tpi_notes.ui.editor.reference import EditorReference
from tpi_notes.ui.editor.syringes import SyringeBox, default_component, next_label, parse_key
from tpi_notes.ui.editor.vial_desk import VialDesk
from tpi_notes.ui.style import set_role

INTRO = ("Draw up each syringe here. Injection sites take their volume from a syringe; the mg of each drug "
         "at each site follows from the mix.")


class SyringePanel(QWidget):
    changed = Signal()
    """A syringe or one of its drugs changed."""
    labels_changed = Signal(list)
    """Syringes were added or removed: the labels now available."""

    def __init__(self, reference: EditorReference, day: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reference = reference
        self._day = day
        self._sites: list[Site] = []
        self._desk: VialDesk | None = None
        self.boxes: list[SyringeBox] = []
        intro = QLabel(INTRO, self)
        intro.setWordWrap(True)
        set_role(intro, "hint")
        self.empty_label = QLabel("No syringe yet. Dry needling needs none; for injections add syringe A.", self)
        set_role(self.empty_label, "hint")
        self.add_button = QPushButton("+ Add syringe", self)
        self.add_button.setObjectName("add_syringe")
        self.add_button.setAutoDefault(False)
        self.add_button.setToolTip("A new syringe starts as lidocaine 1 % 5 mL; take the open vial or scan one "
                                   "for its lot")
        self.add_button.clicked.connect(lambda: self.add_syringe(focus=True))
        self.box_layout = QVBoxLayout()
        self.box_layout.setSpacing(10)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addWidget(self.empty_label)
        layout.addLayout(self.box_layout)
        layout.addLayout(buttons)
        layout.addStretch(1)

    # -- value ----------------------------------------------------------------------------------------
    def preparations(self) -> tuple[Preparation, ...]:
        return tuple(box.preparation() for box in self.boxes)

    def labels(self) -> list[str]:
        return [box.label for box in self.boxes]

    def box(self, label: str) -> SyringeBox | None:
        return next((b for b in self.boxes if b.label == label), None)

    def load(self, preparations: tuple[Preparation, ...]) -> None:
        for box in list(self.boxes):
            self._drop(box)
        for prep in preparations:
            box = self._make_box(prep.label)
            box.load(prep)
        self._after_change(emit=False)

    def add_syringe(self, *, focus: bool = False) -> SyringeBox:
        """A new syringe with the clinic's default first drug (lidocaine 1 % 5 mL), its lot still to confirm."""
        box = self._make_box(next_label(self.labels()))
        box.add_row(default_component(self._reference), emit=False)
        box.update_mix()
        self._after_change(emit=True)
        if focus and box.rows:
            box.rows[0].item.setFocus()
        return box

    def _make_box(self, label: str) -> SyringeBox:
        box = SyringeBox(label, self._reference, self._day, self, self._desk)
        box.changed.connect(self._on_box_changed)
        box.remove_requested.connect(self.remove_syringe)
        self.boxes.append(box)
        self.box_layout.addWidget(box)
        return box

    @Slot(str)
    def remove_syringe(self, label: str) -> None:
        box = self.box(label)
        if box is None:
            return
        users = [str(s.number) for s in self._sites if s.technique == "injection" and s.preparation_label == label]
        if users:
            answer = QMessageBox.question(
                self, "Remove syringe",
                f"Syringe {label} is used at site{'s' if len(users) > 1 else ''} {', '.join(users)}. Remove it "
                "anyway? Those sites will need another syringe before the session can be saved.")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._drop(box)
        self._after_change(emit=True)

    def _drop(self, box: SyringeBox) -> None:
        self.boxes.remove(box)
        self.box_layout.removeWidget(box)
        box.hide()
        box.deleteLater()

    def _after_change(self, *, emit: bool) -> None:
        self.empty_label.setVisible(not self.boxes)
        for box in self.boxes:
            box.set_usage(self._sites)
        self.labels_changed.emit(self.labels())
        if emit:
            self.changed.emit()

    @Slot()
    def _on_box_changed(self) -> None:
        for box in self.boxes:
            box.set_usage(self._sites)
        self.changed.emit()

    def set_sites(self, sites: list[Site]) -> None:
        self._sites = sites
        for box in self.boxes:
            box.set_usage(sites)
            box.refresh_offers()  # the room (the session's location) may have changed

    def set_desk(self, desk: VialDesk) -> None:
        """The editor's open vials and scans (set once, after the panel is built)."""
        self._desk = desk
        for box in self.boxes:
            box.set_desk(desk)

    def refresh_expiry(self) -> None:
        for box in self.boxes:
            box.refresh_expiry()

    def refresh_offers(self) -> None:
        """Every row's open-vial offer again (a vial was recorded or discarded in one of them)."""
        for box in self.boxes:
            box.refresh_offers()

    @Slot(str)
    def draw_up(self, label: str) -> None:
        """The findings panel's fix of an overdrawn syringe: draw up what its sites take."""
        box = self.box(label)
        if box is not None:
            box.draw_up_for_sites()

    # -- errors ---------------------------------------------------------------------------------------
    def clear_errors(self) -> None:
        for box in self.boxes:
            box.clear_errors()

    def show_errors(self, errors: dict[str, str]) -> tuple[list[QWidget], dict[str, str]]:
        """Messages at their syringe rows; returns the fields marked and the messages not placed."""
        marked: list[QWidget] = []
        left: dict[str, str] = {}
        for key, message in errors.items():
            parsed = parse_key(key)
            box = self.box(parsed[0]) if parsed else None
            if parsed is None or box is None:
                left[key] = message
                continue
            _label, index, field = parsed
            marked.append(box.show_error(index, field, message))
        return marked, left
