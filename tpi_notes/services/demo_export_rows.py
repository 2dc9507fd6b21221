"""The demo's stored CSV rows (migration 0024), worked out from the rows it has just made rather than read back.

Signing stores a signed session's CSV row (db/repositories/stored_export_rows.py): the export's reference reader
(``export_rows.load``) gives an ``ExportSession``, and ``export_record`` + ``csv_row`` make the row. Reading 100,000
sessions back for that was a third of the demo's time, so the demo hands the same builder an ``ExportSession``
made here from the values it is about to write, exactly as the reader would give them back (ordering, ``or ""``,
booleans, the patient as signed). tests/test_demo_bulk.py compares every stored row of a demo with what the
reference path works out from the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tpi_notes.db.models import FormularyItem, Lot
from tpi_notes.db.repositories import export_rows, reference
from tpi_notes.db.repositories.stored_export_rows import storable
from tpi_notes.domain.allergies import entries_from_json
from tpi_notes.domain.dosing import DoseSummary
from tpi_notes.domain.export_csv import csv_row, row_format, stored_parts
from tpi_notes.domain.export_records import (
    ExportAddendum,
    ExportComponent,
    ExportDiagnosis,
    ExportExamFinding,
    ExportFinding,
    ExportPatient,
    ExportPreparation,
    ExportSession,
    ExportSite,
    export_record,
)
from tpi_notes.domain.history_answers import history_from_values
from tpi_notes.domain.outcomes import PriorResponse, ScaleScore
from tpi_notes.domain.session import EStim
from tpi_notes.domain.signed_context import export_patient_as_signed


@dataclass(frozen=True)
class ExportLookups:
    """What the stored rows read from the clinic besides the session: plain data, handed to worker processes."""

    people: dict[int, Any]
    codes: dict[int, str]
    formulary: dict[str, Any]
    profile: str
    format: str
    vials: dict[int, float | None]
    lots: dict[int, tuple[str, Any, str]]

    @classmethod
    def read(cls, s: Session) -> ExportLookups:
        """Read once the staff, formulary and lots are written."""
        found = export_rows.lookups(s)
        return cls(found.people, found.item_codes,
                   {item.code: item for item in reference.list_items(s, include_retired=True)},
                   reference.settings(s).estim_payer_profile, row_format(),
                   dict(s.execute(select(FormularyItem.id, FormularyItem.vial_volume_ml)).all()),
                   {lot_id: (number, expiry, ndc) for lot_id, number, expiry, ndc
                    in s.execute(select(Lot.id, Lot.lot_number, Lot.expiry, Lot.ndc))})


class ExportRowMaker:
    """Made from :class:`ExportLookups`; :meth:`rows` per session."""

    def __init__(self, found: ExportLookups) -> None:
        self.people = found.people
        self.codes = found.codes
        self.formulary = found.formulary
        self.profile = found.profile
        self.format = found.format
        self.vials = found.vials
        self.lots = found.lots
        # (now, as signed) for the patient whose sessions are being made: a patient's sessions come together
        self.current: tuple[int, tuple[ExportPatient, ExportPatient]] | None = None

    def patient(self, row: dict[str, Any], context: dict[str, Any]) -> tuple[ExportPatient, ExportPatient]:
        """The patient as registered and as signed; ``row`` is the patient row as written (JSON columns as read
        back: through the same text)."""
        if self.current is not None and self.current[0] == row["id"]:
            return self.current[1]
        allergies, answers = json.loads(json.dumps(row["allergies"])), json.loads(json.dumps(row["history"]))
        values = {"allergies": allergies, "anticoagulant": row["anticoagulant"],
                  "bleeding_disorder": row["bleeding_disorder"], "diabetes": row["diabetes"],
                  "pregnant": row["pregnant"], "breastfeeding": row["breastfeeding"],
                  "immunosuppressed": row["immunosuppressed"], "implanted_device": row["implanted_device"]}
        now = ExportPatient(row["id"], row["mrn"], row["family_name"], row["given_name"], row["birth_date"],
                            row["sex"], row["weight_kg"], bool(row["diabetes"]), row["anticoagulant"] or "",
                            bool(row["pregnant"]), bool(row["breastfeeding"]),
                            history_from_values(values, answers or {}), row["weight_date"], bool(row["insulin"]),
                            entries_from_json(allergies), bool(row["bleeding_disorder"]),
                            bool(row["immunosuppressed"]), bool(row["implanted_device"]))
        known = (now, export_patient_as_signed(now, json.loads(json.dumps(context))))
        self.current = (row["id"], known)
        return known

    def rows(self, record: dict[str, list[dict]], patient_row: dict[str, Any],
             doses: tuple[float | None, DoseSummary] | None = None) -> list[dict[str, Any]]:
        """The stored row of the session in ``record`` (the demo's rows by table name), if it is signed.
        ``doses``: (weight, dose summary) the rules worked out for the same sites and syringes; used when the
        patient as signed has that weight (the summary's maxima follow it), else worked out again."""
        session = record["procedure_session"][0]
        if session["status"] != "signed":
            return []
        x = self.session(record, patient_row)
        if not storable(x):
            return []
        known = doses[1] if doses is not None and doses[0] == x.patient.weight_kg else None
        head, tail = stored_parts(csv_row(export_record(x, self.formulary, self.profile, doses=known)))
        return [{"session_id": x.id, "format_version": self.format, "payer_profile": self.profile, "head": head,
                 "tail": tail}]

    def session(self, record: dict[str, list[dict]], patient_row: dict[str, Any]) -> ExportSession:
        p = record["procedure_session"][0]
        people = self.people
        now, patient = self.patient(patient_row, p["signed_context"]) if p["signed_context"] else (
            None, self.patient(patient_row, {})[0])
        labels = {}
        preparations = []
        for prep in sorted(record["preparation"], key=lambda r: r["label"]):
            labels[prep["id"]] = prep["label"]
            parts = []
            for c in sorted((c for c in record["preparation_component"] if c["preparation_id"] == prep["id"]),
                            key=lambda c: c["position"]):
                number, expiry, ndc = self.lots.get(c["lot_id"], ("", None, ""))
                parts.append(ExportComponent(self.codes.get(c["item_id"], ""), c["volume_ml"], number or "", expiry,
                                             ndc or "", self.vials.get(c["item_id"]), c.get("vials_opened")))
            preparations.append(ExportPreparation(prep["label"], tuple(parts), sum(c.volume_ml for c in parts)))
        sites = tuple(ExportSite(
            x["number"], x["view"], x["x"], x["y"], x["region_code"], x["muscle_id"], x["muscle"], x["side"],
            x["technique"], labels.get(x["preparation_id"]), x["volume_ml"],
            None if x["estim_frequency_hz"] is None else EStim(
                x["estim_frequency_hz"], x["estim_pulse_width_us"] or 0.0, x["estim_intensity_ma"] or 0.0,
                x["estim_minutes"] or 0.0, bool(x["estim_attended"])),
            x["needle"] or "", x["aspiration"], x["passes"], x["twitch"], x["needles_in"], x["needles_out"],
            x["dwell_minutes"], x["note"] or "") for x in sorted(record["site"], key=lambda r: r["number"]))
        addenda = tuple(ExportAddendum(a["kind"], a["text"], people[a["author_id"]].label, a["created_at"],
                                       a["content_sha256"])
                        for a in sorted(record["addendum"], key=lambda r: (r["created_at"], r["id"])))
        scales = tuple(ScaleScore(r["scale"], tuple(r["items"] or ()), r["measured_at"], r["measured_by_id"],
                                  people[r["measured_by_id"]].label if r["measured_by_id"] in people else "")
                       for r in sorted(record["session_scale"], key=lambda r: r["scale"]))
        responses = tuple(PriorResponse(r["prior_session_id"], r["muscle_id"], r["side"], r["relief_pct"],
                                        r["duration_weeks"], bool(r["lasting"]))
                          for r in sorted(record["prior_response"],
                                          key=lambda r: (r["prior_session_id"], r["muscle_id"], r["side"])))

        def person(uid: int | None) -> Any:
            return people.get(uid) if uid is not None else None

        return ExportSession(
            p["id"], p["status"], p["performed_start"], p["performed_end"], p["location"] or "", patient,
            person(p["physician_id"]), person(p["assistant_id"]), person(p["signed_by_id"]), p["signed_at"],
            p["content_sha256"], p["atlas_version"], p["indication"] or "", p["pain_before"], p["pain_after"],
            p["relief_pct"], p["complications"] or "", p["follow_up"] or "", p["comments"] or "",
            tuple(ExportDiagnosis(d["code"], d["display"]) for d in sorted(record["session_diagnosis"],
                                                                          key=lambda r: r["position"])),
            tuple(preparations), sites,
            tuple(ExportFinding(f["rule_code"], f["severity"], f["message"], f["subject"], f["override_reason"] or "")
                  for f in record["session_finding"]),
            addenda, now,
            conservative_care=p["conservative_care"] or "",
            exam_findings=tuple(ExportExamFinding(str(f.get("region_code", "")), bool(f.get("taut_band")),
                                                  bool(f.get("hypersensitive_spot")), bool(f.get("referred_pain")),
                                                  bool(f.get("twitch")), str(f.get("muscle_id") or ""),
                                                  str(f.get("side") or ""), bool(f.get("jump_sign")))
                                for f in p["exam_findings"] or ()),
            consent_type=p["consent_type"], consent_risks=tuple(p["consent_risks"] or ()),
            consent_form_id=p["consent_form_id"] or "", timeout_done=bool(p["timeout_done"]),
            timeout_at=p["timeout_at"], position=p["position"] or "", antisepsis=p["antisepsis"] or "",
            guidance=p["guidance"], respiratory_check=p["respiratory_check"] or "", tolerance=p["tolerance"] or "",
            blood_loss=p["blood_loss"] or "", observation_minutes=p["observation_minutes"],
            disposition=p["disposition"] or "", follow_up_in=p["follow_up_in"] or "",
            scales=scales, prior_responses=responses,
        )
