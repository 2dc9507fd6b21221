"""The generated bad input of campaign (c): values a keyboard, a paste, a script or a typo can produce, and the
service calls and command lines that carry them. Every generator takes a seeded ``random.Random``."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.patient import PatientInput
from tpi_notes.domain.session import Component, Diagnosis, EStim, Preparation

TODAY = date.today()
TEXTS = ["", " ", "   \n\t ", "x" * 10_000, "é" * 10_001, "y" * 100_000, "\x00", "a\x00b", "\x07\x08\x1b[31mred",
         "line\r\nbreak", "\u202eevil\u202c", "e\u0301" * 5_000, "😀" * 3_000, "'; DROP TABLE patient;--", "%_%",
         "../../etc/passwd", "\t\x0b\x0c", "نور الهدى", "שרה", "\ufeffBOM", "\u200b", "null", "None"]
DATES = [date(1, 1, 1), date(1800, 1, 1), date(1899, 12, 31), date(1999, 12, 31), date(2000, 1, 1),
         date(2019, 12, 31), date(9999, 12, 31), TODAY + timedelta(days=1), TODAY + timedelta(days=3650),
         date(2020, 2, 29)]
NUMBERS = [-1, -0.0, 0, 0.001, 1e-300, 1e9, 1e308, -1e308, float("nan"), float("inf"), float("-inf"), 10 ** 20,
           2 ** 63, -(2 ** 63) - 1, 351, 1.5, -273.15]
INTS = [-1, 0, 11, 101, 1441, 10 ** 9, 2 ** 63, -(2 ** 63) - 1]
# Record numbers the services are called with. Beyond 64 bits they only come from the command line, where the
# campaign types them (bad_inputs.JUNK); the app's windows take them from the database.
IDS = [0, -1, 999_999, 2 ** 31, 2 ** 63 - 1]


@dataclass(frozen=True)
class Call:
    """One bad input: what it is (``family``, ``label``) and the service call carrying it."""

    family: str
    label: str
    run: Callable[[], object]


def _pick(rng: random.Random, values: list) -> object:
    return values[rng.randrange(len(values))]


def bad_patient(rng: random.Random, base: PatientInput) -> tuple[PatientInput, str]:
    """``base`` with one to three fields given a bad value; the label names them."""
    pools: dict[str, Callable[[], object]] = {
        "mrn": lambda: _pick(rng, [*TEXTS, "a b", "x" * 33, "-lead", "ok\x00"]),
        "family_name": lambda: _pick(rng, TEXTS), "given_name": lambda: _pick(rng, TEXTS),
        "birth_date": lambda: _pick(rng, [*DATES, None]), "sex": lambda: _pick(rng, ["", "F", "x" * 100, "\x00"]),
        "weight_kg": lambda: _pick(rng, NUMBERS), "weight_date": lambda: _pick(rng, DATES),
        "phone": lambda: _pick(rng, TEXTS), "language": lambda: _pick(rng, ["", "xx", "en\x00", "EN", "x" * 300]),
        "allergies": lambda: _pick(rng, [("",), (" ",), tuple(TEXTS), ("x" * 10_000,), tuple(["a"] * 10_000)]),
        "anticoagulant": lambda: _pick(rng, TEXTS),
        "insulin": lambda: True, "pregnant": lambda: True, "breastfeeding": lambda: True,
    }
    chosen = rng.sample(sorted(pools), rng.randint(1, 3))
    changes = {name: pools[name]() for name in chosen}
    if changes.get("insulin"):
        changes["diabetes"] = False  # insulin without diabetes
    if changes.get("pregnant") or changes.get("breastfeeding"):
        changes["sex"] = "male"
    return replace(base, **changes), ",".join(chosen)


def bad_draft(rng: random.Random, base: SessionDraft) -> tuple[SessionDraft, str]:
    """``base`` (a complete draft) with one or two bad changes; the label names them."""
    site = base.sites[0]
    prep = base.preparations[0]
    start = base.performed_start

    def at(day: date) -> datetime:
        return datetime.combine(day, start.time())

    changes: dict[str, Callable[[SessionDraft], SessionDraft]] = {
        "performed_start": lambda d: replace(d, performed_start=at(_pick(rng, DATES)), performed_end=None,
                                             timeout_at=None),
        "performed_end": lambda d: replace(d, performed_end=_pick(rng, [start - timedelta(minutes=1),
                                                                        start + timedelta(hours=13)])),
        "timeout_at": lambda d: replace(d, timeout_at=start + timedelta(days=2)),
        "pain": lambda d: replace(d, **{_pick(rng, ["pain_before", "pain_after", "relief_pct",
                                                    "observation_minutes"]): _pick(rng, INTS)}),
        "text": lambda d: replace(d, **{_pick(rng, ["location", "indication", "comments", "position", "follow_up",
                                                    "consent_form_id", "complications", "disposition"]):
                                        _pick(rng, TEXTS)}),
        "choice": lambda d: replace(d, **{_pick(rng, ["consent_type", "guidance"]): _pick(rng, ["", "oral", "xray",
                                                                                              "WRITTEN", "\x00"])}),
        "consent_risks": lambda d: replace(d, consent_risks=tuple(_pick(rng, [["x" * 10_000], [""], TEXTS]))),
        "unknown_muscle": lambda d: replace(d, sites=(replace(site, muscle_id="no_such_muscle"),) + d.sites[1:]),
        "unknown_region": lambda d: replace(d, sites=(replace(site, region_code="zz.none"),) + d.sites[1:]),
        "site_view": lambda d: replace(d, sites=(replace(site, view=_pick(rng, ["lateral", "", "POSTERIOR"])),)),
        "site_xy": lambda d: replace(d, sites=(replace(site, x=_pick(rng, NUMBERS), y=_pick(rng, NUMBERS)),)),
        "site_volume": lambda d: replace(d, sites=(replace(site, volume_ml=_pick(rng, NUMBERS)),) + d.sites[1:]),
        "site_technique": lambda d: replace(d, sites=(replace(site, technique=_pick(rng, ["laser", ""])),)),
        "site_syringe": lambda d: replace(d, sites=(replace(site, preparation_label=_pick(rng, ["Z", "", "a"])),)),
        "site_number": lambda d: replace(d, sites=(replace(site, number=_pick(rng, INTS)),) + d.sites[1:]),
        "duplicate_sites": lambda d: replace(d, sites=(site, site)),
        "many_sites": lambda d: replace(d, sites=tuple(replace(site, number=n) for n in range(1, 502))),
        "site_passes": lambda d: replace(d, sites=(replace(site, passes=_pick(rng, INTS), needle=_pick(rng, TEXTS)),)),
        "estim": lambda d: replace(d, sites=(replace(site, technique="dry_needling", preparation_label=None,
                                                     volume_ml=None, estim=EStim(*(_pick(rng, NUMBERS)
                                                                                   for _ in range(4)), True)),),
                                   preparations=()),
        "component_volume": lambda d: replace(d, preparations=(replace(prep, components=(
            replace(prep.components[0], volume_ml=_pick(rng, NUMBERS)),) + prep.components[1:]),)),
        "unknown_drug": lambda d: replace(d, preparations=(replace(prep, components=(
            Component(_pick(rng, ["unknown-drug", "", "LIDOCAINE-1"]), 1.0),) + prep.components[1:]),)),
        "unknown_lot": lambda d: replace(d, preparations=(replace(prep, components=(
            replace(prep.components[0], lot_number=_pick(rng, ["NOPE", "x" * 100, "\x00"])),) + prep.components[1:]),)),
        "syringe_label": lambda d: replace(d, preparations=(replace(prep, label=_pick(rng, ["", "x" * 50, "Z"])),)),
        "duplicate_syringes": lambda d: replace(d, preparations=(prep, prep)),
        "huge_syringe": lambda d: replace(d, preparations=(Preparation("A", prep.components * 30),)),
        "diagnosis": lambda d: replace(d, diagnoses=(Diagnosis(_pick(rng, ["ZZZ.99", "", "M54.2" * 100, "m54.2 ",
                                                                           "\x00"]), ""),)),
        "many_diagnoses": lambda d: replace(d, diagnoses=tuple(Diagnosis("M54.2", "") for _ in range(200))),
        "patient": lambda d: replace(d, patient_id=_pick(rng, IDS)),
        "physician": lambda d: replace(d, physician_id=_pick(rng, IDS)),
        "assistant": lambda d: replace(d, assistant_id=_pick(rng, IDS)),
        "atlas": lambda d: replace(d, atlas_version=_pick(rng, ["0.0", "", "../x", "9" * 50])),
        "session_id": lambda d: replace(d, id=_pick(rng, IDS), row_version=1),
        "row_version": lambda d: replace(d, row_version=_pick(rng, [0, -1, 10 ** 6, None])),
    }
    chosen = rng.sample(sorted(changes), rng.randint(1, 2))
    draft = base
    for name in chosen:
        draft = changes[name](draft)
    return draft, ",".join(chosen)

