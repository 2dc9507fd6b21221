"""The procedure note (product.md §6): the chart copy, laid out from a ProcedureNoteVM in clinical order.

Sections: clinic header; patient; encounter; indication and diagnoses; pre-procedure (history, consent,
preparation, exam per muscle); body diagram; sites; medications and syringes; e-stim; post-procedure;
safety findings; codes; attestation and signature (hash and QR code); addenda. Every user string goes
through ``text.para`` (escaped); every table repeats its header row when it runs onto the next page.
"""

from __future__ import annotations

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.styles import StyleSheet1
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, HRFlowable, KeepTogether, Spacer, Table, TableStyle

from tpi_notes.anatomy import load_atlas
from tpi_notes.reports.body_diagram import body_diagram_drawing
from tpi_notes.reports.logo import logo_flowable
from tpi_notes.reports.note_model import ProcedureNoteVM
from tpi_notes.reports.page import PageDecor, render_pdf
from tpi_notes.reports.styles import (
    ALERT_RULE,
    FRAME_WIDTH,
    QR_SIZE,
    RULE,
    STOP_FILL,
    TOP_DIAGRAM_WIDTH,
    WARN_FILL,
    note_styles,
)
from tpi_notes.reports.tables import grid, key_values
from tpi_notes.reports.text import Markup, bold, labelled, para

DRAFT_MARK = "DRAFT — NOT SIGNED"
SITE_HEADER = ("#", "Muscle", "Side", "View", "Technique", "Syringe", "mL", "Needle", "Aspiration",
               "Passes / needles", "Dwell (min)", "Twitch")
SITE_WIDTHS = (2.8, 15, 4.4, 7.4, 9.4, 6.4, 3.6, 10, 8.4, 8.4, 5.6, 5.6)


def _section(title: str, st: StyleSheet1, need: float = 50) -> list[Flowable]:
    """A section heading that never ends a page: it moves on when less than ``need`` points remain.

    (Not ``keepWithNext``: that keeps the heading with a whole long table and can leave half a page blank.)
    """
    return [CondPageBreak(need), para(title, st["Section"])]


def _sub(title: str, st: StyleSheet1, need: float = 40) -> list[Flowable]:
    return [CondPageBreak(need), para(title, st["Sub"])]


def _header(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    lines = [para(line, st["ClinicLine"]) for line in vm.clinic_lines]
    logo = logo_flowable(vm.clinic_logo, 14 * mm, FRAME_WIDTH * 0.3)
    name: list[Flowable] = [logo, Spacer(1, 3)] if logo else []
    name.append(para(vm.clinic_name, st["ClinicName"]))
    top = Table([[name, lines]], colWidths=[FRAME_WIDTH * 0.55, FRAME_WIDTH * 0.45], hAlign="LEFT")
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                             ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0)]))
    out: list[Flowable] = [top, HRFlowable(width="100%", thickness=0.8, color=RULE, spaceBefore=2, spaceAfter=5)]
    out.append(para(f"Procedure note: {vm.title}", st["Title"]))
    if vm.signature:
        out.append(para([bold("Signed "), f"{vm.signature.signed_at} by {vm.signature.signer}"], st["Body"]))
    else:
        out.append(para([bold(DRAFT_MARK), " — a draft, printed for review."], st["Body"]))
    return out


def _indication(vm: ProcedureNoteVM, st: StyleSheet1, total: float, heading: bool = True) -> list[Flowable]:
    title = para("Indication and diagnoses", st["Section"])
    return [*([title] if not heading else _section("Indication and diagnoses", st)),
            key_values(vm.indication, st, columns=1, label_share=0.26, total=total), Spacer(1, 3),
            grid(("ICD-10-CM", "Diagnosis"), vm.diagnoses or (("—", "No diagnosis recorded"),), (1, 4.5), st,
                 total=total)]


def _short_indication(vm: ProcedureNoteVM) -> bool:
    """Whether indication and diagnoses are short enough to sit beside the diagram (a table cell cannot
    run onto the next page, so long free text goes below, full width)."""
    text = sum(len(str(v or "")) for _k, v in vm.indication) + sum(len(str(d)) for row in vm.diagnoses for d in row)
    return text <= 700 and len(vm.diagnoses) <= 5


def _top(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    """Patient and encounter (and a short indication) on the left, the body diagram on the right."""
    gap = 8.0
    left_width = FRAME_WIDTH - TOP_DIAGRAM_WIDTH - gap
    identity = (("Name", vm.patient_name), ("Date of birth", vm.patient_dob), ("MRN", vm.patient_mrn))
    left: list[Flowable] = [
        para("Patient", st["Section"]),
        key_values(identity + vm.patient_facts, st, columns=2, label_share=0.36, total=left_width),
        para("Encounter", st["Section"]), key_values(vm.encounter, st, columns=2, label_share=0.36, total=left_width),
    ]
    short = _short_indication(vm)
    if short:
        left += _indication(vm, st, left_width, heading=False)
    drawing = body_diagram_drawing(load_atlas(vm.atlas_version), vm.markers, TOP_DIAGRAM_WIDTH)
    right = [para(Markup("Body diagram"), st["Section"]),
             para("Numbered markers match the site table; sides are the patient's.", st["Muted"]), drawing]
    table = Table([[left, right]], colWidths=[left_width + gap, TOP_DIAGRAM_WIDTH], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (0, 0), gap)]))
    return [table] + ([] if short else _indication(vm, st, FRAME_WIDTH))


def _pre_procedure(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    out: list[Flowable] = [
        *_section("Pre-procedure", st), *_sub("History and risks", st),
        key_values(vm.history, st, columns=2, label_share=0.42),
        *_sub("Consent, time-out and preparation", st),
        key_values(vm.preparation[:2], st, columns=1, label_share=0.2),
        key_values(vm.preparation[2:], st, columns=2, label_share=0.4),
    ]
    if vm.exam:
        out += [*_sub("Examination: trigger point criteria per muscle", st),
                grid(("Muscle", "Taut band", "Hypersensitive spot", "Referred pain", "Twitch", "Core criteria"),
                     vm.exam, (5, 2, 2.6, 2.2, 1.8, 2.2), st)]
    return out


def _sites(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    rows = [(r.number, r.muscle, r.side, r.view, r.technique, r.syringe, r.volume, r.needle, r.aspiration,
             r.passes, r.dwell, r.twitch) for r in vm.sites]
    out: list[Flowable] = [*_section(f"Sites ({len(vm.sites)})", st)]
    out.append(grid(SITE_HEADER, rows or [("—",) + ("",) * 11], SITE_WIDTHS, st))
    for label, note in vm.site_notes:
        out.append(labelled(label, note, st["Small"]))
    return out


def _medications(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    if not vm.medications:
        why = "None: dry needling only." if vm.sites else "None recorded (no sites yet)."
        return [*_section("Medications", st), para(why, st["Body"])]
    rows = [(m.drug, m.concentration, m.lots, m.expiry, m.total_ml, m.total_mg, m.pct_max) for m in vm.medications]
    out: list[Flowable] = [
        *_section("Medications", st),
        grid(("Drug", "Concentration", "Lot", "Expiry", "Total mL", "Total mg", "% of max"), rows,
             (6, 4.2, 3.6, 3, 2.2, 2.2, 6.5), st),
        *_sub("Syringes", st), key_values(vm.syringes, st, columns=1, label_share=0.14),
    ]
    out += [para(note, st["Small"]) for note in vm.dose_notes]
    return out


def _estim_and_post(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    out: list[Flowable] = []
    if vm.estim:
        out += [*_section("Electrical stimulation", st),
                grid(("Site", "Muscle", "Frequency Hz", "Pulse width µs", "Intensity mA", "Minutes", "Billing"),
                     vm.estim, (1.4, 6, 2.4, 2.6, 2.4, 2, 2.6), st)]
    out += [*_section("Post-procedure", st), key_values(vm.post, st, columns=2, label_share=0.36)]
    return out


def _findings_and_codes(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    out: list[Flowable] = [*_section("Safety findings", st)]
    if vm.findings:
        fills = {i: STOP_FILL if f.severity == "STOP" else WARN_FILL
                 for i, f in enumerate(vm.findings) if f.severity in ("STOP", "Warning")}
        rows = [(bold(f.severity), f.message, f.source, f.override or ("Open — blocks signing" if f.open_stop else ""))
                for f in vm.findings]
        out.append(grid(("Severity", "Finding", "Source", "Override / reason"), rows, (2, 9, 5, 5), st, fills=fills))
    else:
        out.append(para("No safety findings.", st["Body"]))
    out += _section("Codes", st)
    cpt = [(c.code, c.units, c.modifiers, c.reason) for c in vm.cpt] or [("—", "", "", "No procedure code")]
    out.append(grid(("CPT", "Units", "Modifiers", "Reason"), cpt, (2, 1.2, 1.8, 12), st))
    if vm.hcpcs:
        out.append(Spacer(1, 4))
        out.append(grid(("HCPCS", "Units", "Modifiers", "Reason"),
                        [(c.code, c.units, c.modifiers, c.reason) for c in vm.hcpcs], (2, 1.2, 1.8, 12), st))
    icd = "; ".join(f"{code} {display}".strip() for code, display in vm.icd10) or "none recorded"
    out.append(labelled("ICD-10-CM", icd, st["Small"]))
    out += [para(note, st["Small"]) for note in vm.coding_notes]
    return out


def _qr(payload: str, size: float) -> Drawing:
    widget = QrCodeWidget(payload, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _signature(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    block: list[Flowable] = [para("Attestation and signature", st["Section"]), para(vm.attestation, st["Attest"])]
    sig = vm.signature
    if sig is None:
        return [KeepTogether(block)]
    details = [labelled("Signed electronically by", sig.signer, st["Body"]),
               labelled("Date and time", sig.signed_at, st["Body"]),
               para(bold("Content SHA-256:"), st["Body"]), para(sig.sha256, st["Hash"]),
               para(f"The QR code holds session #{vm.session_id} and this hash.", st["Muted"])]
    table = Table([[details, _qr(sig.qr_payload, QR_SIZE)]], colWidths=[FRAME_WIDTH - QR_SIZE - 10, QR_SIZE + 10],
                  hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("BOX", (0, 0), (-1, -1), 0.6, RULE), ("LEFTPADDING", (0, 0), (0, 0), 5),
                               ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    block.append(Spacer(1, 4))
    block.append(table)
    return [KeepTogether(block)]


def _addenda(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    if not vm.addenda:
        return []
    out: list[Flowable] = [CondPageBreak(60), HRFlowable(width="100%", thickness=1.2, color=ALERT_RULE,
                                                         spaceBefore=8, spaceAfter=2),
                           *_section(f"Addenda ({len(vm.addenda)}) — added after signing", st)]
    for a in vm.addenda:
        out.append(KeepTogether([
            para(f"{a.kind} — {a.created} — {a.author}", st["Sub"]),
            para(a.text, st["Body"]),
            para([bold("Signed electronically by "), a.author, bold(" · SHA-256: "), a.sha256 or "—"], st["Hash"]),
            Spacer(1, 4),
        ]))
    return out


def build_story(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    story: list[Flowable] = []
    for part in (_header, _top, _pre_procedure, _sites, _medications, _estim_and_post,
                 _findings_and_codes, _signature, _addenda):
        story.extend(part(vm, st))
    return story


def render_procedure_note(vm: ProcedureNoteVM) -> bytes:
    """The procedure note as PDF bytes (deterministic for the same view-model)."""
    st = note_styles()
    signed = vm.signature is not None
    footer = f"Signed {vm.signature.signed_at} · SHA-256 {vm.signature.sha256[:16]}…" if vm.signature else DRAFT_MARK
    decor = PageDecor(clinic=vm.clinic_name, identity=vm.identity_line,
                      title=f"Procedure note · session #{vm.session_id}", watermark="" if signed else DRAFT_MARK,
                      footer=footer)
    return render_pdf(build_story(vm, st), decor, title=f"Procedure note — {vm.patient_name}",
                      subject=vm.title, author=vm.signature.signer if vm.signature else "")
