"""Making one demo patient's sessions: dates, syringes with lots, sites inside atlas regions."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from tpi_notes.db.models import (
    Addendum,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    SessionDiagnosis,
    SessionFinding,
    SessionScale,
    Site,
)
from tpi_notes.db.models import PriorResponse as PriorResponseRow
from tpi_notes.domain import canonical_rows, icd10
from tpi_notes.domain import session as dm
from tpi_notes.domain.addenda import addendum_content_sha256
from tpi_notes.domain.allergies import entries_from_json, item_findings, resolve
from tpi_notes.domain.canonical_rows import SESSION_COLUMNS, SITE_COLUMNS
from tpi_notes.domain.consent_risks import applicable_risks
from tpi_notes.domain.dosing import DoseSummary, dose_summary
from tpi_notes.domain.findings import FindingOverride, apply_overrides
from tpi_notes.domain.formulary import load_default_formulary
from tpi_notes.domain.history_answers import History
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.safety import PastSession, SafetyInput, evaluate, steroid_mpe
from tpi_notes.domain.signed_context import SIGNED_CONTEXT_VERSION
from tpi_notes.services import demo_data as D
from tpi_notes.services.demo_outcomes import OutcomeMaker

MIN_GAP_DAYS = 12
OVERRIDE_REASON = ("Risks and benefits discussed with the patient, who asked to proceed; obstetric provider "
                   "informed; no corticosteroid used.")
RISKS = ["bleeding or bruising", "infection", "post-needling soreness", "vasovagal reaction",
         "local anesthetic reaction", "nerve irritation"]


# Ids are set from the session's id, never counted (issue 19): a worker process makes any patient's sessions
# without knowing how many rows the others made, and the clinic is the same whatever the number of processes.
# A session has at most this many of each (sites: six muscles; syringes: A and B of at most two agents each).
SITES_PER_SESSION = 6
PREPARATIONS_PER_SESSION = 2
COMPONENTS_PER_PREPARATION = 2


def patient_stream(seed: int, patient_id: int) -> random.Random:
    """The random stream a patient's sessions are drawn from: the same whichever process makes them."""
    return random.Random(f"tpi-notes demo {seed} sessions of patient {patient_id}")


class SessionMaker:
    def __init__(self, seed: int, atlas: Any, item_ids: dict[str, int], lots: dict, staff: dict,
                 end: date, years: int, *, letterhead: dict | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # replaced by each patient's own stream (patient_stream)
        self.letterhead = letterhead or {}  # the clinic part of a signed session's context
        self.atlas = atlas
        self.item_ids = item_ids
        self.lots = lots
        self.staff = staff
        self.end = end
        self.start = end - timedelta(days=365 * years)
        self.formulary = {item.code: item for item in load_default_formulary().items}
        self.history: list[PastSession] = []
        self.outcomes = OutcomeMaker()  # PEG and responses per muscle (issue 17), a random stream of their own
        self.sid = 0  # the session being made
        self.by_group: dict[str, list[Any]] = {}
        for region in atlas.regions:
            self.by_group.setdefault(region.group, []).append(region)
        self.mirror = {(r.muscle_id, r.view, r.side): r for r in atlas.regions}
        self.points: dict[str, list[tuple[float, float]]] = {}
        self.recipes = [r for r, _ in D.RECIPES]
        self.recipe_weights = [w for _, w in D.RECIPES]
        if max(len(r) for r in self.recipes) > COMPONENTS_PER_PREPARATION:
            raise ValueError("a demo recipe has more agents than a syringe's id range holds")
        # Worked out once rather than per session (issue 19: 100,000 sessions in a minute): the rule set of a day,
        # and per patient their record, their signed context and which agents their allergies make unusable.
        self.rules: dict[date, Any] = {}
        self.record: PatientRecord | None = None
        self.signed_context: dict | None = None
        self.unusable: dict[str, bool] = {}
        self.newest_signed: dict[int, tuple[datetime, int]] = {}  # per physician: their newest signature, session

    # -- where ---------------------------------------------------------------------------------
    def _point_in(self, region: Any) -> tuple[float, float]:
        """A point that hit-tests back to ``region`` (its anchor, or one of a few points around it)."""
        pool = self.points.get(region.code)
        if pool is None:
            x0, y0, x1, y1 = region.bbox
            local = random.Random(region.code)
            candidates = [tuple(region.anchor)] + [
                (round(local.uniform(x0, x1), 4), round(local.uniform(y0, y1), 4)) for _ in range(80)
            ]
            pool = []
            for x, y in candidates:
                hit = self.atlas.hit_test(region.view, x, y)
                if hit is not None and hit.code == region.code:
                    pool.append((x, y))
                if len(pool) >= 12:
                    break
            if not pool:
                raise ValueError(f"atlas {self.atlas.version}: no point of {region.code} hit-tests back to it")
            self.points[region.code] = pool
        return self.rng.choice(pool)

    def _regions(self, profile: str, count: int) -> list[Any]:
        groups = D.PROFILES[profile]["groups"]
        candidates = [r for g in groups for r in self.by_group.get(g, [])]
        if not candidates:
            candidates = list(self.atlas.regions)
        chosen: list[Any] = []
        seen: set[tuple[str, str]] = set()
        while len(chosen) < count and len(seen) < len(candidates):
            region = self.rng.choice(candidates)
            key = (region.muscle_id, region.side)
            if key in seen:
                continue
            seen.add(key)
            chosen.append(region)
            partner = self.mirror.get((region.muscle_id, region.view, "L" if region.side == "R" else "R"))
            if partner and len(chosen) < count and self.rng.random() < 0.55:
                pkey = (partner.muscle_id, partner.side)
                if pkey not in seen:
                    seen.add(pkey)
                    chosen.append(partner)
        return chosen

    # -- when ----------------------------------------------------------------------------------
    def _dates(self, n: int) -> list[datetime]:
        """n session times at least MIN_GAP_DAYS apart (a weekend day moves back to Friday)."""
        span = (self.end - self.start).days - MIN_GAP_DAYS * (n - 1)
        if span < n:
            raise ValueError(f"{n} sessions do not fit in the demo calendar")
        offsets = sorted(self.rng.sample(range(span), n))
        out = []
        for i, offset in enumerate(offsets):
            day = self.start + timedelta(days=offset + i * MIN_GAP_DAYS)
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            minute = self.rng.randrange(8 * 60, 16 * 60 + 31, 15)
            out.append(datetime(day.year, day.month, day.day, minute // 60, minute % 60))
        return out

    def _lot(self, code: str, when: date) -> tuple[int, str]:
        usable = [lot for lot in self.lots[code] if lot[2] <= when <= lot[3]]
        lot = usable[-1] if usable else self.lots[code][-1]
        return lot[0], lot[1]

    # -- what ----------------------------------------------------------------------------------
    def patient_sessions(self, patient: Any, n: int, first_id: int) -> list[dict[type, list[dict]]]:
        """The patient's ``n`` sessions, with ids ``first_id`` onwards."""
        rng = self.rng = patient_stream(self.seed, patient.id)
        self.sid = first_id - 1
        self.history: list[PastSession] = []
        # session id -> (weight, dose summary) the rules used, for the stored CSV row (demo_export_rows): worked
        # out once per session, not once for the rules, once for the steroid total and once for the row (issue 19)
        self.doses: dict[int, tuple[float | None, DoseSummary]] = {}
        self.outcomes.start_patient(patient.id)
        self.record = self._patient_record(patient)
        # one object for all their sessions: the bulk writer serialises it once (db/bulk_writer.py)
        self.signed_context = {"patient": patient.signed_as, "clinic": self.letterhead}
        # as the column stores it: the canonical form is made once per text (canonical_rows.JsonText)
        self.context_text = canonical_rows.JsonText(json.dumps(self.signed_context))
        entries = entries_from_json((patient.signed_as or {}).get("allergy_entries"))
        self.unusable = {code: any(f.overridable for f in item_findings(entries, item))
                         for code, item in self.formulary.items()} if entries else {}
        physician = rng.choice(self.staff["physician"])
        months = rng.randint(4, 60)
        return [self._session(patient, when, physician if rng.random() < 0.8 else rng.choice(self.staff["physician"]),
                              months) for when in self._dates(n)]

    def _mode(self, patient: Any) -> str:
        roll = self.rng.random()
        if patient.pregnant or patient.showcase == "anticoagulated_dry_needling":
            return "dry_needling"
        if patient.showcase in D.WIDE_SESSIONS:
            return "injection"
        if roll < 0.72:
            return "injection"
        return "dry_needling" if roll < 0.92 else "mixed"

    def _recipe(self, patient: Any) -> tuple:
        if any(a in ("bupivacaine", "amide local anesthetics") for a in patient.allergies):
            return (("saline-0.9", 5.0),)
        recipe = self.rng.choices(self.recipes, weights=self.recipe_weights)[0]
        if patient.pregnant or patient.breastfeeding:
            recipe = (("lidocaine-1", 5.0),)
        if patient.showcase in D.WIDE_SESSIONS:
            recipe = (("lidocaine-2", 12.0),)
        if any(self.unusable.get(code) for code, _ml in recipe):
            return (("saline-0.9", 5.0),)  # a cross-reactive agent: the physician picks saline, not an override
        return recipe

    def _session(self, patient: Any, start: datetime, physician: int, months: int) -> dict[type, list[dict]]:
        rng = self.rng
        self.sid += 1
        sid = self.sid
        mode = self._mode(patient)
        profile = D.PROFILES[patient.profile]
        wide = patient.showcase in D.WIDE_SESSIONS
        count = rng.choices([1, 2, 3, 4, 5, 6], [8, 24, 22, 24, 12, 10])[0]
        regions = self._regions(patient.profile, 6 if wide else count)
        recent = (self.end - start.date()).days < 10
        status = "draft" if (recent and rng.random() < 0.5) or rng.random() < 0.02 else "signed"
        end = start + timedelta(minutes=rng.randint(15, 45))
        preparations, components, sites = [], [], []
        prep_labels: dict[int, str] = {}
        injecting = [r for i, r in enumerate(regions) if mode == "injection" or (mode == "mixed" and i % 2 == 0)]
        if injecting:
            for n_prep, label in enumerate(("A", "B")[: 1 + (len(injecting) >= 5 and rng.random() < 0.3 and not wide)]):
                pid = (sid - 1) * PREPARATIONS_PER_SESSION + n_prep + 1
                prep_labels[pid] = label
                preparations.append({"id": pid, "session_id": sid, "label": label})
                for position, (code, ml) in enumerate(self._recipe(patient)):
                    lot_id, lot_number = self._lot(code, start.date())
                    components.append({"id": (pid - 1) * COMPONENTS_PER_PREPARATION + position + 1,
                                       "preparation_id": pid, "position": position, "item_id": self.item_ids[code],
                                       "lot_id": lot_id, "volume_ml": ml, "_code": code, "_lot": lot_number})
        prep_ids = list(prep_labels)
        prep_total = {pid: sum(c["volume_ml"] for c in components if c["preparation_id"] == pid) for pid in prep_ids}
        estim = mode != "injection" and not patient.implanted_device and rng.random() < 0.5
        for number, region in enumerate(regions, start=1):
            x, y = self._point_in(region)
            site = {"id": (sid - 1) * SITES_PER_SESSION + number, "session_id": sid, "number": number, "view": region.view, "x": x, "y": y,
                    "region_code": region.code, "muscle_id": region.muscle_id, "muscle": region.muscle,
                    "side": region.side, "note": "", "preparation_id": None, "volume_ml": None, "needle": "",
                    "aspiration": None, "passes": None, "twitch": rng.random() < 0.6, "needles_in": None,
                    "needles_out": None, "dwell_minutes": None, "estim_frequency_hz": None,
                    "estim_pulse_width_us": None, "estim_intensity_ma": None, "estim_minutes": None,
                    "estim_attended": None}
            if region in injecting:
                drawn_ml = rng.choice([0.5, 1.0, 1.0, 1.5, 2.0])  # drawn for a wide session too: the stream stays
                pid = prep_ids[(number - 1) % len(prep_ids)]
                share = prep_total[pid] / max(1, sum(1 for r in injecting) / len(prep_ids))
                site.update(technique="injection", preparation_id=pid,
                            volume_ml=round(share if wide else min(share, drawn_ml), 1),
                            needle=rng.choice(["25 G × 1.5 in", "27 G × 1.25 in", "25 G × 1.5 in"]),
                            aspiration=True, passes=rng.randint(1, 6))
            else:
                needles = rng.randint(1, 4)
                site.update(technique="dry_needling", needle=rng.choice(["0.25 × 40 mm", "0.30 × 50 mm"]),
                            needles_in=needles, needles_out=needles, dwell_minutes=float(rng.choice([5, 10, 15])))
                if estim:
                    site.update(estim_frequency_hz=float(rng.choice([2, 4, 80, 100])), estim_pulse_width_us=250.0,
                                estim_intensity_ma=float(rng.randint(2, 12)), estim_minutes=float(rng.choice([15, 20])),
                                estim_attended=rng.random() < 0.5)
            sites.append(site)
        near_lung = any(r.near_lung for r in regions)
        pain_before = rng.randint(4, 9)
        pain_after = max(0, pain_before - rng.randint(1, 5))
        session = {
            "id": sid, "patient_id": patient.id, "performed_start": start, "performed_end": end,
            "location": rng.choice(["Procedure room 1", "Procedure room 2", "Exam room 3"]),
            "physician_id": physician,
            "assistant_id": rng.choice(self.staff["nurse"]) if rng.random() < 0.7 else None,
            "indication": profile["indication"].format(months=months),
            "conservative_care": rng.choice(D.CONSERVATIVE_CARE),
            "exam_findings": [{"region_code": r.code, "taut_band": True, "twitch": rng.random() < 0.6,
                               "referred_pain": rng.random() < 0.7, "hypersensitive_spot": True,
                               "muscle_id": r.muscle_id, "side": r.side} for r in regions],
            "icd10_version": icd10.set_or_nearest(start.date()).version,
            "consent_type": rng.choice(["written", "written", "verbal"]),
            "consent_risks": RISKS + (["pneumothorax"] if near_lung else []),
            "consent_form_id": f"TPI-C-{2024 + rng.randint(0, 2)}",
            "timeout_done": status == "signed" or rng.random() < 0.5,
            "timeout_at": start + timedelta(minutes=2),
            "position": D.POSITIONS["posterior" if all(r.view == "posterior" for r in regions) else
                                    "anterior" if all(r.view == "anterior" for r in regions) else "mixed"],
            "antisepsis": _prep_avoiding(patient, rng.choice(["Chlorhexidine-alcohol", "Chlorhexidine-alcohol",
                                                               "Povidone-iodine"])),
            "guidance": "landmark" if rng.random() < 0.93 else "ultrasound",
            "pain_before": pain_before, "pain_after": pain_after if status == "signed" or rng.random() < 0.5 else None,
            "relief_pct": round(100 * (pain_before - pain_after) / pain_before),
            "complications": rng.choices([c for c, _ in D.COMPLICATIONS], [w for _, w in D.COMPLICATIONS])[0],
            "tolerance": "Tolerated well", "blood_loss": "Minimal", "observation_minutes": 15 if near_lung else 10,
            "respiratory_check": "Breath sounds equal, no dyspnea or chest pain at 15 minutes." if near_lung else "",
            "disposition": "Home, ambulatory, in stable condition.",
            "follow_up": rng.choice(["Reassess in 6 weeks; continue home exercise.",
                                     "Follow up in 4 weeks; continue physical therapy."]),
            "follow_up_in": "",  # set below on drafts
            "comments": "", "status": status, "atlas_version": self.atlas.version, "formulary_version": "2024.04",
            "aftercare_version": "", "row_version": 1, "signed_by_id": None, "signed_at": None,
            "content_sha256": None, "signed_context": None, "content_version": None, "created_at": start,
            "updated_at": end,
        }
        diagnoses = [{"session_id": sid, "position": i, "code": c, "display": d}
                     for i, (c, d) in enumerate(profile["diagnoses"])]
        findings, status = self._findings(patient, session, sites, components, prep_labels, status)
        session["status"] = status
        scales, responses, scale_rows, response_rows = self.outcomes.visit(session, sites)
        if status == "draft":  # a draft's patient follow-up, as the clinician's plan says (no draw of its own). Not
            # on signed sessions: a signature covering it keeps a clinic from going back before migration 0012.
            session["follow_up_in"] = "6w" if "6 weeks" in session["follow_up"] else "4w"
        addenda = []
        if status == "signed":
            session["signed_by_id"] = physician
            session["signed_at"] = end + timedelta(minutes=rng.randint(5, 240))
            session["updated_at"] = session["signed_at"]
            newest = (session["signed_at"], sid)
            self.newest_signed[physician] = max(self.newest_signed.get(physician, newest), newest)
            # signed as the app signs: with the patient and clinic as they stand (content version 2)
            session["signed_context"] = self.signed_context
            session["content_version"] = SIGNED_CONTEXT_VERSION
            session["content_sha256"] = self._sha256(session, diagnoses, preparations, components, prep_labels,
                                                     sites, findings, scale_rows, response_rows)
            if rng.random() < 0.03:
                kind, text = rng.choice(D.ADDENDA)
                created = session["signed_at"] + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6))
                addenda.append({"id": sid, "session_id": sid, "kind": kind, "text": text,
                                "author_id": physician, "created_at": created,
                                "content_sha256": addendum_content_sha256(sid, session["content_sha256"], kind,
                                                                          text, physician, created)})
        for c in components:
            c.pop("_code")
            c.pop("_lot")
        session["site_count"] = len(sites)  # as a save writes it (migration 0025: the history sorts on it)
        return {ProcedureSession: [session], SessionDiagnosis: diagnoses, Preparation: preparations,
                PreparationComponent: components, Site: sites, SessionFinding: findings, Addendum: addenda,
                SessionScale: scale_rows, PriorResponseRow: response_rows}

    def _sha256(self, session: dict, diagnoses: list[dict], preparations: list[dict], components: list[dict],
                prep_labels: dict[int, str], sites: list[dict], findings: list[dict], scales: list[dict],
                responses: list[dict]) -> str:
        """The signing hash (``signing.record_sha256``) straight from the rows about to be written, as `tpi-notes
        verify` works it out from them (domain/canonical_rows.py: no content dict walked twice, and the patient's
        signed context, the same for all their sessions, made canonical once per patient; issue 19).
        tests/test_demo.py holds it equal to ``content_sha256(session_content(…))``."""
        get = session.get
        row = [get(name) for name in SESSION_COLUMNS]
        row[-1] = self.context_text
        preps = [(prep_labels[p["id"]], [(c["_code"], c["_lot"], c["volume_ml"], c.get("vials_opened"))
                                         for c in components if c["preparation_id"] == p["id"]])
                 for p in preparations]
        site_rows = [[prep_labels.get(x["preparation_id"]) if name == "preparation" else x[name]
                      for name in SITE_COLUMNS] for x in sorted(sites, key=lambda x: x["number"])]
        return canonical_rows.session_sha256(
            row, [(d["code"], d["display"]) for d in diagnoses], preps, site_rows,
            [(f["rule_code"], f["subject"], f["severity"], f["message"], f["override_reason"]) for f in findings],
            [(x["scale"], x["items"], x["measured_at"], x["measured_by_id"]) for x in scales],
            [(r["prior_session_id"], r["muscle_id"], r["side"], r["relief_pct"], r["duration_weeks"], r["lasting"])
             for r in responses])

    # -- what the rules say ------------------------------------------------------------------------------
    def _findings(self, patient: Any, session: dict, sites: list[dict], components: list[dict],
                  prep_labels: dict[int, str], status: str) -> tuple[list[dict], str]:
        """The app's own safety rules over the made-up session, as the editor would have stored them.

        A stop the clinic's policy lets a physician override (pregnancy, breastfeeding) carries a
        documented reason; any other stop leaves the session a draft, as the app would.
        """
        record = self.record
        preps = tuple(dm.Preparation(label, tuple(dm.Component(c["_code"], c["volume_ml"], c["_lot"])
                                                  for c in components if c["preparation_id"] == pid))
                      for pid, label in prep_labels.items())
        domain_sites = tuple(dm.Site(
            number=x["number"], view=x["view"], x=x["x"], y=x["y"], region_code=x["region_code"],
            muscle_id=x["muscle_id"], muscle=x["muscle"], side=x["side"], technique=x["technique"],
            preparation_label=prep_labels.get(x["preparation_id"]), volume_ml=x["volume_ml"],
            needles_in=x["needles_in"], needles_out=x["needles_out"],
            estim=dm.EStim(x["estim_frequency_hz"], x["estim_pulse_width_us"], x["estim_intensity_ma"],
                           x["estim_minutes"], x["estim_attended"]) if x["estim_frequency_hz"] else None,
        ) for x in sites)
        # the risks the sites and agents carry are ticked, as the editor ticks them (domain/consent_risks.py)
        carried = applicable_risks(domain_sites, preps, self.formulary, self.atlas)
        session["consent_risks"] = session["consent_risks"] + [r for r in carried if r not in session["consent_risks"]]
        chart = SimpleNamespace(sites=domain_sites, preparations=preps, performed_start=session["performed_start"],
                                consent_type=session["consent_type"], timeout_done=session["timeout_done"],
                                timeout_at=session["timeout_at"], consent_risks=tuple(session["consent_risks"]),
                                antisepsis=session["antisepsis"])
        day = session["performed_start"].date()
        rules = self.rules.get(day) or self.rules.setdefault(day, rules_for(day))
        doses = dose_summary(chart, self.formulary, record.weight_kg)
        self.doses[session["id"]] = (record.weight_kg, doses)
        found = evaluate(SafetyInput(record, chart, self.formulary, self.atlas, rules, tuple(self.history),
                                     doses=doses, risks=carried))
        # No icd10_set_not_valid here: FY2026 and FY2027 ship (from 2025-10-01), so the demo's sessions before
        # them, three in five, would carry it; the demo says so once instead (icd10.shipped_only_note, printed by
        # `tpi-notes demo`).
        found = apply_overrides(list({f.key: f for f in found}.values()),
                                tuple(FindingOverride(f.code, f.subject, OVERRIDE_REASON) for f in found if f.overridable))
        if status == "signed" and any(f.blocks_signing for f in found):
            status = "draft"
        if status == "signed":
            # the corticosteroid given, for the next sessions' rules; none without a steroid in a syringe
            steroid = any(self.formulary[c.item_code].agent_class == "corticosteroid"
                          for p in preps for c in p.components)
            # the mg totals do not depend on the weight (only the maxima do): the rules' summary serves
            mpe = steroid_mpe(doses, self.formulary) if steroid else 0.0
            self.history.append(PastSession(session["id"], session["performed_start"],
                                            any(x.technique == "injection" for x in domain_sites),
                                            frozenset((x.muscle_id, x.side) for x in domain_sites
                                                      if x.technique == "injection"),
                                            mpe))
        rows = [{"session_id": session["id"], "rule_code": f.code, "subject": f.subject, "severity": f.severity,
                 "message": f.message, "source": f.source, "override_reason": f.override_reason,
                 "overridden_by_id": session["physician_id"] if f.override_reason else None,
                 "overridden_at": session["performed_start"] if f.override_reason else None} for f in found]
        return rows, status

    def _patient_record(self, patient: Any) -> PatientRecord:
        return PatientRecord(mrn="", family_name="", given_name="", birth_date=patient.birth_date, sex=patient.sex,
                             weight_kg=patient.weight_kg, allergies=patient.allergies,
                             anticoagulant=patient.anticoagulant, bleeding_disorder=patient.bleeding_disorder,
                             diabetes=patient.diabetes, pregnant=patient.pregnant, breastfeeding=patient.breastfeeding,
                             implanted_device=patient.implanted_device, id=patient.id,
                             history=History.from_json((patient.signed_as or {}).get("history")),
                             allergy_entries=entries_from_json((patient.signed_as or {}).get("allergy_entries")),
                             # the rest of the record the app's rules read at signing (what `tpi-notes assess`
                             # re-checks): immunosuppression, insulin, the weight's date
                             **_signed_extras(patient.signed_as or {}))


def _signed_extras(signed: dict) -> dict[str, Any]:
    weighed = signed.get("weight_date")
    return {"immunosuppressed": bool(signed.get("immunosuppressed")), "insulin": bool(signed.get("insulin")),
            "weight_date": date.fromisoformat(weighed) if isinstance(weighed, str) else weighed}


def _prep_avoiding(patient: Any, drawn: str) -> str:
    """The skin prep drawn, or the other one when the patient is allergic to it (as the physician would)."""
    allergic = {resolve(a).substance for a in patient.allergies}
    if "chlorhexidine" in allergic or "isopropyl_alcohol" in allergic:
        return "Povidone-iodine"
    return "Chlorhexidine-alcohol" if "povidone_iodine" in allergic else drawn
