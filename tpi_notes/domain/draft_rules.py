"""What a saved draft must satisfy: every field's range, known codes and regions, in-date lots.

``validate_draft`` returns the draft cleaned up (text trimmed, fields that do not belong to a site's
technique cleared, lot expiry taken from the lot list) or raises ValidationError naming each bad field
with the keys the editor uses: SessionDraft field names, ``sites[<n>].<field>`` and
``preparations[<label>].<index>.<field>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.draft import CONSENT_TYPES, GUIDANCE, SessionDraft
from tpi_notes.domain.drug_waste import MAX_VIALS
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.exam import by_muscle
from tpi_notes.domain.formulary import FormularyItem, Lot
from tpi_notes.domain.patient_follow_up import follow_up_problem
from tpi_notes.domain.rules import earliest_rules_date
from tpi_notes.domain.session import TECHNIQUES, VIEWS, Component, Diagnosis, Preparation, Site

MAX_SITE_ML = 20.0  # more at one trigger point is not an injection volume anyone means
MAX_COMPONENT_ML = 60.0
MAX_SYRINGE_ML = 60.0
MAX_SESSION_HOURS = 12
MAX_DAYS_AHEAD = 7  # a draft prepared for an appointment this week; further ahead is a mistyped year
SHORT_TEXT, LONG_TEXT = 200, 10_000
SHORT_FIELDS = ("location", "consent_form_id", "position", "antisepsis", "tolerance", "blood_loss")
LONG_FIELDS = ("indication", "conservative_care", "complications", "respiratory_check", "disposition",
               "follow_up", "comments")
ESTIM_LIMITS = {"frequency_hz": (0.5, 250.0, "Hz"), "pulse_width_us": (10.0, 1000.0, "µs"),
                "intensity_ma": (0.0, 60.0, "mA"), "minutes": (1.0, 60.0, "min")}


def _in_range(errors: dict[str, str], key: str, value: float | None, low: float, high: float, what: str) -> None:
    if value is not None and not (low <= value <= high):
        errors[key] = f"{what} must be between {low:g} and {high:g} (it is {value:g})."


def session_date_problem(day: date, today: date) -> str | None:
    """Why a session cannot be dated ``day``: before the earliest rule set (its codes and limits would be
    unknown) or more than a week ahead (a procedure note records what was done)."""
    earliest = earliest_rules_date()
    if day < earliest:
        return (f"Sessions can be dated from {earliest.isoformat()}, the earliest day the coding and safety "
                f"rules cover (this one is {day.isoformat()}).")
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        return (f"The date {day.isoformat()} is more than {MAX_DAYS_AHEAD} days ahead; a session is dated when "
                "it is performed. Check the year.")
    return None


def validate_draft(draft: SessionDraft, *, formulary: Mapping[str, FormularyItem], lots: Sequence[Lot],
                   atlas: Atlas, lookup_code: Callable[[str], Diagnosis | None],
                   today: date | None = None) -> SessionDraft:
    errors: dict[str, str] = {}
    when = session_date_problem(draft.performed_start.date(), today or date.today())
    if when:
        errors["performed_start"] = when
    values: dict[str, object] = {}
    for name in SHORT_FIELDS + LONG_FIELDS:
        text = " ".join(str(getattr(draft, name) or "").split()) if name in SHORT_FIELDS else \
            str(getattr(draft, name) or "").strip()
        limit = SHORT_TEXT if name in SHORT_FIELDS else LONG_TEXT
        if len(text) > limit:
            errors[name] = f"At most {limit:,} characters (this has {len(text):,})."
        values[name] = text
    start, end = draft.performed_start, draft.performed_end
    if end is not None and end < start:
        errors["performed_end"] = "The procedure cannot end before it starts."
    elif end is not None and end - start > timedelta(hours=MAX_SESSION_HOURS):
        errors["performed_end"] = f"The procedure cannot last more than {MAX_SESSION_HOURS} hours."
    if draft.timeout_at is not None and end is not None and draft.timeout_at > end:
        errors["timeout_at"] = "The time-out must come before the end of the procedure."
    _in_range(errors, "pain_before", draft.pain_before, 0, 10, "Pain (NRS)")
    _in_range(errors, "pain_after", draft.pain_after, 0, 10, "Pain (NRS)")
    _in_range(errors, "relief_pct", draft.relief_pct, 0, 100, "Immediate relief (%)")
    _in_range(errors, "observation_minutes", draft.observation_minutes, 0, 1440, "Observation (minutes)")
    if draft.consent_type is not None and draft.consent_type not in CONSENT_TYPES:
        errors["consent_type"] = f"Consent is {' or '.join(CONSENT_TYPES)}."
    if draft.guidance is not None and draft.guidance not in GUIDANCE:
        errors["guidance"] = f"Guidance is {' or '.join(GUIDANCE)}."
    values["follow_up_in"] = (draft.follow_up_in or "").strip()
    follow_up = follow_up_problem(values["follow_up_in"], draft.performed_start.date())  # type: ignore[arg-type]
    if follow_up:
        errors["follow_up_in"] = follow_up
    diagnoses = []
    for d in draft.diagnoses:
        known = lookup_code(d.code)
        if known is None:
            errors["diagnoses"] = f"{d.code} is not a billable ICD-10-CM code; choose one from the list."
            break
        if known not in diagnoses:
            diagnoses.append(known)
    values["diagnoses"] = tuple(diagnoses)
    values["preparations"] = _check_preparations(draft, formulary, lots, errors)
    values["sites"] = _check_sites(draft, values["preparations"], atlas, errors)  # type: ignore[arg-type]
    for finding in draft.exam_findings:
        try:
            atlas.region(finding.region_code)
        except KeyError:
            errors["exam_findings"] = f"Unknown muscle region {finding.region_code!r} in the exam findings."
    # Each finding saved under its muscle and side (a region-keyed one, from before 0016, read as the editor showed it).
    values["exam_findings"] = by_muscle(draft.exam_findings, values["sites"])  # type: ignore[arg-type]
    if errors:
        raise ValidationError(errors)
    return replace(draft, **values)  # type: ignore[arg-type]


def _check_preparations(draft: SessionDraft, formulary: Mapping[str, FormularyItem], lots: Sequence[Lot],
                        errors: dict[str, str]) -> tuple[Preparation, ...]:
    out, labels = [], set()
    day = draft.performed_start.date()
    for prep in draft.preparations:
        key = f"preparations[{prep.label}]"
        if not prep.label or len(prep.label) > 8 or prep.label in labels:
            errors[key] = f"Syringe labels must be short and unique ({prep.label!r})."
        labels.add(prep.label)
        if not prep.components:
            errors[key] = f"Syringe {prep.label} has no drug in it."
        components = []
        for i, c in enumerate(prep.components):
            item = formulary.get(c.item_code)
            if item is None:
                errors[f"{key}.{i}.item_code"] = f"{c.item_code!r} is not in the formulary."
                continue
            if not (0 < c.volume_ml <= MAX_COMPONENT_ML):
                errors[f"{key}.{i}.volume_ml"] = (f"The volume of {item.name} must be more than 0 and at most "
                                                  f"{MAX_COMPONENT_ML:g} mL (it is {c.volume_ml:g}).")
            expiry = None
            if c.lot_number:
                lot = next((x for x in lots if x.item_code == c.item_code and x.lot_number == c.lot_number), None)
                if lot is None:
                    errors[f"{key}.{i}.lot_number"] = f"Lot {c.lot_number} of {item.name} is not on the lot list."
                elif lot.expired_on(day):
                    errors[f"{key}.{i}.lot_number"] = (f"Lot {c.lot_number} of {item.name} expired on "
                                                       f"{lot.expiry.isoformat()}; choose an in-date lot.")
                else:
                    expiry = lot.expiry
            vials = getattr(c, "vials_opened", None)
            if vials is not None and not (0 <= vials <= MAX_VIALS):
                errors[f"{key}.{i}.vials_opened"] = (f"The vials of {item.name} opened must be between 0 and "
                                                     f"{MAX_VIALS} (it is {vials}).")
            components.append(Component(c.item_code, c.volume_ml, c.lot_number.strip(), expiry, vials))
        total = sum(c.volume_ml for c in prep.components)
        if total > MAX_SYRINGE_ML and key not in errors:
            errors[key] = f"Syringe {prep.label} holds {total:g} mL; at most {MAX_SYRINGE_ML:g} mL."
        out.append(Preparation(prep.label, tuple(components)))
    return tuple(out)


def _check_sites(draft: SessionDraft, preps: tuple[Preparation, ...], atlas: Atlas,
                 errors: dict[str, str]) -> tuple[Site, ...]:
    out = []
    drawn: dict[str, float] = {}
    numbers = [s.number for s in draft.sites]
    if numbers != list(range(1, len(numbers) + 1)):
        errors["sites"] = "Sites must be numbered 1, 2, 3 … in order."
    for site in draft.sites:
        key = f"sites[{site.number}]"
        if site.view not in VIEWS or not (0 <= site.x <= 1 and 0 <= site.y <= 1):
            errors[f"{key}.view"] = "The site is not on the diagram."
        try:
            region = atlas.region(site.region_code)
        except KeyError:
            errors[f"{key}.muscle"] = f"Unknown muscle region {site.region_code!r}."
            out.append(site)
            continue
        allowed = {region.muscle_id} | {d.muscle_id for d in region.deep}
        if site.muscle_id not in allowed or site.side != region.side or site.view != region.view:
            errors[f"{key}.muscle"] = f"{site.side} {site.muscle} does not match the region it was placed on."
        if site.technique not in TECHNIQUES:
            errors[f"{key}.technique"] = "Choose injection or dry needling."
            out.append(site)
            continue
        if site.technique == "injection":
            out.append(_check_injection(site, key, preps, drawn, errors))
        else:
            out.append(_check_needling(site, key, errors))
    for prep in preps:
        if drawn.get(prep.label, 0.0) > prep.total_ml + 1e-9:
            errors[f"preparations[{prep.label}]"] = (
                f"The sites receive {drawn[prep.label]:g} mL from syringe {prep.label}, which holds only "
                f"{prep.total_ml:g} mL.")
    return tuple(out)


def _check_injection(site: Site, key: str, preps: tuple[Preparation, ...], drawn: dict[str, float],
                     errors: dict[str, str]) -> Site:
    if site.preparation_label is not None and site.preparation_label not in {p.label for p in preps}:
        errors[f"{key}.preparation_label"] = f"There is no syringe {site.preparation_label}."
    if site.volume_ml is not None:
        if not (0 < site.volume_ml <= MAX_SITE_ML):
            errors[f"{key}.volume_ml"] = (f"A site volume must be more than 0 and at most {MAX_SITE_ML:g} mL "
                                          f"(it is {site.volume_ml:g}).")
        elif site.preparation_label:
            drawn[site.preparation_label] = drawn.get(site.preparation_label, 0.0) + site.volume_ml
    _in_range(errors, f"{key}.passes", site.passes, 1, 50, "Passes")
    return replace(site, needles_in=None, needles_out=None, dwell_minutes=None, estim=None, note=site.note.strip())


def _check_needling(site: Site, key: str, errors: dict[str, str]) -> Site:
    _in_range(errors, f"{key}.needles_in", site.needles_in, 0, 100, "Needles in")
    _in_range(errors, f"{key}.needles_out", site.needles_out, 0, 100, "Needles out")
    _in_range(errors, f"{key}.dwell_minutes", site.dwell_minutes, 0, 120, "Dwell time (minutes)")
    if site.estim is not None:
        for name, (low, high, unit) in ESTIM_LIMITS.items():
            _in_range(errors, f"{key}.estim.{name}", getattr(site.estim, name), low, high, f"E-stim ({unit})")
    return replace(site, preparation_label=None, volume_ml=None, aspiration=None, passes=None,
                   note=site.note.strip())
