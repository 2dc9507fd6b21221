"""The lot the findings panel offers for a syringe drug without one (issue 16: the repeat visit in 15 actions).

Offered, never chosen: the offer is a button the physician presses, which records the lot as choosing it in the
syringe row does. For each drug, in this order: the room's open vial of it; else the lot last used for it in this
room, then anywhere in the clinic; else the only in-date lot registered for it. Never a lot that is expired on
the session's day, retired (recalled) or not on the lot list; a drug with no such candidate is left for the
Syringes tab. Expiry is checked again at Sign, as for a lot chosen by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tpi_notes.domain.formulary import Lot
from tpi_notes.domain.open_vials import OpenVial


@dataclass(frozen=True)
class LastUse:
    """A lot recorded for a drug on a signed session: ``here`` when that session was in this room."""

    item_code: str
    lot_number: str
    used_on: date
    here: bool


@dataclass(frozen=True)
class LotOffer:
    item_code: str
    lot_number: str
    why: str  # "open vial, Procedure room 1", "used here 2026-09-04", "the only in-date lot"
    vial: OpenVial | None = None  # taken through the open-vial bookkeeping when pressed


def usable_lots(item_code: str, lots: Iterable[Lot], day: date) -> dict[str, Lot]:
    """The drug's registered lots that are neither retired nor expired on ``day``."""
    return {lot.lot_number: lot for lot in lots
            if lot.item_code == item_code and not lot.retired and not lot.expired_on(day)}


def offer_lot(item_code: str, day: date, lots: Iterable[Lot], *, open_vial: OpenVial | None = None,
              last_uses: Iterable[LastUse] = ()) -> LotOffer | None:
    """The lot to offer for ``item_code`` on ``day``, or None (the row's own list is the way then)."""
    usable = usable_lots(item_code, lots, day)
    if open_vial is not None and open_vial.item_code == item_code and open_vial.lot_number in usable:
        where = " ".join(open_vial.room.split()) or "this room"
        return LotOffer(item_code, open_vial.lot_number, f"open vial, {where}", open_vial)
    # this room's last use first, then the clinic's
    ranked = sorted((u for u in last_uses if u.item_code == item_code),
                    key=lambda u: (not u.here, -u.used_on.toordinal()))
    for use in ranked:
        if use.lot_number in usable:
            return LotOffer(item_code, use.lot_number,
                            f"used {'here' if use.here else 'in the clinic'} {use.used_on.isoformat()}")
    if len(usable) == 1:
        return LotOffer(item_code, next(iter(usable)), "the only in-date lot")
    return None
