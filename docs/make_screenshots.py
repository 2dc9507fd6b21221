"""Render the main screens to PNG files in docs/screenshots (offscreen; no display needed).

Run: ``.venv/bin/python docs/make_screenshots.py``. Uses a temporary database and settings folder, so it
never touches the real clinic or the user's window layout.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything imports Qt
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
SIZE = (1400, 860)

from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from tpi_notes.domain.draft import SessionDraft  # noqa: E402
from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.services.context import AppContext, open_clinic  # noqa: E402
from tpi_notes.ui.app import create_main_window, ensure_application  # noqa: E402
from tpi_notes.ui.main_window import MainWindow  # noqa: E402


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def save(widget: QWidget, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def open_window(app: QApplication, ctx: AppContext) -> MainWindow:
    window = create_main_window(ctx)
    window.resize(*SIZE)
    window.show()
    settle(app)
    return window


def pick_showcase_patient(ctx: AppContext) -> int | None:
    """A patient with several sessions and risk badges (and allergies, if any such patient exists)."""
    best: tuple[int, int] | None = None
    for summary in patient_service.search_patients(ctx, "", limit=1000):
        record = patient_service.get_patient(ctx, summary.id)
        sessions = patient_service.list_patient_sessions(ctx, summary.id)
        with_pain = sum(1 for s in sessions if s.pain_before is not None)
        score = min(len(sessions), 8) * 10 + min(len(record.risk_badges()), 3) * 12 + bool(record.allergies) * 8
        if with_pain >= 3 and record.risk_badges() and (best is None or score > best[0]):
            best = (score, summary.id)
    return best[1] if best else None


def empty_state(app: QApplication, folder: Path) -> None:
    """First run: the setup dialog (with its messages after an empty submit), then the empty clinic."""
    from tpi_notes.domain.clinic import ClinicDetails
    from tpi_notes.services import login
    from tpi_notes.ui.setup_dialog import SetupDialog

    ctx = open_clinic(str(folder / "empty.sqlite"))
    setup = SetupDialog(ctx)
    setup.show()
    settle(app)
    save(setup, "first-run-setup.png")
    setup.close()
    login.setup_clinic(ctx, ClinicDetails("Lakeside Pain Clinic", "1 Lake Road", "(555) 123-4567"), "Grace Hopper",
                       "MD", "ghopper", "First admin pass 1", ("physician",))
    login.login(ctx, "ghopper", "First admin pass 1")
    window = open_window(app, ctx)
    save(window, "empty-state.png")
    window.close()
    ctx.close()


def sign_in_demo(app: QApplication, ctx: AppContext, username: str = "ahart") -> None:
    """The login screen of the demo clinic, then log in as ``username``."""
    from tpi_notes.services import clinic
    from tpi_notes.services.demo_data import DEMO_PASSWORD
    from tpi_notes.ui.login_dialog import LoginDialog

    dialog = LoginDialog(ctx, clinic.get_clinic_info(ctx).name, f"Demo clinic: every password is “{DEMO_PASSWORD}”.")
    dialog.username.setText(username)
    dialog.show()
    settle(app)
    save(dialog, "login.png")
    dialog.password.setText(DEMO_PASSWORD)
    dialog.try_login()
    assert ctx.user_id is not None, "the demo login failed"


def locked(app: QApplication, window: MainWindow) -> None:
    """The inactivity lock: every window covered, the password asked."""
    assert window.screen_lock is not None
    window.screen_lock.lock()
    settle(app)
    dialog = window.screen_lock.dialog
    assert dialog is not None
    dialog.move(window.width() // 2 - dialog.width() // 2, window.height() // 2 - dialog.height() // 2)
    shot = window.grab()
    from PySide6.QtGui import QPainter

    painter = QPainter(shot)
    painter.drawPixmap(dialog.pos(), dialog.grab())
    painter.end()
    OUT.mkdir(parents=True, exist_ok=True)
    shot.save(str(OUT / "locked.png"))
    print("wrote docs/screenshots/locked.png")
    from tpi_notes.services.demo_data import DEMO_PASSWORD

    dialog.password.setText(DEMO_PASSWORD)
    dialog.try_unlock()


def main_window(app: QApplication, folder: Path) -> None:
    try:
        from tpi_notes.services.demo import build_demo
    except ImportError:
        print("skipped main-window.png and patient-dialog.png: tpi_notes.services.demo is not available yet")
        return
    ctx = open_clinic(str(folder / "demo.sqlite"))
    build_demo(ctx, patients=60, sessions=240, seed=7)
    sign_in_demo(app, ctx)
    window = open_window(app, ctx)
    patient_id = pick_showcase_patient(ctx)
    if patient_id is not None:
        window.patient_list.select_patient(patient_id)
    settle(app)
    save(window, "main-window.png")
    session_diagram(app, window)
    patient_dialog(app, window)
    if patient_id is not None:
        session_editor(app, ctx, patient_id)
    session_editor_findings(app, ctx)
    locked(app, window)
    window.close()
    administration(ctx)
    ctx.close()


def administration(ctx: AppContext) -> None:
    """The history browser, the audit trail and the administration tabs (ahart is physician and admin)."""
    from tpi_notes.ui.admin.screenshots import render_admin_screenshots
    from tpi_notes.ui.audit_screen import render_audit_screenshot
    from tpi_notes.ui.history import render_history_screenshot

    for path in (render_history_screenshot(ctx, OUT / "history.png"),
                 render_audit_screenshot(ctx, OUT / "audit-trail.png"),
                 *render_admin_screenshots(ctx, OUT)):
        print(f"wrote {Path(path).relative_to(ROOT)}")


def session_diagram(app: QApplication, window: MainWindow) -> None:
    """The selected patient's session with the most sites, opened on its body diagram."""
    sessions = window.patient_view.session_model
    best = max(range(sessions.rowCount()), key=lambda r: sessions.session_at(r).site_count, default=None)
    if best is None:
        return
    session_window = window.open_session(sessions.session_at(best).id)
    assert session_window is not None
    session_window.resize(*SIZE)
    settle(app)
    session_window.diagram.view.fit()
    settle(app)
    save(session_window, "session-diagram.png")
    pdf_diagram(session_window)
    session_window.close()


def pdf_diagram(session_window) -> None:  # noqa: ANN001 - SessionWindow
    """The same session's diagram as the PDF drawing, rendered through QtPdf (no poppler needed)."""
    from io import BytesIO

    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
    from PySide6.QtPdf import QPdfDocument
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    from tpi_notes.anatomy import load_atlas
    from tpi_notes.reports.body_diagram import body_diagram_drawing

    record = session_window.record
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, invariant=1)
    drawing = body_diagram_drawing(load_atlas(record.atlas_version), record.sites, doc.width)
    doc.build([drawing])
    data = QByteArray(buffer.getvalue())
    device = QBuffer(data)
    device.open(QIODevice.OpenModeFlag.ReadOnly)
    pdf = QPdfDocument()
    pdf.load(device)
    size = pdf.pagePointSize(0)
    zoom = 1.6
    image = pdf.render(0, QSize(int(size.width() * zoom), int(size.height() * zoom)))
    top = int((doc.topMargin - 10) * zoom)
    cropped = image.copy(0, top, image.width(), int((drawing.height + 20) * zoom))
    OUT.mkdir(parents=True, exist_ok=True)
    cropped.save(str(OUT / "body-diagram-pdf.png"))
    print("wrote docs/screenshots/body-diagram-pdf.png")


def showcase_draft(ctx: AppContext, patient_id: int) -> SessionDraft:
    """A realistic 6-site session: bilateral upper trapezius, levator scapulae and rhomboid major from one
    syringe (lidocaine 1 % 5 mL + triamcinolone 40 mg/mL 1 mL), 1 mL each, pre- and post-procedure filled.
    (4 + 1 mL would not cover six 1 mL sites: the service refuses drawing more than the syringe holds.)"""
    from dataclasses import replace
    from datetime import timedelta

    from tpi_notes.anatomy import load_atlas
    from tpi_notes.domain import icd10
    from tpi_notes.domain.session import Component, ExamFinding, Preparation
    from tpi_notes.domain.sites import place_site
    from tpi_notes.services import drafts
    from tpi_notes.ui.editor.reference import load_reference
    from tpi_notes.ui.editor.site_commands import with_technique

    atlas = load_atlas()
    draft = drafts.new_draft(ctx, patient_id)
    reference = load_reference(ctx, patient_id)
    day = draft.performed_start.date()
    sites = []
    for muscle in ("upper_trapezius", "levator_scapulae", "rhomboid_major"):
        for side in ("R", "L"):
            region = next(r for r in atlas.regions if (r.muscle_id, r.view, r.side) == (muscle, "posterior", side))
            site = place_site(atlas, region.view, *region.anchor, len(sites) + 1)
            sites.append(replace(with_technique(site, "injection", "A"), needle="25 G × 1.5 in", aspiration=True,
                                 passes=2 if muscle == "upper_trapezius" else 1))
    lots = {code: reference.newest_lot(code, day) for code in ("lidocaine-1", "triamcinolone-40")}
    components = tuple(Component(code, ml, lots[code].lot_number if lots[code] else "",
                                 lots[code].expiry if lots[code] else None)
                       for code, ml in (("lidocaine-1", 5.0), ("triamcinolone-40", 1.0)))
    start = draft.performed_start
    return replace(
        draft, sites=tuple(sites), preparations=(Preparation("A", components),),
        performed_end=start + timedelta(minutes=20), location="Exam room 2",
        physician_id=draft.physician_id or (reference.physicians[0].id if reference.physicians else None),
        assistant_id=next((m.id for m in reference.assistants if "physician" not in m.roles), None),
        indication="Bilateral neck and upper back myofascial pain for 5 months; limits desk work and sleep.",
        diagnoses=tuple(d for d in (icd10.lookup("M79.12"), icd10.lookup("M54.2")) if d),
        conservative_care="Physical therapy 8 weeks, home exercise, naproxen 500 mg bid; ongoing home program.",
        exam_findings=tuple(ExamFinding(s.region_code, taut_band=True, hypersensitive_spot=True,
                                        referred_pain=s.muscle_id != "rhomboid_major") for s in sites),
        consent_type="written", consent_form_id="CF-2231",
        consent_risks=draft.consent_risks + ("pneumothorax", "skin atrophy or depigmentation",
                                             "temporary rise in blood glucose"),
        timeout_done=True, timeout_at=start + timedelta(minutes=2), position="Prone", pain_before=7,
        complications="None", tolerance="Tolerated well", blood_loss="Minimal", pain_after=2, relief_pct=71,
        observation_minutes=15, respiratory_check="Breath sounds equal, no shortness of breath",
        disposition="Home, ambulatory, stable", follow_up="Reassess in 4 weeks", comments="")


def session_editor(app: QApplication, ctx: AppContext, patient_id: int) -> None:
    """The session editor on a saved 6-site draft, then the same editor refusing a bad volume."""
    from tpi_notes.services import drafts
    from tpi_notes.ui.editor.reference import load_reference
    from tpi_notes.ui.editor.window import SessionEditor

    saved = drafts.save_draft(ctx, showcase_draft(ctx, patient_id))
    editor = SessionEditor(ctx, saved, load_reference(ctx, patient_id), baseline=saved)
    editor.resize(1600, 1000)  # the routine note fits this screen whole (issue 16)
    editor.show()
    settle(app)
    editor.diagram.view.fit()
    editor.tabs.setCurrentWidget(editor.tab_pages["pre"])
    settle(app)
    save(editor, "session-editor.png")
    editor.select_site(3)
    editor.site_details.inputs.volume_ml.setValue(25)
    editor.save()  # refused: more than 20 mL at one point
    settle(app)
    save(editor, "session-editor-invalid.png")
    editor._baseline = editor.current_draft()  # noqa: SLF001 - close without the unsaved-changes question
    editor.close()


def session_editor_findings(app: QApplication, ctx: AppContext) -> None:
    """The findings panel: a pregnant patient's stop (with "Proceed with reason…") kept in sight above the sign
    blockers, which carry their usual answers inline (the lot offered for the triamcinolone without one, pain
    after 0–10, the respiratory findings), and the suggested codes."""
    from dataclasses import replace
    from datetime import date

    from tpi_notes.domain.patient import PatientInput
    from tpi_notes.services import drafts
    from tpi_notes.ui.editor.reference import load_reference
    from tpi_notes.ui.editor.window import SessionEditor

    patient = patient_service.create_patient(ctx, PatientInput(
        mrn="F-2024", family_name="Moreau", given_name="Claire", birth_date=date(1992, 5, 21), sex="female",
        weight_kg=64.0, pregnant=True))
    draft = showcase_draft(ctx, patient.id)
    lidocaine, triamcinolone = draft.preparations[0].components
    syringe = replace(draft.preparations[0], components=(lidocaine, replace(triamcinolone, lot_number="",
                                                                            lot_expiry=None)))
    saved = drafts.save_draft(ctx, replace(draft, pain_after=None, relief_pct=None, respiratory_check="",
                                           preparations=(syringe,)))
    editor = SessionEditor(ctx, saved, load_reference(ctx, patient.id), baseline=saved)
    editor.resize(1600, 1000)  # the routine note fits this screen whole (issue 16)
    editor.show()
    settle(app)
    editor.diagram.view.fit()
    editor.tabs.setCurrentWidget(editor.tab_pages["post"])
    settle(app)
    save(editor, "session-editor-findings.png")
    editor.close()


def patient_dialog(app: QApplication, window: MainWindow) -> None:
    window.new_patient()
    dialog = window.active_dialog
    assert dialog is not None
    form = dialog.form
    form.mrn.setText("A-10442")
    form.family_name.setText("Nguyễn")
    form.given_name.setText("Thị Ánh")
    form.birth_date.setText("03/14/1980")
    form.sex.setCurrentIndex(form.sex.findData("female"))
    form.phone.setText("+1 555 0142")
    form.language.setCurrentIndex(form.language.findData("es"))
    form.weight_kg.setText("1000")
    from tpi_notes.domain.allergies import AllergyEntry

    form.allergy_status.setCurrentIndex(form.allergy_status.findData("yes"))
    form.allergy_editor.set_entries((AllergyEntry("Kenalog", "allergy", "hives / urticaria"),
                                     AllergyEntry("codeine", "intolerance", "nausea / vomiting"),
                                     AllergyEntry("strawberries")))
    form.allergies.setText("Novocain")  # typed, not yet added: shows what it resolves to
    form.anticoagulant.setEditText("apixaban")
    form.answers["diabetes"].setCurrentIndex(form.answers["diabetes"].findData("yes"))
    dialog.save()  # refused: the weight is outside the plausible range
    settle(app)
    save(dialog, "patient-dialog.png")
    dialog.reject()


def _pdf_document(pdf: bytes):  # noqa: ANN202 - a QPdfDocument, imported late like the rest of Qt here
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtPdf import QPdfDocument

    device = QBuffer()
    device.setData(QByteArray(pdf))
    device.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(device)
    document.setProperty("source", device)  # keep the buffer alive as long as the document
    return document


def pdf_page_count(pdf: bytes) -> int:
    return _pdf_document(pdf).pageCount()


def pdf_page_png(pdf: bytes, page: int, name: str, dpi: int = 70) -> None:
    """Render one page of a PDF to docs/screenshots through QtPdf (no poppler needed)."""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QColor, QImage, QPainter

    document = _pdf_document(pdf)
    size = document.pagePointSize(page)
    image = document.render(page, QSize(int(size.width() * dpi / 72), int(size.height() * dpi / 72)))
    paper = QImage(image.size(), QImage.Format.Format_RGB32)  # pages render transparent: put them on paper
    paper.fill(QColor("white"))
    painter = QPainter(paper)
    painter.drawImage(0, 0, image)
    painter.end()
    OUT.mkdir(parents=True, exist_ok=True)
    paper.save(str(OUT / name))
    print(f"wrote docs/screenshots/{name}")


def documents(folder: Path) -> None:
    """The procedure note and the aftercare sheet of a signed demo session with several sites."""
    import sqlite3

    from tpi_notes.services import login
    from tpi_notes.services.demo import build_demo
    from tpi_notes.services.demo_data import DEMO_PASSWORD
    from tpi_notes.services.documents import aftercare_pdf, procedure_note_pdf

    ctx = open_clinic(str(folder / "documents.sqlite"))
    build_demo(ctx, patients=30, sessions=120, seed=11)
    login.login(ctx, "jsoto", DEMO_PASSWORD)  # the nurse prints
    conn = sqlite3.connect(folder / "documents.sqlite")
    signed_by_sites = ("SELECT s.id FROM procedure_session s JOIN site ON site.session_id = s.id "
                       "WHERE s.status = 'signed' GROUP BY s.id HAVING count(*) {} ORDER BY s.id")
    session_id = conn.execute(signed_by_sites.format(">= 6")).fetchone()[0]
    # A short note of a day the shipped ICD-10-CM set covers (a later day carries the "load the new release"
    # warning, a true finding that takes the note onto a second page).
    short_ids = [row[0] for row in conn.execute(signed_by_sites.format("<= 2").replace(
        "GROUP BY", "AND date(s.performed_start) BETWEEN '2025-10-01' AND '2026-09-30' GROUP BY"))]
    conn.close()
    short_notes = [procedure_note_pdf(ctx, short_id) for short_id in short_ids[:12]]
    one_page = next((pdf for pdf in short_notes if pdf_page_count(pdf) == 1), None)
    if one_page is None:  # said loudly, not fatal: page 1 of the shortest is still the picture of a short note
        print("WARNING: no short signed demo session prints on one page: the note's layout has grown")
        one_page = min(short_notes, key=pdf_page_count)
    pdf_page_png(one_page, 0, "note-one-page.png", dpi=90)
    long_note = procedure_note_pdf(ctx, session_id)
    pdf_page_png(long_note, 0, "note-page1.png")
    pdf_page_png(long_note, 1, "note-page2.png")
    pdf_page_png(aftercare_pdf(ctx, session_id, lang="en"), 0, "aftercare-en.png")
    pdf_page_png(aftercare_pdf(ctx, session_id, lang="es"), 0, "aftercare-es.png")
    pdf_page_png(aftercare_pdf(ctx, session_id, lang="en", large_print=True), 0, "aftercare-large.png")
    ctx.close()


def main() -> int:
    app = ensure_application([sys.argv[0]])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["TPI_NOTES_DATA_DIR"] = str(folder / "userdata")  # a fresh window layout
        empty_state(app, folder)
        main_window(app, folder)
        documents(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
