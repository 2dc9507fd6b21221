"""Adding a site by typing (issue 16 item 5): a muscle name with completion, the side, the technique, then Enter.

Every muscle the atlas charts is found, deep ones included (piriformis, quadratus lumborum, the scalenes: the
site goes on the region above them, assigned to the deep muscle), by its name, the start of its words ("glute
med") or a clinician's abbreviation ("QL", "SCM", "traps"; domain/muscle_lookup.py). A side word typed at
either end ("R upper trap", "levator bilat") chooses the PATIENT's side, else the side box does. A name that
matches several muscles lists them and adds nothing until one is chosen (↓ then Enter); an unknown one says so.

The site lands on the muscle's anchor in the view that has it (the back view first when the muscle is drawn on
both, as trigger points are mostly charted there; a view the session already uses wins) — as a click there;
one Enter is one undo step (Ctrl+Z in the box takes both sides of "levator" off again).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.anatomy import Atlas, Region
from tpi_notes.domain.muscle_lookup import Muscle, atlas_muscles, lookup
from tpi_notes.palette import MARKER_LABELS

# the patient's sides, worded as the diagram labels them ("Right" alone read as the viewer's right)
SIDES = (("Patient's R", ("R",)), ("Patient's L", ("L",)), ("Both sides", ("R", "L")))
SIDE_WORDS = {"R": "right", "L": "left"}
VIEW_ORDER = ("posterior", "anterior")
SHOWN_MATCHES = 12  # the completion list's length (a name matching more is typed further)
ERROR_STYLE = "color: #b42318; font-weight: 600;"
DONE_STYLE = "color: #1f5a3a;"


def muscle_names(atlas: Atlas) -> list[str]:
    """Every muscle the atlas charts (deep ones too), once, sorted as a person looks them up."""
    return [m.name for m in atlas_muscles(atlas)]


def regions_for(atlas: Atlas, muscle: str | Muscle, sides: tuple[str, ...], views_used: set[str]) -> list[Region]:
    """The region of ``muscle`` (or, for a deep muscle, the first region above it) on each side, in the view the
    session uses if it has one, else back first."""
    if isinstance(muscle, str):
        wanted = muscle.strip().casefold()
        found_muscle = next((m for m in atlas_muscles(atlas) if m.name.casefold() == wanted), None)
        if found_muscle is None:
            return []
        muscle = found_muscle
    found = []
    for side in sides:
        matches = [r for r in atlas.regions if r.side == side and (
            r.muscle_id == muscle.muscle_id or any(d.muscle_id == muscle.muscle_id for d in r.deep))]
        matches.sort(key=lambda r: (r.view not in views_used, VIEW_ORDER.index(r.view) if r.view in VIEW_ORDER
                                    else len(VIEW_ORDER)))
        if matches:
            found.append(matches[0])
    return found


def added_words(muscle: Muscle, sides: tuple[str, ...], technique: str) -> str:
    """"Added: patient's right and left levator scapulae, injection." (said after Enter)."""
    side = " and ".join(SIDE_WORDS[s] for s in sides)
    deep = f" (deep, under the {muscle.under[0].lower()})" if muscle.deep else ""
    return f"Added: patient's {side} {muscle.name.lower()}{deep}, {MARKER_LABELS[technique].lower()}."


class SiteEntry(QWidget):
    """"Add site: [muscle…] [side] [technique] [Add]", and a line saying what happened: the keyboard way to the
    diagram."""

    add_requested = Signal(list)
    """Sites to add, in order: a list of (region, muscle id) — the muscle id is the region's own or a deep
    muscle under it."""
    technique_chosen = Signal(str)
    """The technique box changed: ``injection``, ``dry_needling`` or ``estim`` (dry needling with e-stim)."""

    def __init__(self, atlas: Atlas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.atlas = atlas
        self.views_used: set[str] = set()
        label = QLabel("A&dd site:", self)
        self.muscle = QLineEdit(self)
        self.muscle.setObjectName("site_entry_muscle")
        self.muscle.setPlaceholderText("Type a muscle (upper trap, QL, R levator …) and press Enter")
        self.muscle.setAccessibleName("Muscle to add a site at")
        self.muscle.setToolTip("A muscle's name, the start of its words (glute med) or an abbreviation (QL, SCM, "
                               "TFL, traps); R, L or bilat at either end chooses the patient's side. ↓ picks from "
                               "the list, Enter adds.")
        self.muscle.setClearButtonEnabled(True)
        label.setBuddy(self.muscle)  # Alt+D from anywhere in the window (Alt+A is "Print &aftercare")
        self.matches = QStringListModel(self)
        completer = QCompleter(self.matches, self.muscle)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        # the list shows what muscle_lookup finds (abbreviations, word starts), not Qt's own filtering
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setMaxVisibleItems(SHOWN_MATCHES)
        self.muscle.setCompleter(completer)
        self.completer = completer
        self.side = QComboBox(self)
        self.side.setObjectName("site_entry_side")
        self.side.setAccessibleName("Side of the patient")
        for text, sides in SIDES:
            self.side.addItem(text, sides)
        self.side.setCurrentIndex(len(SIDES) - 1)  # both sides: the usual bilateral pattern
        self.technique = QComboBox(self)
        self.technique.setObjectName("site_entry_technique")
        self.technique.setAccessibleName("Technique of the new sites")
        for key, text in MARKER_LABELS.items():
            self.technique.addItem(text, key)
        for combo, least in ((self.side, 6), (self.technique, 9)):  # the muscle box keeps the row's width
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(least)
        self.add_button = QPushButton("Add", self)
        self.add_button.setObjectName("site_entry_add")
        self.add_button.setAutoDefault(False)
        self.add_button.setToolTip("Add a site at this muscle on the side chosen (Enter in the muscle box)")
        self.message = QLabel(self)
        self.message.setObjectName("site_entry_message")
        self.message.setWordWrap(True)
        self.message.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(label)
        row.addWidget(self.muscle, 1)
        row.addWidget(self.side)
        row.addWidget(self.technique)
        row.addWidget(self.add_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.message)  # a line of its own: a narrow diagram column never squeezes it away
        for first, second in ((self.muscle, self.side), (self.side, self.technique),
                              (self.technique, self.add_button)):
            QWidget.setTabOrder(first, second)
        self.muscle.installEventFilter(self)
        self.muscle.textEdited.connect(self._list_matches)
        # Enter adds: the completion highlighted in the list if any (the completer fills it in first), else
        # the one muscle the text means
        self.muscle.returnPressed.connect(self.add)
        self.add_button.clicked.connect(self.add)
        self.technique.currentIndexChanged.connect(lambda _i: self.technique_chosen.emit(self.technique.currentData()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Ctrl+Z / Ctrl+Y in the empty box undo or redo the sites (a line edit takes them for its own text, even
        with nothing to undo)."""
        if watched is self.muscle and event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            undo = event.matches(QKeySequence.StandardKey.Undo) and not self.muscle.isUndoAvailable()
            redo = event.matches(QKeySequence.StandardKey.Redo) and not self.muscle.isRedoAvailable()
            if undo or redo:
                event.ignore()
                return True
        return super().eventFilter(watched, event)

    def set_technique(self, key: str) -> None:
        """Follow the diagram's toolbar (a click on its Injection / Dry needling buttons)."""
        index = self.technique.findData(key)
        if index >= 0 and index != self.technique.currentIndex():
            self.technique.setCurrentIndex(index)

    @Slot(str)
    def _list_matches(self, text: str) -> None:
        """The completion list for what is typed (the last message goes: it was about the text before)."""
        self._say("")
        self._show_matches(text)

    def _show_matches(self, text: str, *, later: bool = False) -> None:
        found = lookup(self.atlas, text).muscles[:SHOWN_MATCHES]
        self.matches.setStringList([m.name + (" (deep)" if m.deep else "") for m in found])
        if found:
            QTimer.singleShot(0, self.completer.complete) if later else self.completer.complete()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else DONE_STYLE)
        self.message.setVisible(bool(text))
        self.muscle.setAccessibleDescription(text)  # read with the box when the keyboard is in it

    @Slot()
    def add(self) -> None:
        text = self.muscle.text().removesuffix(" (deep)").strip()
        if not text:
            self._say("")
            return
        found = lookup(self.atlas, text)
        muscle = found.chosen()
        if muscle is None:
            if not found.muscles:
                self._say(f"No muscle called “{text}” in the atlas: type part of its name or an abbreviation "
                          "(upper trap, QL, SCM). Nothing was added.", error=True)
            else:
                names = ", ".join(m.name for m in found.muscles[:4]) + (" …" if len(found.muscles) > 4 else "")
                self._show_matches(text, later=True)  # the choices, open again once Enter has closed the list
                self._say(f"“{text}” matches {len(found.muscles)} muscles ({names}): choose one with ↓ and Enter, "
                          "or type more. Nothing was added.", error=True)
            return
        sides = found.sides or self.side.currentData()
        regions = regions_for(self.atlas, muscle, sides, self.views_used)
        if len(regions) < len(sides):
            self._say(f"{muscle.name} is not drawn on that side. Nothing was added.", error=True)
            return
        self._say(added_words(muscle, sides, self.technique.currentData()))
        # setText, not clear(): clear() is the box's own undo step, and Ctrl+Z here brought the name back instead
        # of taking the sites off (setText leaves the box nothing to undo, so Ctrl+Z reaches the diagram's Undo)
        used = self.muscle.text()
        self.muscle.setText("")
        self.matches.setStringList([])
        # In a real window the completion list can hand its choice back to the box after Enter has added it
        # (QLineEdit sets the text on the completer's "activated"); a second Enter then added the sites again.
        # Whatever comes back in the same turn of the event loop is taken away again.
        QTimer.singleShot(0, partial(self._forget_used, used))
        self.add_requested.emit([(region, muscle.muscle_id) for region in regions])

    def _forget_used(self, used: str) -> None:
        if self.muscle.text() == used:
            self.muscle.setText("")
            self.matches.setStringList([])
