"""What the syringe rows ask about vials: the open vials of the session's room, taking one, and scanned vials.

One per editor. It reads the open vials when the editor opens, again when an offer is asked for half a minute or
more later, and keeps the ones it records; each action goes through a service (services/open_vials.py, services/vial_scan.py), which re-reads what it decides on.
A vial recorded or discarded here, or found gone when taken, changes the list at once and tells the listeners (the
editor re-offers in every syringe row and in the findings panel): nothing offers a vial discarded a moment ago.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from time import monotonic

from tpi_notes.domain.errors import NotFoundError, TpiError
from tpi_notes.domain.formulary import Lot
from tpi_notes.domain.open_vials import OpenVial, offers, room_key, vial_problem
from tpi_notes.domain.permissions import Permission
from tpi_notes.services import open_vials, vial_scan
from tpi_notes.services.context import AppContext
from tpi_notes.services.vial_scan import ScannedLot
from tpi_notes.ui.editor.reference import EditorReference

RELOAD_S = 30.0


class VialDesk:
    def __init__(self, ctx: AppContext, reference: EditorReference, room: Callable[[], str],
                 started: Callable[[], datetime | None] = lambda: None) -> None:
        self.ctx = ctx
        self.reference = reference
        self.room = room
        self.started = started  # the procedure's start: a single-dose vial serves the procedure it was opened for
        self.vials: list[OpenVial] = []
        self._read_at = 0.0
        self._listeners: list[Callable[[], None]] = []
        self._reload()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the open vials changed here (recorded, discarded, found gone)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _reload(self) -> None:
        """Read the open vials again (vials opened on another workstation show within RELOAD_S)."""
        self._read_at = monotonic()
        try:
            self.vials = open_vials.list_open(self.ctx)
        except TpiError:  # a reader without the permission still charts; nothing is offered
            self.vials = []

    @staticmethod
    def at(day: date) -> datetime:
        """The moment a vial is judged at: now for today's session, the end of its day for an earlier one."""
        now = datetime.now()
        return now if day >= now.date() else datetime.combine(day, time.max)

    def offers(self, item_code: str, day: date) -> tuple[list[OpenVial], list[str]]:
        if monotonic() - self._read_at > RELOAD_S:
            self._reload()
        return offers(self.vials, item_code, self.room(), self.reference.patient.id, self.at(day),
                      started=self.started())

    def past_use(self, item_code: str, day: date) -> list[OpenVial]:
        """The item's multi-dose vials open in this room that may no longer be used (past 28 days, lot expired),
        latest opened first: those the row's refusal says to discard."""
        at, room, patient = self.at(day), room_key(self.room()), self.reference.patient.id
        gone = [v for v in self.vials if v.item_code == item_code and room_key(v.room) == room and not v.single_dose
                and v.opened_at <= at and vial_problem(v, patient, at, started=self.started())]
        return sorted(gone, key=lambda v: v.opened_at, reverse=True)

    def take(self, vial: OpenVial, day: date) -> OpenVial:
        try:
            return open_vials.take_open_vial(self.ctx, vial.id, self.reference.patient.id, self.at(day),
                                             started=self.started())
        except NotFoundError:  # discarded or recalled on another workstation: read again, offered no more
            self._reload()
            self._changed()
            raise

    @property
    def can_discard(self) -> bool:
        return self.ctx.can(Permission.PREPARE_DRAFTS)

    def discard(self, vial: OpenVial) -> OpenVial:
        """Record ``vial`` as discarded; the same moment it leaves the list every offer is made from."""
        try:
            gone = open_vials.discard_open_vial(self.ctx, vial.id)
        except NotFoundError:  # discarded elsewhere already: the list is read again all the same
            self._reload()
            self._changed()
            raise
        self.vials = [v for v in self.vials if v.id != vial.id]
        self._changed()
        return gone

    @property
    def can_register(self) -> bool:
        return self.ctx.can(Permission.MANAGE_FORMULARY)

    def resolve(self, text: str, day: date) -> ScannedLot:
        return vial_scan.resolve_scan(self.ctx, text, day)

    def register(self, found: ScannedLot) -> Lot:
        lot = vial_scan.register_scanned_lot(self.ctx, found)
        self.reference.lots.append(lot)
        return lot

    def record_opened(self, found: ScannedLot, day: date) -> OpenVial:
        """The scanned vial as opened in this room now (the same vial again when its serial is known)."""
        return self._record(found.item_code, found.lot_number, day, found.scan.serial)

    def record_chosen(self, item_code: str, lot_number: str, day: date) -> OpenVial:
        """A new vial of the lot chosen in the row, opened now in this room."""
        return self._record(item_code, lot_number, day, "")

    def _record(self, item_code: str, lot_number: str, day: date, serial: str) -> OpenVial:
        """Opened now; for a session of an earlier day (a late entry), when that procedure started: the vial was
        opened for it, not at the end of its day."""
        now, started = datetime.now(), self.started()
        when = started if day < now.date() and started is not None and started.date() == day else min(self.at(day), now)
        vial = open_vials.record_opened(self.ctx, item_code, lot_number, self.room(), serial=serial,
                                        patient_id=self.reference.patient.id, at=when, started=started)
        if all(v.id != vial.id for v in self.vials):
            self.vials.insert(0, vial)
        self._changed()
        return vial
