"""Issue 16 items 3–5 as an outside tester checks them, with their own scenarios (H30 audit): sites typed the way
clinicians write muscles (every muscle of the atlas, deep ones too, abbreviations, the PATIENT's side, the
technique), the keyboard's way through the forms, what a screen reader hears, the defaults a note starts with,
and the routine note on one screen (every stop and sign blocker and the first warning in sight). Driven as a
user would, with QTest keys and clicks."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QAccessible  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic, click_region, region  # noqa: E402

from tpi_notes.anatomy import load_atlas  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.diagram.widget import BodyDiagramWidget  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def type_site(qtbot: QtBot, widget: QWidget, entry_text: str) -> None:
    """Type into the add-site box and press Enter where a user's Enter goes (the open completion list first)."""
    muscle = widget.entry.muscle  # type: ignore[attr-defined]
    muscle.setFocus()
    QTest.keyClicks(muscle, entry_text)
    QTest.keyClick(QApplication.activePopupWidget() or muscle, Qt.Key.Key_Return)


@pytest.fixture
def diagram(qtbot: QtBot) -> Iterator[BodyDiagramWidget]:
    ensure_application()
    widget = BodyDiagramWidget(load_atlas())
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    yield widget


# -- 1. keyboard site entry -------------------------------------------------------------------------------------
def test_every_muscle_the_atlas_charts_is_added_by_typing_its_name(qtbot: QtBot, diagram: BodyDiagramWidget) -> None:
    """Surface and deep muscles alike (piriformis, quadratus lumborum, the scalenes are reached through the region
    above them): each typed name adds one site on the patient's right, assigned to that very muscle."""
    entry = diagram.entry
    QTest.keyClick(entry.side, Qt.Key.Key_Home)  # Right
    muscles = {r.muscle_id: r.muscle for r in diagram.atlas.regions}
    muscles |= {d.muscle_id: d.muscle for r in diagram.atlas.regions for d in r.deep if d.muscle_id not in muscles}
    assert {"piriformis", "quadratus_lumborum", "scalenus_anterior", "gluteus_minimus"} <= set(muscles)
    for count, (muscle_id, name) in enumerate(sorted(muscles.items()), start=1):
        type_site(qtbot, diagram, name)
        assert len(diagram.document) == count, (name, entry.message.text())
        site = diagram.document.sites()[-1]
        assert (site.muscle_id, site.side) == (muscle_id, "R"), name
        assert entry.message.text().startswith("Added: patient's right "), entry.message.text()


TYPED = (("upper trap", "upper_trapezius"), ("trap", "upper_trapezius"), ("levator", "levator_scapulae"),
         ("QL", "quadratus_lumborum"), ("quadratus", "quadratus_lumborum"), ("glute med", "gluteus_medius"),
         ("piriformis", "piriformis"), ("SCM", "sternocleidomastoid"), ("infra", "infraspinatus"),
         ("supra", "supraspinatus"), ("TFL", "tensor_fasciae_latae"), ("gastroc", "gastrocnemius"),
         ("lats", "latissimus_dorsi"), ("gmed", "gluteus_medius"))


def test_what_clinicians_type_finds_the_muscle(qtbot: QtBot, diagram: BodyDiagramWidget) -> None:
    """Each name, abbreviation or word start adds the muscle on both sides (the side box's default)."""
    found = {}
    for typed, _muscle_id in TYPED:
        before = len(diagram.document)
        type_site(qtbot, diagram, typed)
        found[typed] = [(s.muscle_id, s.side) for s in diagram.document.sites()[before:]]
    assert found == {typed: [(muscle_id, "R"), (muscle_id, "L")] for typed, muscle_id in TYPED}


@pytest.mark.parametrize(("typed", "names"), [
    ("rhomboid", ["Rhomboid major", "Rhomboid minor"]),
    ("paraspinals", ["Longissimus (lumbar)", "Iliocostalis lumborum"]),  # a note names the muscle (§1.4)
    ("lumbar paraspinals", ["Longissimus (lumbar)", "Iliocostalis lumborum"]),
])
def test_a_name_meaning_several_muscles_lists_them_and_adds_nothing_until_one_is_chosen(
        qtbot: QtBot, diagram: BodyDiagramWidget, typed: str, names: list[str]) -> None:
    entry = diagram.entry
    type_site(qtbot, diagram, typed)
    assert len(diagram.document) == 0
    assert "Nothing was added" in entry.message.text() and names[0] in entry.message.text()
    assert entry.message.isVisible()
    popup = entry.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    listed = [entry.completer.completionModel().index(i, 0).data() for i in range(2)]
    assert listed == names
    QTest.keyClick(popup, Qt.Key.Key_Down)  # the first in the list
    QTest.keyClick(popup, Qt.Key.Key_Return)
    assert [s.muscle for s in diagram.document.sites()] == [names[0], names[0]]


def test_an_unknown_name_says_so_and_adds_nothing(qtbot: QtBot, diagram: BodyDiagramWidget) -> None:
    type_site(qtbot, diagram, "zzz")
    message = diagram.entry.message
    assert len(diagram.document) == 0
    assert message.isVisible() and "No muscle called “zzz”" in message.text() and "Nothing was added" in message.text()
    assert message.width() >= message.fontMetrics().horizontalAdvance("No muscle called")  # not squeezed away


def test_the_side_is_the_patients_whichever_view_the_muscle_is_drawn_on(qtbot: QtBot,
                                                                       diagram: BodyDiagramWidget) -> None:
    """A side word at either end, or the side box; the front view puts the patient's right on the viewer's left,
    the back view on the viewer's right."""
    type_site(qtbot, diagram, "R SCM")  # front view only
    type_site(qtbot, diagram, "levator left")  # back view
    QTest.keyClick(diagram.entry.side, Qt.Key.Key_Home)  # the side box: Right
    type_site(qtbot, diagram, "infra")
    sites = diagram.document.sites()
    assert [(s.muscle_id, s.side, s.view) for s in sites] == [
        ("sternocleidomastoid", "R", "anterior"), ("levator_scapulae", "L", "posterior"),
        ("infraspinatus", "R", "posterior")]
    scm, levator, infra = sites
    assert scm.x < 0.5  # patient's right on the front view: the viewer's left
    assert levator.x < 0.5 and infra.x > 0.5  # back view: the patient's left is the viewer's left


def test_the_technique_is_chosen_by_keyboard_e_stim_included(qtbot: QtBot, diagram: BodyDiagramWidget) -> None:
    entry = diagram.entry
    entry.muscle.setFocus()
    QTest.keyClick(entry.muscle, Qt.Key.Key_Tab)
    assert entry.side.hasFocus()
    QTest.keyClick(entry.side, Qt.Key.Key_Tab)
    assert entry.technique.hasFocus()
    QTest.keyClick(entry.technique, Qt.Key.Key_End)  # dry needling + e-stim
    assert diagram.technique == "dry_needling"  # the toolbar follows
    type_site(qtbot, diagram, "R QL")
    QTest.keyClick(entry.technique, Qt.Key.Key_Up)  # dry needling
    type_site(qtbot, diagram, "R glute med")
    QTest.keyClick(entry.technique, Qt.Key.Key_Home)  # injection
    type_site(qtbot, diagram, "R piriformis")
    ql, gmed, piriformis = diagram.document.sites()
    assert (ql.technique, ql.estim is not None) == ("dry_needling", True)
    assert (gmed.technique, gmed.estim) == ("dry_needling", None)
    assert (piriformis.technique, piriformis.estim) == ("injection", None)
    assert "dry needling + e-stim" in entry.message.text() or "injection" in entry.message.text()
    diagram.findChild(QWidget, "technique_dry_needling").click()  # and the entry follows the toolbar
    assert entry.technique.currentData() == "dry_needling"


# -- 2. what a screen reader hears ------------------------------------------------------------------------------
def accessible(widget: QWidget):  # noqa: ANN201 - a QAccessibleInterface
    iface = QAccessible.queryAccessibleInterface(widget)
    assert iface is not None and iface.isValid()
    return iface


def test_markers_and_the_diagram_say_the_patients_side_muscle_technique_and_number(
        qtbot: QtBot, diagram: BodyDiagramWidget) -> None:
    entry = diagram.entry
    type_site(qtbot, diagram, "R pec major")
    QTest.keyClick(entry.technique, Qt.Key.Key_End)
    type_site(qtbot, diagram, "L QL")
    first, second = (diagram.scene.marker(k) for k in diagram.document.site_keys())
    assert first.toolTip() == "Site 1: patient's right pectoralis major, front view, injection"
    assert second.toolTip() == "Site 2: patient's left quadratus lumborum, back view, dry needling + e-stim"
    view = accessible(diagram.view)
    assert view.text(QAccessible.Text.Description) == (
        "2 sites: 1, patient's right pectoralis major, front view, injection; "
        "2, patient's left quadratus lumborum, back view, dry needling + e-stim.")
    assert "patient's right is on the viewer's left" in view.text(QAccessible.Text.Help)
    assert "Add site box" in view.text(QAccessible.Text.Help)


def _editor_exposed(qtbot: QtBot, editor: SessionEditor) -> None:
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)


def test_typed_sites_in_the_editor_take_the_syringe_and_deep_muscles_their_exam_row(
        qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    _editor_exposed(qtbot, editor)
    type_site(qtbot, editor.diagram, "bilat QL")
    sites = editor.current_draft().sites
    assert [(s.muscle_id, s.side, s.preparation_label, s.volume_ml) for s in sites] == [
        ("quadratus_lumborum", "R", "A", 1.0), ("quadratus_lumborum", "L", "A", 1.0)]
    assert editor.undo_stack.count() == 1  # one Enter, one undo step
    QTest.keyClick(editor.diagram.entry.muscle, Qt.Key.Key_PageDown, Qt.KeyboardModifier.AltModifier)
    assert editor.site_details.title.text() == "Site 1  ·  Quadratus lumborum, patient's right, back view"
    assert editor.site_details.technique.hasFocus()  # Alt+PgDown: the first site's details, keyboard there
    type_site(qtbot, editor.diagram, "levator")
    assert len(editor.document) == 4
    QTest.keyClick(editor.diagram.entry.muscle, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(editor.document) == 2 and editor.diagram.entry.muscle.text() == ""  # Ctrl+Z in the box: the sites
    table = editor.pre.exam_findings
    assert [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())] == [
        ("Quadratus lumborum", "R"), ("Quadratus lumborum", "L")]


def test_hovering_the_front_view_names_the_patients_side_and_its_marker_says_it(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    editor.resize(1600, 1000)
    qtbot.waitUntil(lambda: editor.width() == 1600)
    diagram = editor.diagram
    for side in ("R", "L"):
        reg = region("pectoralis_major", "anterior", side)
        point = diagram.view.mapFromScene(diagram.scene.scene_point(reg.view, *reg.anchor))
        QTest.mouseMove(diagram.view.viewport(), point)
        qtbot.waitUntil(lambda s=side: diagram.hover_label.text().startswith(f"Patient's {s}: Pectoralis major"))
        on_viewer_left = point.x() < diagram.view.mapFromScene(diagram.scene.scene_point("anterior", 0.5, 0.5)).x()
        assert on_viewer_left == (side == "R")
    click_region(qtbot, editor, region("pectoralis_major", "anterior", "R"))
    site = editor.current_draft().sites[0]
    assert site.side == "R"
    assert diagram.scene.marker(editor.document.key_at(0)).toolTip().startswith(
        "Site 1: patient's right pectoralis major, front view")
    model = diagram.table.model()
    assert (model.index(0, 2).data(), model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole)) == ("R", "Patient's right")


# -- the keyboard through the forms -----------------------------------------------------------------------------
def tab_walk(page: QWidget, first: QWidget, presses: int = 60) -> list[QWidget]:
    """The widgets Tab visits inside ``page`` from ``first`` until it leaves the page (or comes round again)."""
    first.setFocus(Qt.FocusReason.TabFocusReason)
    seen: list[QWidget] = []
    for _ in range(presses):
        widget = QApplication.focusWidget()
        if widget is None or not page.isAncestorOf(widget) or (seen and widget is seen[0]):
            break
        if not seen or widget is not seen[-1]:
            seen.append(widget)
        QTest.keyClick(widget, Qt.Key.Key_Tab)
    return seen


def reading_order_breaks(page: QWidget, widgets: list[QWidget]) -> list[str]:
    """Where Tab jumps against the layout: down each column (a row's fields left to right), the left column
    before the right one."""
    row = page.layout()  # the panel's two columns side by side (pre_procedure.two_columns)
    middle = row.itemAt(1).geometry().x() - row.spacing() if row.count() == 2 else page.width() / 2
    breaks = []
    points = []
    for widget in widgets:
        top = widget.mapTo(page, widget.rect().topLeft())
        points.append((int(top.x() >= middle), top.y(), top.x(), widget.objectName() or type(widget).__name__))
    for (col_a, y_a, x_a, name_a), (col_b, y_b, x_b, name_b) in zip(points, points[1:], strict=False):
        forward = col_b > col_a or (col_b == col_a and (y_b > y_a + 8 or (abs(y_b - y_a) <= 8 and x_b > x_a)))
        if not forward:
            breaks.append(f"{name_a} ({x_a}, {y_a}) → {name_b} ({x_b}, {y_b})")
    return breaks


def test_tab_walks_each_form_top_to_bottom_left_to_right_and_never_gets_stuck(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    editor = make_editor()
    editor.resize(1600, 1000)
    qtbot.waitUntil(lambda: editor.width() == 1600)
    _editor_exposed(qtbot, editor)
    for muscle, side in (("upper_trapezius", "R"), ("levator_scapulae", "L")):
        click_region(qtbot, editor, region(muscle, "posterior", side))
    pre, post = editor.pre, editor.post
    firsts = {"pre": (pre, pre.performed_start), "post": (post, post.complications)}
    for name, (page, first) in firsts.items():
        editor.tabs.setCurrentWidget(editor.tab_pages[name])
        visited = tab_walk(page, first)
        names = [w.objectName() for w in visited]
        assert reading_order_breaks(page, visited) == [], (name, names)
        assert len(visited) >= 12, (name, names)  # it went through the form, not round one box
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    names = [w.objectName() for w in tab_walk(pre, pre.performed_start)]
    assert names.index("field_performed_end") + 2 == names.index("field_location")  # Ended, its Now, then on
    assert names.index("exam_all") < names.index("field_exam_findings") < names.index("field_consent_type")
    assert names[-1] == "field_guidance"


# -- one screen ------------------------------------------------------------------------------------------------
def _copied_forward(make_editor, clinic: Clinic) -> SessionEditor:  # noqa: ANN001
    """The next visit of a 6-site patient copied forward: the clinical frame carried (to confirm), lots, pain,
    exam, time-out and the rest to record — fifteen items, the time-out stop, two warnings."""
    from dataclasses import replace
    from datetime import timedelta

    from tpi_notes.domain import icd10
    from tpi_notes.domain.session import Component, ExamFinding, Preparation
    from tpi_notes.domain.sites import place_site
    from tpi_notes.services import drafts
    from tpi_notes.ui.editor.site_commands import with_technique

    ctx, atlas = clinic.ctx, load_atlas()
    sites = []
    for muscle, side in (("upper_trapezius", "R"), ("upper_trapezius", "L"), ("levator_scapulae", "R"),
                         ("levator_scapulae", "L"), ("rhomboid_major", "R"), ("infraspinatus", "L")):
        reg = region(muscle, "posterior", side)
        sites.append(with_technique(place_site(atlas, reg.view, *reg.anchor, len(sites) + 1), "injection", "A"))
    last = drafts.new_draft(ctx, clinic.patient_id)
    last = replace(
        last, performed_start=last.performed_start - timedelta(days=28), sites=tuple(sites),
        preparations=(Preparation("A", (Component("lidocaine-1", 5.0, "LID-A1"),
                                        Component("triamcinolone-40", 1.0, "TRI-77"))),),
        indication="Bilateral neck and upper back myofascial pain for 5 months; limits desk work.",
        diagnoses=tuple(d for d in (icd10.lookup("M79.12"), icd10.lookup("M54.2")) if d),
        conservative_care="Physical therapy 8 weeks, home exercise, naproxen 500 mg bid.",
        exam_findings=tuple(ExamFinding(s.region_code, taut_band=True, hypersensitive_spot=True) for s in sites),
        consent_type="verbal", timeout_done=True, timeout_at=last.performed_start, position="Prone", pain_before=7)
    drafts.save_draft(ctx, last)
    return make_editor(drafts.copy_forward(ctx, drafts.new_draft(ctx, clinic.patient_id)), baseline=None)


def _settle(qtbot: QtBot, editor: SessionEditor) -> None:
    from PySide6.QtCore import QEvent

    editor.findings.refresh_now()
    qtbot.wait(30)
    for _ in range(3):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
        QApplication.processEvents()


def _out_of_sight(editor: SessionEditor, *, warning: bool = True) -> list[str]:
    """Each stop, sign blocker link and inline answer not wholly inside the findings panel's viewport, and the first
    warning unless its first line is."""
    from PySide6.QtCore import QRect

    panel = editor.findings
    viewport = panel.scroll.viewport()
    rows = {f"stop {k}": label.parentWidget() for k, label in panel.rows.items()
            if label.property("severity") == "stop"}
    rows |= {f"blocker {k}": w for k, w in panel.blockers.items()} | {f"answer {k}": w for k, w in panel.answers.items()}
    out = []
    for name, widget in rows.items():
        rect = QRect(widget.mapTo(viewport, widget.rect().topLeft()), widget.size())
        if not widget.isVisible() or not viewport.rect().contains(rect):
            out.append(f"{name} {rect.top()}–{rect.bottom()} of 0–{viewport.height() - 1}")
    warnings = [label for label in panel.rows.values() if label.property("severity") == "warn"]
    if not warning:
        return out
    assert warnings, "the scenario has warnings"
    first = warnings[0]
    line = QRect(first.mapTo(viewport, first.rect().topLeft()), first.size())
    line.setHeight(first.fontMetrics().lineSpacing())
    if not viewport.rect().contains(line):
        out.append(f"first warning's first line {line.top()}–{line.bottom()} of 0–{viewport.height() - 1}")
    return out


def test_a_copied_forward_visit_shows_every_stop_blocker_and_its_first_warning_beside_each_form(
        qtbot: QtBot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    editor = _copied_forward(make_editor, clinic)
    editor.resize(1600, 1000)
    qtbot.waitUntil(lambda: (editor.width(), editor.height()) == (1600, 1000))
    _settle(qtbot, editor)
    panel = editor.findings
    assert panel.blockers_title.text() == "To sign: 1 stop, 14 items missing"
    bar = editor.tabs.tabBar()
    for tab in ("pre", "outcomes", "syringes", "site", "post"):  # the site tab with no site chosen: its prompt
        QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(editor.tabs.indexOf(editor.tab_pages[tab])).center())
        _settle(qtbot, editor)
        page = editor.tab_pages[tab]
        assert (tab, page.verticalScrollBar().maximum(), page.horizontalScrollBar().maximum()) == (tab, 0, 0)
        assert (tab, _out_of_sight(editor)) == (tab, [])
    # 1366 × 768: what does not fit scrolls (a scroll bar shows), nothing is squeezed below its size
    editor.resize(1366, 768)
    qtbot.waitUntil(lambda: (editor.width(), editor.height()) == (1366, 768))
    for tab in ("pre", "outcomes", "syringes", "post"):
        editor.tabs.setCurrentWidget(editor.tab_pages[tab])
        _settle(qtbot, editor)
        for area in (editor.tab_pages[tab], panel.scroll):
            inner = area.widget()
            assert inner.height() >= inner.minimumSizeHint().height(), tab
            taller = inner.height() > area.viewport().height()
            assert not taller or area.verticalScrollBar().isVisible(), tab


def test_the_panel_lists_what_signing_needs_once_each(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    """The end time is not a blocker (signing records it when empty); a stop that is a field's blocker is that
    field's link (time-out, consent), not a second line; the codes are one line that opens to their reasons."""
    editor = make_editor()
    _editor_exposed(qtbot, editor)
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    _settle(qtbot, editor)
    panel = editor.findings
    assert "performed_end" not in panel.blockers
    timeout = panel.blockers["timeout_at"]
    assert timeout is panel.rows["finding:timeout_missing:"]  # the stop's own row
    assert panel.blockers["consent_type"] is panel.rows["finding:consent_missing:"]
    assert "To sign: 2 stops," in panel.blockers_title.text()
    panel.scroll.ensureWidgetVisible(timeout)
    QTest.mouseClick(timeout, Qt.MouseButton.LeftButton, pos=timeout.rect().topLeft() + QPoint(70, 8))
    qtbot.waitUntil(lambda: editor.pre.timeout_at.isAncestorOf(QApplication.focusWidget())
                    or QApplication.focusWidget() is editor.pre.timeout_at)
    toggle = panel.codes_toggle
    assert toggle.text().startswith("▸ Suggested codes: 20552") and not panel.codes_label.isVisible()
    # a screen reader hears each short link and the stop's link in full, and the codes' summary
    assert accessible(panel.blockers["pain_before"]).text(QAccessible.Text.Name) == (
        "Missing for signing: Record the pain score before (NRS 0–10).")
    assert accessible(timeout).text(QAccessible.Text.Name).startswith("Stop, missing for signing: The time-out")
    assert accessible(toggle).text(QAccessible.Text.Name) == "Suggested codes: 20552 × 1"
    QTest.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert panel.codes_label.isVisible() and "20552" in panel.codes_label.text()
    panel.refresh_now()
    assert panel.codes_label.isVisible() and toggle.text().startswith("▾")  # stays open


# -- defaults ----------------------------------------------------------------------------------------------------
def test_a_nurses_new_note_asks_for_the_physician_and_shows_its_defaults(qtbot: QtBot, make_editor,
                                                                         clinic: Clinic) -> None:  # noqa: ANN001
    """Decided (H30): the signed-in physician charts their own session; anyone else (a nurse preparing the draft)
    gets the clinic's only physician, and with several no default: the choice is a listed sign item. The end shows
    "At signing" while empty (signing records it); front-only sites mean supine."""
    from datetime import datetime, timedelta

    from tpi_notes.domain.permissions import Principal
    from tpi_notes.services import staff

    nurse = Principal.for_user(clinic.nurse_id, "bruiz", "Ben Ruiz", ("nurse",))
    clinic.ctx.act_as(nurse)
    only = make_editor()
    assert only.pre.physician.member_id() == clinic.physician_id  # one physician: no one else it can be
    clinic.ctx.act_as(Principal.for_user(None, "admin", "Admin", ("admin",)))  # an administrator adds a second
    staff.add_staff(clinic.ctx, "Omar Said", "DO", ("physician",))
    clinic.ctx.act_as(nurse)
    editor = make_editor()
    _editor_exposed(qtbot, editor)
    pre = editor.pre
    assert pre.physician.member_id() is None and pre.physician.currentText() == "Choose the physician…"
    assert abs(editor.current_draft().performed_start - datetime.now()) < timedelta(minutes=5)  # start: now
    assert pre.performed_end.edit.text() == "At signing" and editor.current_draft().performed_end is None
    type_site(qtbot, editor.diagram, "R SCM")  # the front view only
    assert pre.position.currentText() == "Supine"
    _settle(qtbot, editor)
    chip = editor.findings.blockers["physician_id"]
    assert chip.isVisible() and "Physician" in chip.text()
    assert "performed_end" not in editor.findings.blockers


def test_a_decimal_typed_into_a_site_number_box_is_taken_whole(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    """Tabbed or clicked into, "2.5" is 2.5 mL (the box was re-filled with "2.00 mL" after the "2" and refused
    ".5"); the same for the e-stim settings."""
    editor = make_editor()
    _editor_exposed(qtbot, editor)
    click_region(qtbot, editor, region("upper_trapezius", "posterior", "R"))
    QTest.keyClick(editor.diagram.entry.muscle, Qt.Key.Key_PageDown, Qt.KeyboardModifier.AltModifier)
    details = editor.site_details
    details.inputs.preparation_label.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(details.inputs.preparation_label, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is details.inputs.volume_ml
    QTest.keyClicks(details.inputs.volume_ml, "2.5")
    assert editor.current_draft().sites[0].volume_ml == 2.5
    QTest.keyClicks(details.technique, "D")  # dry needling, by its first letter
    assert editor.current_draft().sites[0].technique == "dry_needling"
    details.estim.setChecked(True)
    line = details.estim.spins["intensity_ma"].lineEdit()
    QTest.mouseClick(line, Qt.MouseButton.LeftButton, pos=QPoint(4, line.height() // 2))
    QTest.keyClicks(line, "7.5")
    assert editor.current_draft().sites[0].estim.intensity_ma == 7.5


def test_tab_goes_from_the_add_site_box_through_the_diagram_and_sites_to_the_forms(qtbot: QtBot, make_editor) -> None:  # noqa: ANN001
    """No trap in the site table (Tab went from cell to cell and round again) and the findings panel after the
    forms, not before them."""
    editor = make_editor()
    _editor_exposed(qtbot, editor)
    for muscle, side in (("upper_trapezius", "R"), ("upper_trapezius", "L"), ("rhomboid_major", "R")):
        click_region(qtbot, editor, region(muscle, "posterior", side))
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    editor.diagram.entry.muscle.setFocus(Qt.FocusReason.TabFocusReason)
    path = []
    for _ in range(12):
        widget = QApplication.focusWidget()
        path.append(widget.objectName() or widget.accessibleName())
        if widget is editor.pre.performed_start:
            break
        QTest.keyClick(widget, Qt.Key.Key_Tab)
    assert path[-1] == "field_performed_start", path
    assert path.count("Sites") == 1 and "findings_scroll" not in path and "codes_toggle" not in path, path
    assert path[-3:] == ["Sites", "qt_tabwidget_tabbar", "field_performed_start"], path  # the tab bar, then the form


def test_a_first_visit_with_the_history_unasked_shows_its_3_stops_and_20_items_beside_the_form(
        qtbot: QtBot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    """A new patient (allergies, pregnancy and breastfeeding not asked yet, no weight), seven sites front and back:
    every stop and sign item in sight beside the pre-procedure form at 1600 × 1000, the form whole."""
    from datetime import date

    from tpi_notes.domain.patient import PatientInput
    from tpi_notes.services import drafts
    from tpi_notes.services import patients as patient_service

    patient = patient_service.create_patient(clinic.ctx, PatientInput(
        mrn="E-300", family_name="Ng", given_name="Lee", birth_date=date(1980, 1, 2), sex="female"))
    editor = make_editor(drafts.new_draft(clinic.ctx, patient.id))
    editor.resize(1600, 1000)
    qtbot.waitUntil(lambda: (editor.width(), editor.height()) == (1600, 1000))
    for muscle, view, side in (("upper_trapezius", "posterior", "R"), ("upper_trapezius", "posterior", "L"),
                               ("levator_scapulae", "posterior", "R"), ("levator_scapulae", "posterior", "L"),
                               ("rhomboid_major", "posterior", "R"), ("infraspinatus", "posterior", "L"),
                               ("pectoralis_major", "anterior", "R")):
        click_region(qtbot, editor, region(muscle, view, side))
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    _settle(qtbot, editor)
    assert editor.findings.blockers_title.text() == "To sign: 3 stops, 20 items missing"
    assert editor.tab_pages["pre"].verticalScrollBar().maximum() == 0
    assert _out_of_sight(editor, warning=False) == []
