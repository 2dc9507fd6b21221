"""Adding a site by typing (issue 16 item 5): a muscle name with completion, the side, then Enter.

The site lands on the muscle's anchor in the view that has it (the back view first when the muscle is drawn on
both, as trigger points are mostly charted there; a view the session already uses wins), with the technique
chosen in the diagram's toolbar — the same as a click there, one undo step per site.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QCompleter, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from tpi_notes.anatomy import Atlas, Region

SIDES = (("Right", ("R",)), ("Left", ("L",)), ("Both sides", ("R", "L")))
VIEW_ORDER = ("posterior", "anterior")


def muscle_names(atlas: Atlas) -> list[str]:
    """Every surface muscle of the atlas, once, sorted as a person looks them up."""
    return sorted({r.muscle for r in atlas.regions}, key=str.casefold)


def regions_for(atlas: Atlas, muscle: str, sides: tuple[str, ...], views_used: set[str]) -> list[Region]:
    """The region of ``muscle`` on each side, in the view the session uses if it has one, else back first."""
    wanted = muscle.strip().casefold()
    found = []
    for side in sides:
        matches = [r for r in atlas.regions if r.muscle.casefold() == wanted and r.side == side]
        matches.sort(key=lambda r: (r.view not in views_used, VIEW_ORDER.index(r.view) if r.view in VIEW_ORDER
                                    else len(VIEW_ORDER)))
        if matches:
            found.append(matches[0])
    return found


class SiteEntry(QWidget):
    """"Add site: [muscle…] [side] [Add]": the keyboard way to the diagram."""

    add_requested = Signal(list)
    """Regions to add a site at (one per side), in order."""

    def __init__(self, atlas: Atlas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.atlas = atlas
        self.views_used: set[str] = set()
        label = QLabel("A&dd site:", self)
        self.muscle = QLineEdit(self)
        self.muscle.setObjectName("site_entry_muscle")
        self.muscle.setPlaceholderText("Type a muscle (e.g. upper trap) and press Enter")
        self.muscle.setAccessibleName("Muscle to add a site at")
        self.muscle.setClearButtonEnabled(True)
        label.setBuddy(self.muscle)  # Alt+D from anywhere in the window (Alt+A is "Print &aftercare")
        completer = QCompleter(muscle_names(atlas), self.muscle)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.muscle.setCompleter(completer)
        self.side = QComboBox(self)
        self.side.setObjectName("site_entry_side")
        self.side.setAccessibleName("Side of the patient")
        for text, sides in SIDES:
            self.side.addItem(text, sides)
        self.side.setCurrentIndex(len(SIDES) - 1)  # both sides: the usual bilateral pattern
        self.add_button = QPushButton("Add", self)
        self.add_button.setObjectName("site_entry_add")
        self.add_button.setAutoDefault(False)
        self.add_button.setToolTip("Add a site at this muscle on the side chosen (Enter in the muscle box)")
        self.message = QLabel(self)
        self.message.setObjectName("site_entry_message")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(label)
        row.addWidget(self.muscle, 1)
        row.addWidget(self.side)
        row.addWidget(self.add_button)
        row.addWidget(self.message)
        # Enter adds: the completion highlighted in the list if any (the completer fills it in first), else
        # the one muscle whose name contains what was typed
        self.muscle.returnPressed.connect(self.add)
        self.add_button.clicked.connect(self.add)

    @Slot()
    def add(self) -> None:
        text = self.muscle.text().strip()
        if not text:
            self.message.setText("")
            return
        names = [n for n in muscle_names(self.atlas) if text.casefold() in n.casefold()]
        exact = next((n for n in names if n.casefold() == text.casefold()), None)
        name = exact or (names[0] if len(names) == 1 else None)
        if name is None:
            self.message.setText("No such muscle" if not names else f"{len(names)} muscles match: type more")
            return
        regions = regions_for(self.atlas, name, self.side.currentData(), self.views_used)
        if not regions:
            self.message.setText(f"{name} is not drawn on that side")
            return
        self.message.setText("")
        self.muscle.clear()
        self.add_requested.emit(regions)
