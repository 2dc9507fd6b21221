"""The live findings panel (product.md §4): safety stops, warnings and information, and the suggested codes.

The panel asks ``services.assessment.assess`` about the editor's draft a moment (debounced) after each change.
An overridable stop offers "Proceed with reason…": the reason, required, goes into the draft's overrides.
A sign blocker with a usual answer (resources/rules/inline-answers.json) carries it beside its link: the lots
offered for the syringe drugs without one (one button naming them all), a 0–10 row, the usual respiratory findings.
Pressing one is the user's answer; the editor sets the field (ui/editor/findings_answers.py).

Compact, so a new session's stop and blockers are all in sight at 1600 × 1000 without scrolling (issue 16 item 4):
the "To sign" count sits on the title line, a blocker's answer on its link's line when the panel is wide enough
(:class:`BlockerRow`), and the exam's per-muscle blockers are one line naming the muscles. A copied-forward visit
lists fifteen items; so that they and the first warning show beside the tallest form (H30 audit): the end time is
not listed (signing records it when empty), a stop that is a field's blocker (consent, time-out) is that field's
link, the lots to record are one line, the carried fields' blocker is its first clause (the bar above names
them), and the codes are one line that opens to their reasons.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape
from typing import Protocol

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.coding import Coding
from tpi_notes.domain.completeness import MissingItem
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.findings import Finding
from tpi_notes.domain.inline_answers import InlineAnswer, inline_answers
from tpi_notes.services.assessment import Assessment, assess
from tpi_notes.services.context import AppContext
from tpi_notes.ui.editor.pain_scale import PainScale
from tpi_notes.ui.editor.phrase_picker import PhraseKey
from tpi_notes.ui.flow_layout import FlowLayout
from tpi_notes.ui.style import DANGER, MUTED, set_role

DEBOUNCE_MS = 300
AMBER = "#9a3412"
SEVERITY_STYLE = {  # colour, tint, word
    "stop": (DANGER, "#fde8e7", "STOP"),
    "warn": (AMBER, "#fff4e5", "Warning"),
    "info": (MUTED, "#f1f3f5", "Note"),
}


# Findings the editor can put right in one click: the button's words (the window does the fix).
FIXES = {"syringe_overdrawn": "Draw up what the sites take"}
EXAM_PREFIX = "exam_findings["  # one blocker per muscle and side; listed as one line
FILLED_AT_SIGNING = frozenset({"performed_end"})  # signing records the end when empty: not a blocker to list
STOP_FIELDS = {"consent_missing": "consent_type", "timeout_missing": "timeout_at"}  # the stop is the field's link
LOT_MESSAGE = re.compile(r"^Syringe (?P<label>.+?): record the lot of (?P<drug>.+)\.$")
LINK_ROOM = 200  # the width a link keeps beside its answer (it wraps within it); narrower, the answer goes under


class BlockerRow(QWidget):
    """A blocker's link with its inline answer: side by side when the row is wide enough for the answer and
    :data:`LINK_ROOM` of link, else the answer under the link (a narrow window never clips it)."""

    def __init__(self, link: QLabel, answer: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self.link, self.answer = link, answer
        self.setObjectName(f"{answer.objectName()}_row")
        self.line = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.line.setContentsMargins(0, 0, 0, 1)
        self.line.setSpacing(8)
        link.setParent(self)
        answer.setParent(self)
        # the answer no wider than its buttons (a pain row's own stretch would take the link's width)
        answer.setSizePolicy(QSizePolicy.Policy.Maximum, answer.sizePolicy().verticalPolicy())
        self.line.addWidget(link, 1)
        self.line.addWidget(answer, 0, Qt.AlignmentFlag.AlignVCenter)

    def _wanted(self, width: int) -> QBoxLayout.Direction:
        side = self.answer.sizeHint().width() + self.line.spacing() + LINK_ROOM
        return QBoxLayout.Direction.LeftToRight if width >= side else QBoxLayout.Direction.TopToBottom

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        wanted = self._wanted(event.size().width())
        if self.line.direction() != wanted:
            self.line.setDirection(wanted)
            self.line.setAlignment(self.answer, Qt.AlignmentFlag.AlignLeft if wanted
                                   == QBoxLayout.Direction.TopToBottom else Qt.AlignmentFlag.AlignVCenter)
        super().resizeEvent(event)


class WrapButton(QPushButton):
    """A push button whose words wrap to the panel's width (a lot offer names every drug, its lot and why)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(text, self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        line = QHBoxLayout(self)
        line.setContentsMargins(8, 2, 8, 2)
        line.addWidget(self.label)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def words(self) -> str:
        return self.label.text()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Each offer on a line of its own when the panel is wide enough; narrower, the words wrap."""
        metrics = self.label.fontMetrics()
        margins = self.layout().contentsMargins()
        width = max(metrics.horizontalAdvance(line) for line in self.label.text().splitlines() or [""])
        width += margins.left() + margins.right() + 4
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(120, self.layout().minimumSize().height())

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt API
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt API
        return self.layout().totalHeightForWidth(width)


class OfferedLot(Protocol):
    """A lot the editor offers for one syringe drug (ui/editor/findings_answers.RowOffer)."""

    field: str

    @property
    def words(self) -> str: ...


def finding_key(finding: Finding) -> str:
    """The key a missing item uses for this finding: ``finding:<code>:<subject>``."""
    return f"finding:{finding.code}:{finding.subject}"


def exam_message(items: Sequence[MissingItem]) -> str:
    """The per-muscle exam blockers as one line: "Exam: record two of the three core criteria for 6 muscles
    (Upper trapezius R, L; Levator scapulae R …)" — the muscle and side as each message starts."""
    names: dict[str, list[str]] = {}
    for item in items:
        head = item.message.split(":", 1)[0]  # "Upper trapezius (R)"
        muscle, _, side = head.partition(" (")
        names.setdefault(muscle, []).append(side.rstrip(")"))
    muscles = "; ".join(f"{m} {', '.join(s for s in sides if s)}".strip() for m, sides in names.items())
    return f"Exam: record two of the three core criteria for {len(items)} muscles ({muscles})."


def codes_lines(coding: Coding) -> list[str]:
    """Plain lines: each code with its reason, then the notes (bundled local anesthetic…)."""
    lines = []
    for line in coding.cpt + coding.hcpcs:
        lines.append(f"{line.text} — {line.reason}" if line.reason else line.text)
    lines += [w.text for w in coding.waste]  # "Discarded: 20 mg triamcinolone acetonide (1 vial partly used)"
    lines += [f"Note: {note}" for note in coding.notes]
    return lines


def lots_message(items: Sequence[MissingItem]) -> str | None:
    """Several lots to record as one line: "Record the lots: syringe A (Lidocaine 1 %, Triamcinolone …)."
    (None when a message is not the lot message this panel knows)."""
    drugs: dict[str, list[str]] = {}
    for item in items:
        match = LOT_MESSAGE.match(item.message)
        if match is None:
            return None
        drugs.setdefault(match["label"], []).append(match["drug"])
    syringes = "; ".join(f"syringe {label} ({', '.join(names)})" for label, names in drugs.items())
    return f"Record the lots: {syringes}."


CHIP_NAMES = {  # a blocker with nothing to answer beside it: a short link, side by side with the others
    "physician_id": "Physician", "indication": "Indication", "diagnoses": "Diagnosis (ICD-10-CM)",
    "conservative_care": "Conservative care", "sites": "Sites on the diagram", "consent_type": "Consent",
    "consent_risks": "Risks discussed", "timeout_at": "Time-out and its time", "pain_before": "Pain before",
    "pain_after": "Pain after", "relief_pct": "Immediate relief %", "respiratory_check": "Respiratory check",
    "carried_fields": "Confirm the carried fields",
    "patient.allergies": "Allergies (patient's details)", "patient.pregnant": "Pregnancy (patient's details)",
    "patient.breastfeeding": "Breastfeeding (patient's details)",
}


def chip_text(item: MissingItem) -> str | None:
    """A blocker's short link (its whole message is the tooltip and accessible name), or None: a line of its own."""
    if item.field in CHIP_NAMES:
        return CHIP_NAMES[item.field]
    lot = LOT_MESSAGE.match(item.message) if item.field.endswith(".lot_number") else None
    return f"Lot: {lot['drug']} (syringe {lot['label']})" if lot else None

CHIP_STYLE = "QLabel { background: #fff4e5; border: 1px solid #f0c890; border-radius: 3px; padding: 1px 6px; }"
SHORT_LINKS = {  # a blocker whose answer sits beside its link: the link names the field, the answer says the rest
    "pain_after": "Pain score after (NRS 0–10):",
    "respiratory_check": "Respiratory check (a muscle over the lung):",
}


def short_message(item: MissingItem) -> str:
    """The words a blocker's link shows: the carried fields' first clause (the bar above the forms names the
    fields), a field with its answer beside it by name (the whole message is the link's tooltip and accessible
    name)."""
    if item.field == "carried_fields" and ":" in item.message:
        return item.message.split(":", 1)[0] + "."
    if item.field in SHORT_LINKS and "cannot be" not in item.message:
        return SHORT_LINKS[item.field]
    return item.message


def codes_summary(coding: Coding) -> str:
    """The codes on one line: "20553 × 1 · J3301-JZ × 4" (their reasons and notes open under it)."""
    return " · ".join(line.text for line in coding.cpt + coding.hcpcs)


def codes_html(coding: Coding) -> str:
    """The same as :func:`codes_lines`, with each code in bold (escaped rich text for the panel)."""
    lines = [f"<b>{escape(line.text)}</b>" + (f" — {escape(line.reason)}" if line.reason else "")
             for line in coding.cpt + coding.hcpcs]
    lines += [escape(w.text) for w in coding.waste]
    lines += [f"<span style='color:{MUTED}'>Note: {escape(note)}</span>" for note in coding.notes]
    return "<br>".join(lines)


class ReasonDialog(QDialog):
    """Asks why the physician proceeds despite a stop (or leaves a risk undiscussed); a blank reason is refused.
    Over an editor, F2 in the reason opens its phrases (issue 16 item 2)."""

    reason_given = Signal(str)

    def __init__(self, finding: Finding, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("override_reason_dialog")
        self.setWindowTitle("Proceed with reason")
        intro = QLabel(f"<b>Stop:</b> {escape(finding.message)}<br><br>Document why you proceed. The reason is "
                       "saved with the note and printed on it.", self)
        intro.setWordWrap(True)
        self.reason = QPlainTextEdit(finding.override_reason, self)
        self.reason.setObjectName("override_reason")
        self.reason.setPlaceholderText("e.g. Discussed with the obstetrician; benefit outweighs risk; "
                                       "lidocaine only, no corticosteroid.")
        ctx = getattr(parent.window(), "ctx", None) if parent is not None else None  # the editor's context
        if isinstance(ctx, AppContext):
            PhraseKey(ctx, self.reason, "override_reason")
        self.error = QLabel("Write the reason to proceed (it cannot be blank).", self)
        set_role(self.error, "field-error")
        self.error.hide()
        buttons = QDialogButtonBox(self)
        self.ok_button = buttons.addButton("Proceed", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(460, 260)
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    def accept(self) -> None:
        text = self.reason.toPlainText().strip()
        if not text:
            self.error.show()
            self.reason.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.reason_given.emit(text)
        super().accept()


class FindingsPanel(QFrame):
    """Stops, warnings, information and codes for the draft as it stands, recomputed after changes."""

    override_given = Signal(str, str, str)
    """A reason to proceed despite a stop: (code, subject, reason)."""
    fix_requested = Signal(str, str)
    """A finding's one-click fix was clicked (FIXES): (code, subject)."""
    field_requested = Signal(str, str)
    """A sign blocker's link was followed: (the missing item's field key, its message)."""
    answer_given = Signal(str, object)
    """A blocker's inline answer was pressed: (the field key, the value: a score or a text)."""
    lots_accepted = Signal(list)
    """The inline "Use …" lots button was pressed: the offers it named (OfferedLot)."""

    def __init__(self, ctx: AppContext, draft: Callable[[], SessionDraft], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self._ctx = ctx
        self._draft = draft
        self.assessment: Assessment | None = None
        self.active_dialog: ReasonDialog | None = None
        self.buttons: dict[str, QPushButton] = {}
        self.rows: dict[str, QLabel] = {}
        self.blockers: dict[str, QLabel] = {}
        self.answers: dict[str, QWidget] = {}  # field key (or "lots") -> its inline answer
        # Set by the editor: the lots it offers for the lot blockers' fields (none: no lots button).
        self.lot_offers: Callable[[list[str]], Sequence[OfferedLot]] | None = None
        self.answer_error = QLabel(self)
        self.answer_error.setObjectName("answer_error")
        self.answer_error.setWordWrap(True)
        set_role(self.answer_error, "field-error")
        self.answer_error.hide()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.refresh_now)
        title = QLabel("FINDINGS AND CODES", self)
        set_role(title, "section")
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(12)
        header.addWidget(title)
        self.body = QWidget()
        self.body.setObjectName("findings_body")
        self.body.setAutoFillBackground(False)
        self.findings_layout = QVBoxLayout()
        self.findings_layout.setContentsMargins(0, 0, 0, 0)
        self.findings_layout.setSpacing(3)
        # Stops first, under the sign title: the blockers' inline answers never push a stop out of sight.
        self.stops_layout = QVBoxLayout()
        self.stops_layout.setContentsMargins(0, 0, 0, 0)
        self.stops_layout.setSpacing(3)
        self.none_label = QLabel("No safety findings.", self.body)
        set_role(self.none_label, "hint")
        self.blockers_title = QLabel(self)  # on the title's line: the count stays in sight whatever is scrolled
        self.blockers_title.setObjectName("blockers_title")
        self.blockers_title.setStyleSheet("font-weight: 600;")
        self.blockers_title.setWordWrap(True)  # a narrow window: under itself, never clipped
        header.addWidget(self.blockers_title, 1)
        self.blockers_layout = QVBoxLayout()
        self.blockers_layout.setContentsMargins(0, 0, 0, 0)
        self.blockers_layout.setSpacing(1)
        self.codes_open = False  # the reasons and notes under the one-line summary (kept across refreshes)
        self.codes_toggle = QToolButton(self.body)
        self.codes_toggle.setObjectName("codes_toggle")
        self.codes_toggle.setCheckable(True)
        self.codes_toggle.setAutoRaise(True)
        self.codes_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.codes_toggle.setStyleSheet("QToolButton#codes_toggle { font-weight: 600; text-align: left; padding: 0; }")
        self.codes_toggle.toggled.connect(self._open_codes)
        self.codes_label = QLabel(self.body)
        self.codes_label.setObjectName("codes_label")
        self.codes_label.setWordWrap(True)
        self.codes_label.setTextFormat(Qt.TextFormat.RichText)
        self.codes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 4, 0)
        body.setSpacing(2)  # tight: a copied-forward visit's blockers and first warning in sight (H30)
        body.addLayout(self.stops_layout)
        body.addLayout(self.blockers_layout)
        body.addWidget(self.answer_error)
        body.addLayout(self.findings_layout)
        body.addWidget(self.none_label)
        body.addWidget(self.codes_toggle)
        body.addWidget(self.codes_label)
        body.addStretch(1)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("findings_scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.body)
        self.scroll.viewport().setAutoFillBackground(False)
        # a finding without a button takes the focus here (focus_finding), never by Tab: in the window's Tab order
        # the panel came before the forms (H30 audit); its links and the codes come after them
        self.scroll.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.scroll, 1)

    # -- recomputing ----------------------------------------------------------------------------------
    def schedule(self) -> None:
        """Recompute a moment after the last change (typing does not query the database per keystroke)."""
        self.timer.start()

    @Slot()
    def refresh_now(self) -> Assessment | None:
        self.timer.stop()
        try:
            assessment = assess(self._ctx, self._draft())
        except TpiError as exc:
            self._show_error(str(exc))
            return None
        self.show_assessment(assessment)
        return assessment

    def _show_error(self, message: str) -> None:
        self._clear()
        self.assessment = None
        self.none_label.setText(f"The findings cannot be computed yet: {message}")
        self.none_label.show()
        self.codes_label.setText("—")
        self._show_codes_summary("")

    def _clear(self) -> None:
        for layout in (self.stops_layout, self.findings_layout, self.blockers_layout):
            while layout.count():
                item = layout.takeAt(0)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.hide()
                    widget.deleteLater()
        self.buttons.clear()
        self.rows.clear()
        self.blockers.clear()
        self.answers.clear()
        self.blockers_title.hide()

    def show_assessment(self, assessment: Assessment) -> None:
        self._clear()
        self.assessment = assessment
        order = {"stop": 0, "warn": 1, "info": 2}
        fields = {m.field for m in assessment.missing}
        for finding in sorted(assessment.findings, key=lambda f: order.get(f.severity, 3)):
            layout = self.stops_layout if finding.severity == "stop" else self.findings_layout
            field = STOP_FIELDS.get(finding.code) if finding.severity == "stop" else None
            layout.addWidget(self._row(finding, field if field in fields else None))
        self._show_blockers(assessment.missing)
        if not any((a := inline_answers().for_field(m.field)) and a.kind == "lots" for m in assessment.missing):
            self.show_answer_error("")  # every lot recorded: a refusal shown earlier no longer applies
        self.none_label.setText("No safety findings.")
        self.none_label.setVisible(not assessment.findings)
        self.codes_label.setText(codes_html(assessment.coding) or "No codes yet: mark sites on the diagram.")
        self._show_codes_summary(codes_summary(assessment.coding))
        links = [w for w in self.body.findChildren(QWidget) if w.focusPolicy() & Qt.FocusPolicy.TabFocus
                 and w is not self.codes_toggle and not w.isHidden()]
        if links:  # the codes' summary after the panel's last link, as it is shown (not first, as it was made)
            QWidget.setTabOrder(links[-1], self.codes_toggle)

    def _show_codes_summary(self, summary: str) -> None:
        arrow = "▾" if self.codes_open else "▸"
        self.codes_toggle.setText(f"{arrow} Suggested codes: {summary or 'none yet'}")
        self.codes_toggle.setToolTip("Hide the reasons and notes" if self.codes_open else
                                     "Show each code's reason and the billing notes")
        self.codes_toggle.setAccessibleName(f"Suggested codes: {summary or 'none yet'}")
        self.codes_toggle.setAccessibleDescription("Expanded: the reasons and notes follow." if self.codes_open
                                                   else "Press to show each code's reason and the billing notes.")
        self.codes_label.setVisible(self.codes_open)

    @Slot(bool)
    def _open_codes(self, shown: bool) -> None:
        self.codes_open = shown
        summary = codes_summary(self.assessment.coding) if self.assessment is not None else ""
        self._show_codes_summary(summary)

    def _row(self, finding: Finding, field: str | None = None) -> QWidget:
        """A finding's tinted row; a stop that is a field's sign blocker (``field``) links to that field and
        stands for its blocker (one line, not two saying the same)."""
        colour, tint, word = SEVERITY_STYLE.get(finding.severity, SEVERITY_STYLE["info"])
        key = finding_key(finding)
        row = QFrame(self.body)
        row.setObjectName(f"finding_row_{finding.code}")
        row.setStyleSheet(f"QFrame#{row.objectName()} {{ background: {tint}; border-left: 4px solid {colour};"
                          " border-radius: 3px; }")
        words = escape(finding.message)
        if field is not None:
            words = f"<a href='{escape(field, quote=True)}'>{words}</a>"
        text = f"<b style='color:{colour}'>{word}:</b> {words}"
        if finding.override_reason:
            text += f"<br><i>Proceeding — reason: {escape(finding.override_reason)}</i>"
        label = QLabel(text, row)
        label.setObjectName(f"finding_{finding.code}")
        label.setWordWrap(True)
        label.setToolTip(f"Source: {finding.source}" if finding.source else "")
        label.setProperty("severity", finding.severity)
        if field is not None:
            label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                          | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
            label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            label.setAccessibleName(f"Stop, missing for signing: {finding.message}")
            label.setToolTip("Go to this field" + (f" · Source: {finding.source}" if finding.source else ""))
            label.linkActivated.connect(lambda _href, f=field, m=finding.message: self.field_requested.emit(f, m))
            self.blockers[field] = label
        line = QHBoxLayout(row)
        line.setContentsMargins(8, 3, 6, 3)
        line.addWidget(label, 1)
        if finding.severity == "stop" and finding.overridable:
            button = QPushButton("Change reason…" if finding.override_reason else "Proceed with reason…", row)
            button.setObjectName(f"override_{finding.code}")
            button.setToolTip("Document why you proceed despite this stop (saved with the note)")
            button.clicked.connect(lambda _c=False, f=finding: self.ask_reason(f))
            line.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            self.buttons[key] = button
        if finding.code in FIXES:
            fix = QPushButton(FIXES[finding.code], row)
            fix.setObjectName(f"fix_{finding.code}")
            fix.clicked.connect(lambda _c=False, f=finding: self.fix_requested.emit(f.code, f.subject))
            line.addWidget(fix, 0, Qt.AlignmentFlag.AlignTop)
            self.buttons[key] = fix
        self.rows[key] = label
        return row

    def _show_blockers(self, missing: tuple[MissingItem, ...]) -> None:
        """Every item signing still needs, live, each a link to its field (a stop is listed as its own row).

        Those with a one-click answer come first, in the order inline-answers.json lists them: the quickest to
        clear stay in sight at the top of the panel as each one is answered (a lot only when one is offered)."""
        answers = inline_answers().answers
        linked = set(self.blockers)  # fields a stop row already links to (consent, time-out)
        items = [m for m in missing if not m.field.startswith("finding:") and m.field not in FILLED_AT_SIGNING]
        lot_fields = [m.field for m in items if (a := inline_answers().for_field(m.field)) and a.kind == "lots"]
        offers = list(self.lot_offers(lot_fields)) if lot_fields and self.lot_offers is not None else []
        offered = {o.field for o in offers}

        def rank(item: MissingItem) -> int:
            kind = next((i for i, a in enumerate(answers) if a.matches(item.field)), len(answers))
            lot_without_offer = kind < len(answers) and answers[kind].kind == "lots" and item.field not in offered
            return len(answers) if lot_without_offer else kind

        items.sort(key=rank)
        stops = sum(1 for m in missing if m.field.startswith("finding:"))  # listed just under this title
        parts = [f"{stops} stop{'s' if stops != 1 else ''}"] if stops else []
        parts += [f"{len(items)} item{'s' if len(items) != 1 else ''} missing"] if items else []
        self.blockers_title.setText(f"To sign: {', '.join(parts)}" if parts else "Ready to sign: nothing missing.")
        self.blockers_title.setStyleSheet(f"font-weight: 600; color: {AMBER if parts else MUTED};")
        self.blockers_title.show()
        exams = [m for m in items if m.field.startswith(EXAM_PREFIX)]
        lots = [m for m in items if (a := inline_answers().for_field(m.field)) and a.kind == "lots"]
        lots_line = lots_message(lots) if len(lots) > 1 else None
        chips: list[QLabel] = []  # the blockers with nothing to answer beside them, side by side after the rows
        for item in items:
            if item.field in linked:
                continue  # its stop's row is the link
            if item.field.startswith(EXAM_PREFIX) and len(exams) > 1:
                if item is exams[0]:  # the muscles' rows as one line, its link to the first
                    link = self._link(MissingItem(item.field, exam_message(exams)))
                    self.blockers_layout.addWidget(link)
                    self.blockers.update((m.field, link) for m in exams)
                continue
            if lots_line is not None and item in lots:
                if item is lots[0]:  # the lots as one line, its link to the first; the answer under it
                    link = self._link(MissingItem(item.field, lots_line))
                    self.blockers_layout.addWidget(link)
                    self.blockers.update((m.field, link) for m in lots)
                    for other in lots:
                        answer = self._answer_inline(other, offers)
                        if answer is not None:
                            self.blockers_layout.addWidget(self._indented(answer))
                continue
            answer = self._answer_inline(item, offers)
            if answer is None and chip_text(item) is not None:
                chip = self._link(item, chip=True)
                self.blockers[item.field] = chip
                chips.append(chip)
                continue
            link = self._link(item)
            self.blockers[item.field] = link
            if answer is None:
                self.blockers_layout.addWidget(link)
            elif isinstance(answer, WrapButton):  # the lots: under the last lot link, naming every lot
                self.blockers_layout.addWidget(link)
                self.blockers_layout.addWidget(self._indented(answer))
            else:
                self.blockers_layout.addWidget(BlockerRow(link, answer, self.body))
        if chips:
            flow = QWidget(self.body)
            flow.setObjectName("blocker_chips")
            layout = FlowLayout(flow, line_spacing=3)
            for chip in chips:
                chip.setParent(flow)
                layout.addWidget(chip)
            self.blockers_layout.addWidget(flow)

    def _link(self, item: MissingItem, *, chip: bool = False) -> QLabel:
        words = (chip_text(item) or item.message) if chip else short_message(item)
        link = QLabel(("" if chip else "• ") + f"<a href='{escape(item.field, quote=True)}'>{escape(words)}</a>",
                      self.body)
        link.setObjectName(f"blocker_{item.field}")
        link.setWordWrap(not chip)
        if chip:
            link.setStyleSheet(CHIP_STYLE)
        link.setTextFormat(Qt.TextFormat.RichText)
        link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                     | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        link.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        link.setAccessibleName(f"Missing for signing: {item.message}")
        link.setToolTip("Go to this field" if words == item.message else f"{item.message} (go to this field)")
        link.linkActivated.connect(lambda _href, m=item: self.field_requested.emit(m.field, m.message))
        return link

    # -- inline answers -------------------------------------------------------------------------------
    def _answer_inline(self, item: MissingItem, offers: Sequence[OfferedLot]) -> QWidget | None:
        """The blocker's usual answer, or None (once per field; the lots once, after the last lot offered)."""
        answer = inline_answers().for_field(item.field)
        if answer is None or item.field in self.answers:
            return None
        widget: QWidget | None = None
        if answer.kind == "lots":
            if offers and item.field == offers[-1].field:
                widget = self._lots_button(offers)
                if widget is not None:
                    self.answers["lots"] = widget
        elif answer.kind == "pain_scale":
            widget = self._pain_row(item.field, item.message)
        elif answer.kind == "choices":
            widget = self._choices(item.field, answer)
        if widget is not None:
            self.answers.setdefault(item.field, widget)
        return widget

    def _lots_button(self, offers: Sequence[OfferedLot]) -> QWidget | None:
        if not offers:
            return None
        button = WrapButton("Use " + "\n· ".join(o.words for o in offers), self.body)
        button.setObjectName("answer_lots")
        button.setAutoDefault(False)
        names = "; ".join(o.words for o in offers)
        button.setToolTip("Record these lots, as choosing them in the syringe rows does (an open vial is re-read "
                          "and refused past its limit)")
        button.setAccessibleName(f"Use the lots offered: {names}")
        chosen = list(offers)
        button.clicked.connect(lambda _c=False: self.lots_accepted.emit(chosen))
        return button

    def _pain_row(self, field: str, message: str) -> QWidget:
        name = " ".join(field.split("_")).capitalize()  # "Pain after"
        scale = PainScale(name, self.body)
        scale.setObjectName(f"answer_{field}")
        scale.setAccessibleDescription(f"{message} One click records the score.")
        scale.valueChanged.connect(lambda value, f=field: self.answer_given.emit(f, value) if value >= 0 else None)
        return scale

    def _choices(self, field: str, answer: InlineAnswer) -> QWidget:
        box = QWidget(self.body)
        box.setObjectName(f"answer_{field}")
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        for i, choice in enumerate(answer.choices):
            button = QPushButton(choice.label, box)
            button.setObjectName(f"answer_{field}_{i}")
            button.setAutoDefault(False)
            button.setToolTip(f"Record “{choice.text}” (anything else: follow the link)")
            button.setAccessibleName(f"Record: {choice.text}")
            button.clicked.connect(lambda _c=False, f=field, t=choice.text: self.answer_given.emit(f, t))
            row.addWidget(button)
        return box

    def _indented(self, widget: QWidget) -> QWidget:  # the lots button, under its links
        """Under its link, indented like the link's text after its bullet."""
        holder = QWidget(self.body)
        line = QHBoxLayout(holder)
        line.setContentsMargins(12, 0, 0, 2)
        line.addWidget(widget)
        if not isinstance(widget, PainScale):
            line.addStretch(1)
        holder.setObjectName(f"{widget.objectName()}_row")
        return holder

    def show_answer_error(self, message: str) -> None:
        """Why an inline answer was not taken (a vial past its limit …); cleared at the next refresh."""
        self.answer_error.setText(message)
        self.answer_error.setVisible(bool(message))

    # -- overrides ------------------------------------------------------------------------------------
    def ask_reason(self, finding: Finding) -> ReasonDialog:
        dialog = ReasonDialog(finding, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.reason_given.connect(lambda reason: self.override_given.emit(finding.code, finding.subject, reason))
        dialog.finished.connect(lambda _r: setattr(self, "active_dialog", None))
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def focus_finding(self, key: str) -> None:
        """Bring a finding (``finding:<code>:<subject>``) into view and give its button, or the panel, focus."""
        if self.timer.isActive() or key not in self.rows:
            self.refresh_now()
        target: QWidget = self.buttons.get(key) or self.scroll
        label = self.rows.get(key)
        if label is not None:
            self.scroll.ensureWidgetVisible(label, 10, 10)
        target.setFocus(Qt.FocusReason.OtherFocusReason)
