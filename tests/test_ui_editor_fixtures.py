"""Fixtures and helpers shared by the session editor tests (this module holds no tests of its own)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QDateTime, QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from sqlalchemy import select  # noqa: E402

from tpi_notes.anatomy import Region, load_atlas  # noqa: E402
from tpi_notes.db.models import FormularyItem, Lot  # noqa: E402
from tpi_notes.domain.draft import SessionDraft  # noqa: E402
from tpi_notes.domain.history_answers import History
from tpi_notes.domain.patient import PatientInput  # noqa: E402
from tpi_notes.services import drafts, staff  # noqa: E402
from tpi_notes.services import patients as patient_service  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402

TODAY = date.today()
LOTS = (  # item code, lot number, expiry
    ("lidocaine-1", "LID-OLD", TODAY - timedelta(days=30)),  # expired: shown in red, refused on save
    ("lidocaine-1", "LID-A1", TODAY + timedelta(days=200)),
    ("lidocaine-1", "LID-B2", TODAY + timedelta(days=400)),  # the newest in-date lot
    ("triamcinolone-40", "TRI-77", TODAY + timedelta(days=300)),
    ("bupivacaine-0.25", "BUP-5", TODAY + timedelta(days=90)),
)


@dataclass
class Clinic:
    ctx: AppContext
    patient_id: int
    physician_id: int
    nurse_id: int


def discard_and_close(editor: SessionEditor) -> None:
    """Close an editor at a test's end without the "unsaved changes" question: what it holds counts as kept."""
    editor._baseline = editor.current_draft()  # noqa: SLF001
    editor.close()
    editor.deleteLater()


def add_lots(ctx: AppContext, lots: tuple[tuple[str, str, date], ...] = LOTS) -> None:
    """Lots go in through the ORM: the lot-list admin screen and its service come later."""
    with ctx.transaction() as s:
        for code, number, expiry in lots:
            item_id = s.scalar(select(FormularyItem.id).where(FormularyItem.code == code))
            s.add(Lot(item_id=item_id, lot_number=number, expiry=expiry))


@pytest.fixture
def clinic(ctx: AppContext) -> Clinic:
    """The conftest clinic with a 70 kg patient, one physician, one nurse and a few lots."""
    ensure_application()
    patient = patient_service.create_patient(ctx, PatientInput(
        mrn="E-100", family_name="Okafor", given_name="Ada", birth_date=date(1975, 6, 2), sex="female",
        weight_kg=70.0, history=History.of(allergies="no", pregnant="no", breastfeeding="no")))
    physician = staff.add_staff(ctx, "Amelia Hart", "MD", ("physician",))
    nurse = staff.add_staff(ctx, "Ben Ruiz", "RN", ("nurse",))
    add_lots(ctx)
    return Clinic(ctx, patient.id, physician.id, nurse.id)


@pytest.fixture
def make_editor(qtbot: QtBot, clinic: Clinic) -> Iterator[Callable[..., SessionEditor]]:
    """Open an editor (shown offscreen) on a new draft or the given one; closed without questions after."""
    opened: list[SessionEditor] = []

    def make(draft: SessionDraft | None = None, ctx: AppContext | None = None, baseline: Any = "same",
             key: str | None = None) -> SessionEditor:
        context = ctx or clinic.ctx
        draft = draft or drafts.new_draft(context, clinic.patient_id)
        editor = SessionEditor(context, draft, load_reference(context, draft.patient_id),
                               baseline=draft if baseline == "same" else baseline, key=key)
        opened.append(editor)  # closed below, not by qtbot: its clean-up runs while monkeypatches still hold
        editor.resize(1500, 950)
        editor.show()
        qtbot.waitExposed(editor)
        editor.diagram.view.fit()
        return editor

    yield make
    for editor in opened:
        discard_and_close(editor)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """QMessageBox statics answer from this dict (default Yes / Ok); every call lands in answers["calls"]."""
    state: dict[str, Any] = {"calls": [], "question": QMessageBox.StandardButton.Yes}

    def fake(kind: str) -> Callable[..., Any]:
        def box(_parent: object, title: str, text: str, *args: object, **kwargs: object) -> Any:
            state["calls"].append((kind, title, text))
            return state.get(kind, QMessageBox.StandardButton.Ok)
        return box

    for kind in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(fake(kind)))
    return state


def region(muscle_id: str, view: str, side: str) -> Region:
    return next(r for r in load_atlas().regions if (r.muscle_id, r.view, r.side) == (muscle_id, view, side))


def click_region(qtbot: QtBot, editor: SessionEditor, reg: Region) -> None:
    """A left click on the region's anchor, mapped from atlas coordinates to the view as a user sees it."""
    diagram = editor.diagram
    point: QPoint = diagram.view.mapFromScene(diagram.scene.scene_point(reg.view, *reg.anchor))
    qtbot.mouseClick(diagram.view.viewport(), Qt.MouseButton.LeftButton, pos=point)


def set_datetime(edit: Any, value: datetime) -> None:
    edit.setDateTime(QDateTime(value))
