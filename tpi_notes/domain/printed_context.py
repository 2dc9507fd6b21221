"""Everything a signed note prints by reference, fixed at signing (content version 5).

A session stores ids and codes: its physician, assistant and signer by user id, its syringes by formulary code
and lot number, its findings with the source each rule cites. The note prints what those point at: names and
credentials, the item's name, strength and concentration (and the limits its "% of maximum" is worked from), the
lot's expiry and NDC, the findings' sources. All of these can be renamed or edited after signing, which would
change the printed signed note while its hash still matched. So signing copies them into the signed context as
``printed`` (domain/signed_context.py keeps the patient and clinic the same way), the content hash covers them,
and a reprint of a signed note uses them (:func:`record_as_signed`, :func:`formulary_as_signed`).

Sessions signed before (content versions 1 to 4) have no ``printed`` part: they print the current names, as
they always did, and verify unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import date
from typing import Any

from tpi_notes.domain.formulary import FormularyItem

# The content version of a session signed with an Ed25519 signature and its printed values (1: the session
# alone; 2-4: with the patient and clinic, domain/signed_context.py; 5: with ``printed``, domain/signing.py).
PRINTED_CONTEXT_VERSION = 5

# What of a formulary item a note prints or works its doses and codes from (not its id, source or retirement).
ITEM_FIELDS = tuple(f.name for f in fields(FormularyItem) if f.name not in ("code", "id", "retired", "source",
                                                                            "effective_date"))


def item_values(item: FormularyItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in ITEM_FIELDS}


def capture_printed(*, physician: str, assistant: str, signer: str, items: Mapping[str, FormularyItem],
                    lots: list[dict[str, Any]], finding_sources: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``printed`` part of a signed context: people's labels ("Amelia Hart, MD"), the formulary items the
    syringes use (by code), each lot used (item code, lot number, expiry as ISO text, NDC), each finding's source."""
    return {
        "people": {"physician": physician, "assistant": assistant, "signed_by": signer},
        "formulary": {code: item_values(item) for code, item in sorted(items.items())},
        "lots": sorted(({"item_code": x["item_code"], "lot_number": x["lot_number"],
                         "expiry": x["expiry"].isoformat() if isinstance(x["expiry"], date) else x["expiry"],
                         "ndc": x.get("ndc") or ""} for x in lots),
                       key=lambda x: (x["item_code"], x["lot_number"])),
        "finding_sources": sorted(({"code": f["code"], "subject": f["subject"], "source": f["source"]}
                                   for f in finding_sources), key=lambda f: (f["code"], f["subject"])),
    }


def printed_of(context: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return (context or {}).get("printed") or None


def record_as_signed(record: Any, context: Mapping[str, Any] | None) -> Any:
    """A SessionRecord with the names, lot expiries (and NDCs) and finding sources it was signed with (unchanged when the
    context has no ``printed`` part: a draft, or a session signed before content version 5)."""
    printed = printed_of(context)
    if printed is None:
        return record
    people = printed.get("people", {})
    lots = {(x["item_code"], x["lot_number"]): x for x in printed.get("lots", ())}
    sources = {(f["code"], f["subject"]): f["source"] for f in printed.get("finding_sources", ())}

    def component(c: Any) -> Any:
        stored = lots.get((c.item_code, c.lot_number))
        if not stored:
            return c
        values = {"lot_expiry": date.fromisoformat(stored["expiry"]) if stored.get("expiry") else c.lot_expiry}
        if hasattr(c, "ndc"):  # a component that carries its lot's NDC prints it as signed
            values["ndc"] = stored.get("ndc", "")
        return replace(c, **values)

    preparations = tuple(replace(p, components=tuple(component(c) for c in p.components)) for p in record.preparations)
    findings = tuple(replace(f, source=sources.get((f.code, f.subject), f.source)) for f in record.findings)
    return replace(record, physician=people.get("physician", record.physician),
                   assistant=people.get("assistant", record.assistant),
                   signed_by=people.get("signed_by", record.signed_by), preparations=preparations, findings=findings)


def formulary_as_signed(formulary: Mapping[str, FormularyItem],
                        context: Mapping[str, Any] | None) -> dict[str, FormularyItem]:
    """``formulary`` with the items a signed note used as they were at signing (names, strengths, limits)."""
    out = dict(formulary)
    printed = printed_of(context)
    if printed is None:
        return out
    for code, values in printed.get("formulary", {}).items():
        known = {k: v for k, v in values.items() if k in ITEM_FIELDS}
        current = out.get(code)
        out[code] = replace(current, **known) if current is not None else FormularyItem(code=code, **known)
    return out
