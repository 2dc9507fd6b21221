"""First run: what the app is for, and two ways to begin (register a patient, or load the demo clinic)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from tpi_notes.ui.style import set_role

INTRO = (
    "tpi-notes charts trigger point injections and dry needling: mark the sites on a body diagram, record "
    "the agents and the pain scores, see safety warnings and billing codes as you go, sign the procedure "
    "note, and print the aftercare sheet in the patient's language."
)
STACK_BELOW_WIDTH = 640
NEXT_STEP = (
    "This clinic has no patients yet. Register the first patient, or load a demo clinic with made-up "
    "patients and sessions to look around. The demo can only be loaded into an empty database."
)
NEXT_STEP_NO_DEMO = "This clinic has no patients yet. Register the first patient to begin."


class EmptyState(QWidget):
    """Shown on the right while the database has no patients."""

    register_requested = Signal()
    """The "Register a patient" button was clicked."""

    demo_requested = Signal()
    """The "Load the demo clinic" button was clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("empty_state")
        card = QFrame(self)
        card.setObjectName("card")
        card.setMaximumWidth(680)
        title = QLabel("Welcome to tpi-notes", card)
        set_role(title, "title")
        intro = QLabel(INTRO, card)
        intro.setWordWrap(True)
        next_step = self.next_step = QLabel(NEXT_STEP, card)
        next_step.setWordWrap(True)
        set_role(next_step, "hint")

        self.register_button = QPushButton("Register a patient", card)
        self.register_button.setObjectName("register_button")
        self.register_button.setProperty("big", True)
        self.register_button.setProperty("primary", True)
        self.register_button.setToolTip("Ctrl+N")
        self.demo_button = QPushButton("Load the demo clinic", card)
        self.demo_button.setObjectName("demo_button")
        self.demo_button.setProperty("big", True)
        self.demo_button.setToolTip("Made-up patients and sessions (60 patients, 240 sessions)")
        self.register_button.clicked.connect(self.register_requested)
        self.demo_button.clicked.connect(self.demo_requested)

        self.buttons = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.buttons.setSpacing(16)
        self.buttons.addWidget(self.register_button)
        self.buttons.addWidget(self.demo_button)
        self.buttons.addStretch(1)

        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.setSpacing(14)
        inner.addWidget(title)
        inner.addWidget(intro)
        inner.addWidget(next_step)
        inner.addSpacing(8)
        inner.addLayout(self.buttons)

        # Stretches rather than an alignment flag: an aligned item gets its size hint, and a wrapped
        # label's size hint is too short for its text (it would be clipped).
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addWidget(card, 4)
        centre.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        outer.addLayout(centre)
        outer.addStretch(2)
        # Narrow windows (half a laptop screen) stack the buttons instead of refusing to shrink.
        self.setMinimumWidth(360)

    def set_demo_available(self, available: bool) -> None:
        """Offer the demo only where it may be loaded (a database without users or patients)."""
        self.demo_button.setVisible(available)
        self.next_step.setText(NEXT_STEP if available else NEXT_STEP_NO_DEMO)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        wide = event.size().width() >= STACK_BELOW_WIDTH
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.buttons.direction() != direction:
            self.buttons.setDirection(direction)
        super().resizeEvent(event)
