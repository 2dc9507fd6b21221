"""Templates and copy-forward: reusing the muscles, syringes, technique and clinical frame of earlier work.

The *clinical frame* (indication, diagnoses, conservative care, consent, set-up, observation, disposition and
follow-up) comes along, marked as carried until the clinician confirms it: what was true last time is a
suggestion, not today's finding. Never carried: pain scores, exam findings, time-out, findings and their
overrides, signatures and lots (a lot is today's vial, chosen today), nor what was observed at each site that
day (the aspiration result, the twitch response, the site's note): a site brings its technique only.

Copy-forward copies the patient's last *signed* session (a draft is unreviewed; services/drafts.py). Where the
carried values came from is one label ("as on 2026-09-04", "as in template “Neck”"), optionally followed by
what the clinician should know before confirming (another physician's session, a later correction, a code
left out), after :data:`DETAIL_SEPARATOR`; :func:`split_source` takes them apart for the editor's bar.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.draft_json import preparation_from_dict, site_from_dict, to_plain
from tpi_notes.domain.patient_follow_up import follow_up_date
from tpi_notes.domain.session import Component, Diagnosis, Preparation, Site
from tpi_notes.domain.sites import move_site

# What copy-forward and templates bring, in the order the editor shows them.
CARRIED_FIELDS = (
    "indication", "diagnoses", "conservative_care", "consent_type", "consent_risks", "position", "antisepsis",
    "guidance", "observation_minutes", "disposition", "follow_up", "follow_up_in",
)
# What they never bring (besides identity, times and the sites' lots): today's findings and today's checks.
NEVER_CARRIED = (
    "pain_before", "pain_after", "relief_pct", "exam_findings", "timeout_done", "timeout_at", "overrides",
    "complications", "tolerance", "blood_loss", "respiratory_check", "comments", "consent_form_id",
)
# Fields the clinician writes or chooses one by one (no default fills them): what they already hold today is kept
# when a template or copy-forward arrives, never replaced unseen by last visit's text.
TYPED_FIELDS = ("indication", "diagnoses", "conservative_care", "follow_up")
FIELD_LABELS = {
    "indication": "indication", "diagnoses": "diagnoses", "conservative_care": "conservative care",
    "consent_type": "consent type", "consent_risks": "risks discussed", "position": "position",
    "antisepsis": "antisepsis", "guidance": "guidance", "observation_minutes": "observation",
    "disposition": "disposition", "follow_up": "follow-up", "follow_up_in": "patient follow-up",
}


DETAIL_SEPARATOR = " · "  # between the source label and what to know before confirming


@dataclass(frozen=True)
class TemplateSummary:
    id: int
    name: str
    description: str = ""


def clinical_frame(draft: SessionDraft) -> dict[str, Any]:
    """The carried fields of ``draft`` that hold something, as plain JSON-ready values."""
    frame = {name: to_plain(asdict(draft)[name]) for name in CARRIED_FIELDS}
    if follow_up_date(draft.follow_up_in) is not None:
        frame["follow_up_in"] = ""  # a date belongs to that visit; "in 4 weeks" travels
    return {name: value for name, value in frame.items() if value not in (None, "", [])}


def typed_today(draft: SessionDraft) -> tuple[str, ...]:
    """The typed fields (TYPED_FIELDS) the clinician has filled in this draft themselves (not carried)."""
    return tuple(n for n in TYPED_FIELDS if getattr(draft, n) not in (None, "", ()) and n not in draft.carried_fields)


def kept_note(kept: Iterable[str]) -> list[str]:
    kept = list(kept)
    return [f"today's {', '.join(FIELD_LABELS[n] for n in kept)} kept"] if kept else []


def carry_frame(draft: SessionDraft, frame: Mapping[str, Any], source: str) -> SessionDraft:
    """``draft`` with the frame's fields (those it holds) in place and marked as carried from ``source``
    ("as on 2026-09-04"); a field the frame lacks keeps the draft's own value, and so does a typed field the
    clinician already filled today (:func:`typed_today`: their text is never replaced unseen)."""
    values: dict[str, Any] = {}
    own = typed_today(draft)
    for name in CARRIED_FIELDS:
        value = frame.get(name)
        if value in (None, "", []) or name in own:
            continue
        if name == "diagnoses":
            value = tuple(Diagnosis(d["code"], d["display"]) for d in value)
        elif name == "consent_risks":
            value = tuple(value)
        values[name] = value
    if not values:
        return draft
    carried = tuple(name for name in CARRIED_FIELDS if name in values or name in draft.carried_fields)
    return replace(draft, **values, carried_fields=carried, carried_from=source)


def confirm_carried(draft: SessionDraft) -> SessionDraft:
    """The clinician has looked at every carried field: they are today's values now."""
    return replace(draft, carried_fields=(), carried_from="")


def carried_blocker(draft: object) -> str | None:
    """The sign blocker while carried fields wait for confirmation, or None."""
    carried = tuple(getattr(draft, "carried_fields", ()) or ())
    if not carried:
        return None
    names = ", ".join(FIELD_LABELS.get(n, n) for n in carried)
    source, detail = split_source(getattr(draft, "carried_from", "") or "")
    message = f"Confirm the fields carried forward ({source or 'from an earlier session'}): {names}."
    return f"{message} {detail}." if detail else message


def split_source(carried_from: str) -> tuple[str, str]:
    """The source label ("as on 2026-09-04") and what to know before confirming ("" when nothing)."""
    start = 0
    if carried_from.startswith("as in template “"):  # a template's name may hold the separator
        start = max(0, carried_from.find("”") + 1)
    cut = carried_from.find(DETAIL_SEPARATOR, start)
    if cut < 0:
        return carried_from, ""
    return carried_from[:cut], carried_from[cut + len(DETAIL_SEPARATOR):]


MAX_CARRIED_FROM = 160  # procedure_session.carried_from


def with_details(source: str, details: Iterable[str]) -> str:
    """The carried-from text: the source label, then each detail, cut with "…" to the column's 160 characters
    (the source label whole when it fits)."""
    said = "; ".join(d for d in details if d)
    text = f"{source}{DETAIL_SEPARATOR}{said}" if said else source
    return text if len(text) <= MAX_CARRIED_FROM else text[:MAX_CARRIED_FROM - 1].rstrip() + "…"


def copy_details(physician: str, other_physician: bool, unsigned: bool, addenda: Iterable[tuple[str, date]],
                 left_out: Iterable[str], day: date, code_set: str) -> list[str]:
    """What the clinician should know about a copied session before confirming its frame: that it was never
    signed, whose session it was when not theirs, the addenda (a correction may change what was carried) and
    codes not billable today."""
    out = ["from an unsigned draft: check every field"] if unsigned else []
    if other_physician and physician:
        out.append(f"charted by {physician}")
    kinds: dict[str, list[str]] = {}
    for kind, when in addenda:
        kinds.setdefault(kind, []).append(when.isoformat())
    for kind, days in kinds.items():
        out.append(f"read its {kind.replace('_', ' ')} of {', '.join(days)} first")
    out.extend(codes_left_out_note(left_out, day, code_set))
    return out


def codes_left_out_note(codes: Iterable[str], day: date, code_set: str) -> list[str]:
    codes = list(codes)
    if not codes:
        return []
    return [f"{', '.join(codes)} left out: not billable on {day.isoformat()} ({code_set})"]


def frame_on_day(frame: Mapping[str, Any], lookup: Callable[[str], Diagnosis | None]
                 ) -> tuple[dict[str, Any], list[str]]:
    """The frame with its diagnoses as the code set of the new session's date has them (the current titles), and
    the codes left out because that set does not bill them (deleted, or become a header): carried as they were,
    they made the whole draft's Save refuse."""
    kept, left_out = [], []
    for item in frame.get("diagnoses", []) or []:
        found = lookup(str(item["code"]))
        if found is None:
            left_out.append(str(item["code"]))
        else:
            kept.append({"code": found.code, "display": found.display})
    out = dict(frame)
    if "diagnoses" in out:
        out["diagnoses"] = kept
    return out, left_out


def without_observations(site: Site) -> Site:
    """A site's technique without what was observed at it that day (aspiration, twitch response, note)."""
    return replace(site, aspiration=None, twitch=None, note="")


def template_body(draft: SessionDraft) -> dict[str, Any]:
    """What a template keeps of a draft: syringes (without lots), sites (their technique, without that day's
    observations) and the clinical frame."""
    preps = [Preparation(p.label, tuple(Component(c.item_code, c.volume_ml) for c in p.components))
             for p in draft.preparations]
    sites = [without_observations(s) for s in draft.sites]
    return {"atlas_version": draft.atlas_version, "preparations": to_plain([asdict(p) for p in preps]),
            "sites": to_plain([asdict(s) for s in sites]), "frame": clinical_frame(draft)}


def _rehome(site: Site, atlas: Atlas) -> Site | None:
    """The site on ``atlas`` (a newer atlas may have moved or renamed a region): re-resolved by position."""
    try:
        region = atlas.region(site.region_code)
    except KeyError:
        return move_site(atlas, site, site.view, site.x, site.y)
    offered = {region.muscle_id} | {d.muscle_id for d in region.deep}
    if region.side == site.side and region.view == site.view and site.muscle_id in offered:
        return site
    # a moved region, or a muscle this atlas names otherwise (atlas 2's scalenus anterior for atlas 1's scalenes):
    # placed again, on the region's muscle unless the same deep muscle is offered there
    return move_site(atlas, site, site.view, site.x, site.y)


def merge_into(draft: SessionDraft, preps: list[Preparation], sites: list[Site], atlas: Atlas, *,
               replace_existing: bool) -> SessionDraft:
    """``draft`` with these syringes and sites added (or instead of its own), labels and numbers kept tidy.

    Syringes arrive without lots: the lot is the vial opened today, which someone must confirm (issue 16). Sites
    arrive without that day's observations (a template saved before they were left out still holds them)."""
    base_preps = [] if replace_existing else list(draft.preparations)
    base_sites = [] if replace_existing else list(draft.sites)
    used = {p.label for p in base_preps}
    free = (ch for ch in string.ascii_uppercase if ch not in used)
    relabel: dict[str, str] = {}
    for prep in preps:
        label = prep.label if prep.label not in used else next(free)
        used.add(label)
        relabel[prep.label] = label
        base_preps.append(Preparation(label, tuple(Component(c.item_code, c.volume_ml) for c in prep.components)))
    number = len(base_sites)
    for site in sites:
        moved = _rehome(site, atlas)
        if moved is None:
            continue
        number += 1
        label = relabel.get(moved.preparation_label or "", moved.preparation_label)
        base_sites.append(replace(without_observations(moved), number=number, preparation_label=label))
    return replace(draft, preparations=tuple(base_preps), sites=tuple(base_sites))


def from_template_body(body: dict[str, Any]) -> tuple[list[Preparation], list[Site]]:
    return ([preparation_from_dict(p) for p in body.get("preparations", [])],
            [site_from_dict(s) for s in body.get("sites", [])])


def copied_from_label(day: date) -> str:
    return f"as on {day.isoformat()}"


def template_label(name: str) -> str:
    return f"as in template “{name}”"
