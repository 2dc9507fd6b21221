"""The session as the exports see it (product.md §8): light plain records plus the doses and codes derived from them.

The exports read 100,000 sessions in seconds, so the database hands out these named tuples (cheap to build)
instead of full ``SessionRecord``s. They carry the attributes the dose and coding rules read (``sites``,
``preparations``, ``diagnoses`` with the same field names), so ``dose_summary`` and ``derive_codes`` run on
them unchanged: an exported session is dosed and coded exactly as its note is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import NamedTuple

from tpi_notes.domain.coding import Coding, derive_codes
from tpi_notes.domain.dosing import DoseSummary, dose_summary
from tpi_notes.domain.formulary import FormularyItem
from tpi_notes.domain.outcomes import PriorResponse, ScaleScore
from tpi_notes.domain.rules import RuleSet, rules_for
from tpi_notes.domain.session import EStim

# A complication entry that means "none" (the editor's picklist offers "None").
NO_COMPLICATION = ("", "none", "none.", "no complications", "nil")


class Clinician(NamedTuple):
    """A user named on a session: the physician, the assistant, the signer, an addendum's author."""

    id: int
    username: str
    full_name: str
    credentials: str

    @property
    def label(self) -> str:
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name


class ExportPatient(NamedTuple):
    id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    weight_kg: float | None
    diabetes: bool
    anticoagulant: str
    pregnant: bool
    breastfeeding: bool
    # Each history item's answer {item: {"state", "recorded_by", "recorded_at"}} (domain/history_answers.py).
    history: dict = {}  # noqa: RUF012 - a NamedTuple default, never mutated
    # The rest of the record a safety rule reads (issue 13 item 7: `tpi-notes assess` re-checks an export).
    weight_date: date | None = None
    insulin: bool = False
    allergies: tuple = ()  # as stored: text, or the coded entries once allergies are coded
    bleeding_disorder: bool = False
    immunosuppressed: bool = False
    implanted_device: bool = False


class ExportComponent(NamedTuple):
    item_code: str
    volume_ml: float
    lot_number: str
    lot_expiry: date | None
    ndc: str = ""
    vial_volume_ml: float | None = None  # the formulary item's vial size (single-dose vials: JW/JZ)
    vials_opened: int | None = None  # single-dose vials opened (migration 0015); None: what the volume needs


class ExportPreparation(NamedTuple):
    label: str
    components: tuple[ExportComponent, ...]
    total_ml: float


class ExportSite(NamedTuple):
    number: int
    view: str
    x: float
    y: float
    region_code: str
    muscle_id: str
    muscle: str
    side: str
    technique: str
    preparation_label: str | None
    volume_ml: float | None
    estim: EStim | None
    # The needle record of the site (domain/session.py Site), for `tpi-notes assess`.
    needle: str = ""
    aspiration: bool | None = None
    passes: int | None = None
    twitch: bool | None = None
    needles_in: int | None = None
    needles_out: int | None = None
    dwell_minutes: float | None = None
    note: str = ""


class ExportExamFinding(NamedTuple):
    region_code: str
    taut_band: bool
    hypersensitive_spot: bool
    referred_pain: bool
    twitch: bool
    muscle_id: str = ""  # empty on a finding signed region-keyed (before migration 0016)
    side: str = ""
    jump_sign: bool = False


class ExportDiagnosis(NamedTuple):
    code: str
    display: str


class ExportFinding(NamedTuple):
    code: str
    severity: str
    message: str
    subject: str
    override_reason: str


class ExportAddendum(NamedTuple):
    kind: str
    text: str
    author: str
    created_at: datetime
    content_sha256: str


class ExportSession(NamedTuple):
    """One stored session with everything an export writes (names resolved, children in their order)."""

    id: int
    status: str
    performed_start: datetime
    performed_end: datetime | None
    location: str
    patient: ExportPatient
    physician: Clinician | None
    assistant: Clinician | None
    signed_by: Clinician | None
    signed_at: datetime | None
    content_sha256: str | None
    atlas_version: str
    indication: str
    pain_before: int | None
    pain_after: int | None
    relief_pct: int | None
    complications: str
    follow_up: str
    comments: str
    diagnoses: tuple[ExportDiagnosis, ...]
    preparations: tuple[ExportPreparation, ...]
    sites: tuple[ExportSite, ...]
    findings: tuple[ExportFinding, ...]
    addenda: tuple[ExportAddendum, ...]
    # The patient's record as it is now, when ``patient`` holds the values the session was signed with
    # (domain/signed_context.py); None when the two are the same (drafts, sessions signed before).
    patient_now: ExportPatient | None = None
    # The rest of the procedure record the rules read (consent, time-out, skin prep, guidance, the
    # respiratory check, the examination), for `tpi-notes assess` (issue 13 item 7).
    conservative_care: str = ""
    exam_findings: tuple[ExportExamFinding, ...] = ()
    consent_type: str | None = None
    consent_risks: tuple[str, ...] = ()
    consent_form_id: str = ""
    timeout_done: bool = False
    timeout_at: datetime | None = None
    position: str = ""
    antisepsis: str = ""
    guidance: str | None = None
    respiratory_check: str = ""
    tolerance: str = ""
    blood_loss: str = ""
    observation_minutes: int | None = None
    disposition: str = ""
    follow_up_in: str = ""  # the patient's follow-up (domain/patient_follow_up.py): a code, an ISO date or ""
    # Outcomes (issue 17, domain/outcomes.py): the functional scales measured and the response to an earlier session.
    scales: tuple[ScaleScore, ...] = ()
    prior_responses: tuple[PriorResponse, ...] = ()

    @property
    def is_signed(self) -> bool:
        return self.status == "signed"

    @property
    def person(self) -> ExportPatient:
        """Who the patient is now (a FHIR Patient resource describes the person, not a past note)."""
        return self.patient_now or self.patient

    @property
    def has_complication(self) -> bool:
        return self.complications.strip().lower() not in NO_COMPLICATION


class MedicationLine(NamedTuple):
    """One agent given, from one lot (an agent drawn from two lots is two lines sharing its total)."""

    item_code: str
    name: str
    agent_class: str
    concentration_mg_per_ml: float
    total_ml: float
    total_mg: float
    lot: str
    expires: date | None
    ndc: str = ""  # the lot's NDC as stored (domain/ndc.py gives the 11-digit billing form)


class ExportRecord(NamedTuple):
    """A session with its doses (at the patient's weight), its codes (by the rules of its date) and medications."""

    session: ExportSession
    doses: DoseSummary
    coding: Coding
    medications: tuple[MedicationLine, ...]
    payer_profile: str = ""  # the clinic's e-stim payer profile the codes were derived with
    generics: tuple[str, ...] = ()  # the generic name of each dose row, in its order (the CSV's per-drug columns)


@lru_cache(maxsize=2048)
def rules_on(day: date) -> RuleSet | None:
    """The rule set in force on ``day`` (cached: an export asks once per session), None before the first."""
    try:
        return rules_for(day)
    except ValueError:
        return None


def medication_lines(session: ExportSession, doses: DoseSummary,
                     formulary: Mapping[str, FormularyItem]) -> tuple[MedicationLine, ...]:
    """The dose rows split by lot: each lot's share is the mL of stock it put into the injected volume."""
    if not doses.rows:
        return ()
    drawn: dict[str, set[tuple[str, date | None]]] = {}
    ndcs: dict[tuple[str, str], str] = {}
    for prep in session.preparations:
        for c in prep.components:
            drawn.setdefault(c.item_code, set()).add((c.lot_number, c.lot_expiry))
            ndcs[(c.item_code, c.lot_number)] = getattr(c, "ndc", "") or ""
    if all(len(found) == 1 for found in drawn.values()):
        # The usual case, one lot per agent: the dose rows are the lines.
        out = []
        for r in doses.rows:
            lot, expires = next(iter(drawn.get(r.item_code) or {("", None)}))
            out.append(MedicationLine(r.item_code, r.name, r.agent_class,
                                      formulary[r.item_code].concentration_mg_per_ml, r.total_ml, r.total_mg,
                                      lot, expires, ndcs.get((r.item_code, lot), "")))
        return tuple(out)
    by_label = {p.label: p for p in session.preparations}
    lots: dict[str, dict[tuple[str, date | None], float]] = {}
    for site in session.sites:
        if site.technique != "injection" or not site.volume_ml or not site.preparation_label:
            continue
        prep = by_label.get(site.preparation_label)
        if prep is None or prep.total_ml <= 0:
            continue
        for c in prep.components:
            per_lot = lots.setdefault(c.item_code, {})
            key = (c.lot_number, c.lot_expiry)
            per_lot[key] = per_lot.get(key, 0.0) + site.volume_ml * c.volume_ml / prep.total_ml
    lines = []
    for row in doses.rows:
        item = formulary[row.item_code]
        per_lot = lots.get(row.item_code) or {("", None): row.total_ml}
        total = sum(per_lot.values()) or 1.0
        single = len(per_lot) == 1
        for (lot, expires), ml in sorted(per_lot.items(), key=lambda kv: kv[0][0]):
            share = 1.0 if single else ml / total
            lines.append(MedicationLine(row.item_code, row.name, row.agent_class, item.concentration_mg_per_ml,
                                        round(row.total_ml * share, 4), round(row.total_mg * share, 4), lot,
                                        expires, ndcs.get((row.item_code, lot), "")))
    return tuple(lines)


def export_record(session: ExportSession, formulary: Mapping[str, FormularyItem], payer_profile: str,
                  rules: Callable[[date], RuleSet | None] = rules_on, *,
                  doses: DoseSummary | None = None) -> ExportRecord:
    """Dose and code ``session`` the way its note is: ``dose_summary`` and ``derive_codes`` by its date's rules.
    ``doses``: ``dose_summary`` of the same sites and syringes at the patient's weight, when the caller has it."""
    if doses is None:
        doses = dose_summary(session, formulary, session.patient.weight_kg)
    ruleset = rules(session.performed_start.date())
    if ruleset is None:
        coding = Coding((), (), tuple(d.code for d in session.diagnoses),
                        ("No coding rules were in force on the session's date.",))
    else:
        coding = derive_codes(session, formulary, ruleset, payer_profile, doses=doses)  # doses computed once
    return ExportRecord(session, doses, coding, medication_lines(session, doses, formulary), payer_profile,
                        tuple(formulary[r.item_code].generic for r in doses.rows))


def local_iso(moment: datetime | None, zone: tzinfo | None = None) -> str | None:
    """ISO 8601 with the UTC offset: stored times are the clinic's wall-clock time (``zone``, else this computer's)."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()
    return aware.isoformat(timespec="seconds")


def muscles_with_sides(sites: Iterable[ExportSite]) -> list[str]:
    """Distinct muscles in site order, each side its own muscle: "L upper trapezius"."""
    seen: dict[tuple[str, str], str] = {}
    for s in sites:
        seen.setdefault((s.muscle_id, s.side), f"{s.side} {s.muscle.lower()}")
    return list(seen.values())
