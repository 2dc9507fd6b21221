"""Reading a line of the JSON Lines export back into plain domain objects, for `tpi-notes assess` (issue 13 item 7).

Each line becomes the objects the editor and signing work on: a ``SessionDraft`` (``id`` is the exported
session number) and a ``PatientRecord``, with no database. A line may be hand-written: only ``performed_at``
and ``patient`` are required; a site may name just its ``region_code`` (muscle, side, view and a point come
from the atlas); a history item given as ``false`` is an asserted "no", ``null`` or absent is "not asked", and
the ``history`` object (as exported) overrides both; an allergy may be just ``{"substance": "Kenalog"}`` (the
app resolves it, ``domain/allergies.py``). Anything else wrong is a :class:`LineError` naming the key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from tpi_notes.anatomy import Atlas, load_atlas
from tpi_notes.domain.allergies import AllergyEntry, entry_from_export
from tpi_notes.domain.draft import CONSENT_TYPES, GUIDANCE, SessionDraft
from tpi_notes.domain.drug_waste import MAX_VIALS
from tpi_notes.domain.findings import FindingOverride
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.history_answers import ITEMS, Answer, History
from tpi_notes.domain.outcomes_export import responses_from_json, scales_from_json
from tpi_notes.domain.patient import SEXES, PatientRecord
from tpi_notes.domain.session import (
    SIDES,
    TECHNIQUES,
    VIEWS,
    Component,
    Diagnosis,
    EStim,
    ExamFinding,
    Preparation,
    Site,
)

_BOOLEAN_ITEMS = ("bleeding_disorder", "diabetes", "pregnant", "breastfeeding", "immunosuppressed",
                  "implanted_device")


class LineError(ValueError):
    """A line that cannot be rebuilt into a session; the message names the key and what is wrong."""


@dataclass(frozen=True)
class ExportedSession:
    """One line rebuilt: the session as a draft (``id`` is the exported session number) and its patient."""

    session_id: int | None
    status: str
    mrn: str
    patient: PatientRecord
    draft: SessionDraft
    payer_profile: str | None  # what the export's codes were derived with (None: not in the line)
    finding_codes: frozenset[str] = frozenset()  # the rule codes of the line's (signed) findings


def _get(obj: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], where: str, default: Any = None,
         required: bool = False) -> Any:
    if key not in obj or obj[key] is None:
        if required:
            raise LineError(f"{where}{key} is missing")
        return default
    value = obj[key]
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise LineError(f"{where}{key}: {value!r} is not {_kind_name(kinds)}")
    if not isinstance(value, kinds):
        raise LineError(f"{where}{key}: {_shown(value)} is not {_kind_name(kinds)}")
    return value


def _kind_name(kinds: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false", list: "a list",
             dict: "an object"}
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


_NUMBER = (int, float)


def _number(obj: Mapping[str, Any], key: str, where: str, required: bool = False) -> float | None:
    value = _get(obj, key, _NUMBER, where, required=required)
    if value is not None and not math.isfinite(value):
        raise LineError(f"{where}{key}: {value!r} is not a finite number")
    return None if value is None else float(value)


def _whole(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    value = _get(obj, key, _NUMBER, where)
    if value is None:
        return None
    if not math.isfinite(value) or float(value) != int(value):
        raise LineError(f"{where}{key}: {value!r} is not a whole number")
    return int(value)


def _day(obj: Mapping[str, Any], key: str, where: str, required: bool = False) -> date | None:
    text = _get(obj, key, str, where, required=required)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LineError(f"{where}{key}: {_shown(text)} is not a date (YYYY-MM-DD)") from None


def _moment(obj: Mapping[str, Any], key: str, where: str, required: bool = False) -> datetime | None:
    """An exported time: the clinic's wall-clock time with a UTC offset; the offset is dropped, as stored."""
    text = _get(obj, key, str, where, required=required)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise LineError(f"{where}{key}: {_shown(text)} is not an ISO 8601 time") from None


def _history(raw: Mapping[str, Any]) -> History:
    """The answers: ``false``/``null`` of the booleans first, then the exported ``history`` object."""
    answers: dict[str, Answer] = {}
    for item in _BOOLEAN_ITEMS:
        if raw.get(item) is False:
            answers[item] = Answer("no")
    exported = _get(raw, "history", dict, "patient.", default={})
    stated = History.from_json(exported)
    for item in ITEMS:
        if item in exported:
            answers[item] = stated.get(item)
    return History().with_answers(answers)


def _allergies(raw: Any) -> tuple[AllergyEntry, ...]:
    """The allergies as coded entries: ``{"substance": "Kenalog"}`` (or plain text) is enough, the app resolves
    it (``entry_from_export``); a ``kind`` of ``intolerance`` and a reaction are kept."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise LineError(f"patient.allergies: {_shown(raw)} is not a list")
    out = []
    for i, entry in enumerate(raw):
        if isinstance(entry, str):
            entry = {"substance": entry}
        try:
            out.append(entry_from_export(entry))
        except (ValueError, TypeError, AttributeError):
            raise LineError(f"patient.allergies[{i}]: {_shown(entry)} is neither text nor "
                            "{\"substance\": \"...\"}") from None
    return tuple(e for e in out if e.substance.strip())


def read_patient(raw: Any) -> PatientRecord:
    if not isinstance(raw, Mapping):
        raise LineError("patient is missing or not an object")
    w = "patient."
    sex = _get(raw, "sex", str, w, default="unknown")
    if sex not in SEXES:
        raise LineError(f"patient.sex: {_shown(sex)} is not one of {', '.join(SEXES)}")
    values = {item: _get(raw, item, bool, w, default=False) for item in _BOOLEAN_ITEMS}
    entries = _allergies(raw.get("allergies"))
    return PatientRecord(
        mrn=_get(raw, "mrn", (str, int), w, default="") and str(raw["mrn"]),
        family_name=_get(raw, "family_name", str, w, default=""), given_name=_get(raw, "given_name", str, w, default=""),
        birth_date=_day(raw, "birth_date", w), sex=sex, weight_kg=_number(raw, "weight_kg", w),
        weight_date=_day(raw, "weight_date", w), allergies=tuple(e.substance for e in entries),
        allergy_entries=entries,
        anticoagulant=_get(raw, "anticoagulant", str, w, default=""),
        insulin=_get(raw, "insulin", bool, w, default=False), history=_history(raw), **values,
    )


def _estim(raw: Any, where: str) -> EStim | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise LineError(f"{where}e_stim: {_shown(raw)} is not an object")
    w = f"{where}e_stim."
    return EStim(_number(raw, "frequency_hz", w, True) or 0.0, _number(raw, "pulse_width_us", w) or 0.0,
                 _number(raw, "intensity_ma", w) or 0.0, _number(raw, "minutes", w) or 0.0,
                 bool(_get(raw, "attended", bool, w, default=False)))


def _site(raw: Any, i: int, atlas: Atlas) -> Site:
    w = f"sites[{i}]."
    if not isinstance(raw, Mapping):
        raise LineError(f"sites[{i}] is not an object")
    code = _get(raw, "region_code", str, w, required=True)
    try:
        region = atlas.region(code)
    except KeyError as exc:
        raise LineError(f"{w}region_code: {exc.args[0]}") from None
    technique = _get(raw, "technique", str, w, default="injection")
    if technique not in TECHNIQUES:
        raise LineError(f"{w}technique: {_shown(technique)} is not one of {', '.join(TECHNIQUES)}")
    muscle_id = _get(raw, "muscle_id", str, w, default=region.muscle_id)
    known = {region.muscle_id: region.muscle} | {d.muscle_id: d.muscle for d in region.deep}
    if muscle_id not in known:
        raise LineError(f"{w}muscle_id: {_shown(muscle_id)} is not a muscle of region {code}")
    side = _get(raw, "side", str, w, default=region.side)
    view = _get(raw, "view", str, w, default=region.view)
    if side not in SIDES or view not in VIEWS:
        raise LineError(f"{w}side/view: {_shown(side)}/{_shown(view)} is not L or R / anterior or posterior")
    number = _whole(raw, "number", w)
    return Site(
        number=i + 1 if number is None else number, view=view,
        x=_number(raw, "x", w) if raw.get("x") is not None else region.anchor[0],
        y=_number(raw, "y", w) if raw.get("y") is not None else region.anchor[1],
        region_code=code, muscle_id=muscle_id, muscle=_get(raw, "muscle", str, w, default=known[muscle_id]),
        side=side, technique=technique, preparation_label=_get(raw, "preparation", str, w),
        volume_ml=_number(raw, "volume_ml", w), needle=_get(raw, "needle", str, w, default=""),
        aspiration=_get(raw, "aspiration", bool, w), passes=_whole(raw, "passes", w),
        twitch=_get(raw, "twitch", bool, w), needles_in=_whole(raw, "needles_in", w),
        needles_out=_whole(raw, "needles_out", w), dwell_minutes=_number(raw, "dwell_minutes", w),
        estim=_estim(raw.get("e_stim"), w), note=_get(raw, "note", str, w, default=""),
    )


def _syringe(raw: Any, i: int, formulary: Mapping[str, FormularyItem]) -> Preparation:
    w = f"syringes[{i}]."
    if not isinstance(raw, Mapping):
        raise LineError(f"syringes[{i}] is not an object")
    label = _get(raw, "label", str, w, required=True)
    parts = []
    for j, c in enumerate(_get(raw, "components", list, w, default=[])):
        cw = f"{w}components[{j}]."
        if not isinstance(c, Mapping):
            raise LineError(f"{w}components[{j}] is not an object")
        code = _get(c, "item_code", str, cw, required=True)
        if code not in formulary:
            raise LineError(f"{cw}item_code: {_shown(code)} is not in the formulary (give --db for a clinic's own "
                            "items)")
        vials = _whole(c, "vials_opened", cw)
        if vials is not None and not 0 <= vials <= MAX_VIALS:
            raise LineError(f"{cw}vials_opened: {vials} is not between 0 and {MAX_VIALS}")
        parts.append(Component(code, _number(c, "volume_ml", cw, required=True) or 0.0,
                               _get(c, "lot", str, cw, default=""), _day(c, "expires", cw), vials,
                               _get(c, "ndc", str, cw, default="") or ""))
    return Preparation(label, tuple(parts))


def _items(obj: Mapping[str, Any], key: str) -> list:
    return _get(obj, key, list, "", default=[])


@lru_cache(maxsize=8)
def atlas_of(version: str | None) -> Atlas:
    return load_atlas(version)  # cached here too: load_atlas resolves the resources folder on every call


def _outcome(read: Callable[[Mapping[str, Any]], Any], obj: Mapping[str, Any]) -> Any:
    """The line's ``peg`` or ``prior_response`` (issue 17), a LineError naming what is wrong."""
    try:
        return read(obj)
    except ValueError as exc:
        raise LineError(str(exc)) from None


def read_session(obj: Any, formulary: Mapping[str, FormularyItem],
                 atlas_for: Callable[[str | None], Atlas] = atlas_of) -> ExportedSession:
    """The line's session and patient as plain domain objects; :class:`LineError` names what is wrong."""
    if not isinstance(obj, Mapping):
        raise LineError("the line is not a JSON object")
    session_id = _whole(obj, "session_id", "")
    status = _get(obj, "status", str, "", default="draft")
    patient = read_patient(obj.get("patient"))
    start = _moment(obj, "performed_at", "", required=True)
    version = _get(obj, "atlas_version", (str, int), "")
    try:
        atlas = atlas_for(None if version is None else str(version))
    except ValueError as exc:
        raise LineError(f"atlas_version: {exc}") from None
    sites = tuple(_site(raw, i, atlas) for i, raw in enumerate(_items(obj, "sites")))
    syringes = tuple(_syringe(raw, i, formulary) for i, raw in enumerate(_items(obj, "syringes")))
    labels = {p.label for p in syringes}
    for s in sites:
        if s.preparation_label and s.preparation_label not in labels:
            raise LineError(f"sites: site {s.number} names syringe {_shown(s.preparation_label)}, which "
                            "`syringes` does not hold")
    diagnoses = []
    for i, d in enumerate(_items(obj, "diagnoses")):
        if isinstance(d, str):
            diagnoses.append(Diagnosis(d, ""))
        elif isinstance(d, Mapping) and isinstance(d.get("code"), str):
            diagnoses.append(Diagnosis(d["code"], str(d.get("display") or "")))
        else:
            raise LineError(f"diagnoses[{i}]: {_shown(d)} has no code")
    exam = tuple(ExamFinding(str(f.get("region_code", "")), *(bool(f.get(k)) for k in (
        "taut_band", "hypersensitive_spot", "referred_pain", "twitch")), muscle_id=str(f.get("muscle_id") or ""),
        side=str(f.get("side") or ""), jump_sign=bool(f.get("jump_sign"))) for f in _items(obj, "exam_findings")
        if isinstance(f, Mapping))
    consent = _get(obj, "consent", dict, "", default={})
    consent_type = _get(consent, "type", str, "consent.")
    if consent_type is not None and consent_type not in CONSENT_TYPES:
        raise LineError(f"consent.type: {_shown(consent_type)} is not one of {', '.join(CONSENT_TYPES)}")
    risks = _get(consent, "risks_discussed", list, "consent.", default=[])
    time_out = _get(obj, "time_out", dict, "", default={})
    guidance = _get(obj, "guidance", str, "")
    if guidance is not None and guidance not in GUIDANCE:
        raise LineError(f"guidance: {_shown(guidance)} is not one of {', '.join(GUIDANCE)}")
    overrides = tuple(FindingOverride(str(f.get("code", "")), str(f.get("subject") or ""),
                                      str(f["override_reason"]))
                      for f in _items(obj, "findings") if isinstance(f, Mapping) and f.get("override_reason"))
    draft = SessionDraft(
        patient_id=patient.id, performed_start=start, atlas_version=atlas.version, id=session_id,
        performed_end=_moment(obj, "performed_end", ""), location=_get(obj, "location", str, "", default=""),
        # identity is not needed to check a note, only whether a physician is named
        physician_id=-1 if obj.get("physician") else None,
        indication=_get(obj, "indication", str, "", default=""), diagnoses=tuple(diagnoses),
        conservative_care=_get(obj, "conservative_care", str, "", default=""), exam_findings=exam,
        consent_type=consent_type, consent_risks=tuple(str(r) for r in risks),
        consent_form_id=_get(consent, "form_id", str, "consent.", default=""),
        timeout_done=bool(_get(time_out, "done", bool, "time_out.", default=False)),
        timeout_at=_moment(time_out, "at", "time_out."), position=_get(obj, "position", str, "", default=""),
        antisepsis=_get(obj, "antisepsis", str, "", default=""), guidance=guidance,
        pain_before=_whole(obj, "pain_before", ""), pain_after=_whole(obj, "pain_after", ""),
        relief_pct=_whole(obj, "relief_pct", ""), complications=_get(obj, "complications", str, "", default=""),
        tolerance=_get(obj, "tolerance", str, "", default=""), blood_loss=_get(obj, "blood_loss", str, "", default=""),
        observation_minutes=_whole(obj, "observation_minutes", ""),
        respiratory_check=_get(obj, "respiratory_check", str, "", default=""),
        disposition=_get(obj, "disposition", str, "", default=""),
        follow_up=_get(obj, "follow_up", str, "", default=""), comments=_get(obj, "comments", str, "", default=""),
        follow_up_in=_get(obj, "follow_up_in", str, "", default=""),
        scales=_outcome(scales_from_json, obj), prior_responses=_outcome(responses_from_json, obj),
        preparations=syringes, sites=sites, overrides=overrides,
    )
    codes = _get(obj, "codes", dict, "", default={})
    return ExportedSession(session_id, status, patient.mrn, patient, draft,
                           _get(codes, "payer_profile", str, "codes."),
                           frozenset(str(f.get("code")) for f in _items(obj, "findings") if isinstance(f, Mapping)))
