"""The procedure note (product.md §6): the chart copy, laid out from a ProcedureNoteVM in clinical order.

Sections: clinic header; patient; encounter; indication and diagnoses; pre-procedure (history, consent,
preparation, exam per muscle); body diagram; sites; medications and syringes; e-stim; post-procedure;
safety findings; codes; attestation and signature (hash and QR code); addenda. Every user string goes
through ``text.para`` (escaped); every table repeats its header row when it runs onto the next page.
"""

from __future__ import annotations

import itertools

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.shapes import Drawing, Path
from reportlab.lib import colors
from reportlab.lib.styles import StyleSheet1
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, HRFlowable, KeepTogether, Spacer, Table, TableStyle

from tpi_notes.anatomy import load_atlas
from tpi_notes.reports.body_diagram import body_diagram_drawing, body_diagram_height
from tpi_notes.reports.logo import logo_flowable
from tpi_notes.reports.note_model import ProcedureNoteVM, Signature
from tpi_notes.reports.outcomes_note import outcomes_section
from tpi_notes.reports.page import PageDecor, render_pdf
from tpi_notes.reports.styles import (
    ALERT_RULE,
    FRAME_WIDTH,
    INK_HEX,
    QR_SIZE,
    RULE,
    STOP_FILL,
    TOP_DIAGRAM_MIN_WIDTH,
    TOP_DIAGRAM_WIDTH,
    WARN_FILL,
    note_styles,
)
from tpi_notes.reports.tables import grid, key_values, pair_rows
from tpi_notes.reports.text import Markup, bold, fmt, labelled, para

DRAFT_MARK = "DRAFT — NOT SIGNED"
ALTERED_MARK = "ALTERED AFTER SIGNING"
SITE_HEADER = ("#", "Muscle", "Side", "View", "Technique", "Syringe", "mL", "Needle", "Aspiration",
               "Passes / needles", "Dwell", "Twitch")
SITE_WIDTHS = (2.8, 15, 4.2, 6.4, 9, 5.6, 3.4, 11.5, 8.2, 8.2, 5.4, 5.4)


def _section(title: str, st: StyleSheet1, need: float = 50) -> list[Flowable]:
    """A section heading that never ends a page: it moves on when less than ``need`` points remain.

    (Not ``keepWithNext``: that keeps the heading with a whole long table and can leave half a page blank.)
    """
    return [CondPageBreak(need), para(title, st["Section"])]


def _sub(title: str, st: StyleSheet1, need: float = 40) -> list[Flowable]:
    return [CondPageBreak(need), para(title, st["Sub"])]


def _header(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    """Clinic and document title on the left, the clinic's address and phones on the right."""
    logo = logo_flowable(vm.clinic_logo, 12 * mm, FRAME_WIDTH * 0.3)
    left: list[Flowable] = [logo, Spacer(1, 2)] if logo else []
    left += [para(vm.clinic_name, st["ClinicName"]), para(f"Procedure note: {vm.title}", st["Title"]),
             para(vm.identity_line, st["Identity"])]
    if vm.signature:
        left.append(para([bold("Signed "), f"{vm.signature.signed_at} by {vm.signature.signer}"], st["Body"]))
    else:
        left.append(para([bold(DRAFT_MARK), " — a draft, printed for review."], st["Body"]))
    lines = [para(line, st["ClinicLine"]) for line in vm.clinic_lines]
    lines.append(para(f"Session #{vm.session_id}", st["ClinicLine"]))
    top = Table([[left, lines]], colWidths=[FRAME_WIDTH * 0.6, FRAME_WIDTH * 0.4], hAlign="LEFT")
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                             ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                             ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    out: list[Flowable] = [top, HRFlowable(width="100%", thickness=0.8, color=RULE, spaceBefore=3, spaceAfter=1)]
    if vm.integrity_problem:
        out.append(_alert(f"{ALTERED_MARK}: this record no longer matches its signature ({vm.integrity_problem}). "
                          "Do not rely on it. Tell the clinic's administrator, who can compare it with a backup "
                          "and the audit trail.", st))
    return out


def _alert(text: str, st: StyleSheet1) -> Table:
    box = Table([[para([bold(text)], st["Body"])]], colWidths=[FRAME_WIDTH], hAlign="LEFT")
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, ALERT_RULE), ("BACKGROUND", (0, 0), (-1, -1), STOP_FILL),
                             ("LEFTPADDING", (0, 0), (-1, -1), 5), ("TOPPADDING", (0, 0), (-1, -1), 3),
                             ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return box


def _inline_section(title: str, text: str, st: StyleSheet1) -> list[Flowable]:
    """A section with nothing to list, on one line: the heading and then, in body type, why it is empty."""
    body = st["Body"]
    return [CondPageBreak(24), para(Markup(f'{fmt(title)}<font name="{body.fontName}" size="{body.fontSize}" '
                                           f'color="{INK_HEX}">  {fmt(text)}</font>'),
                                    st["Section"])]


def _indication(vm: ProcedureNoteVM, st: StyleSheet1, total: float, heading: bool = True) -> list[Flowable]:
    title = para("Indication and diagnoses", st["Section"])
    diagnoses = "\n".join(f"{code}  {display}".strip() for code, display in vm.diagnoses) or "No diagnosis recorded"
    code_set = f"ICD-10-CM {vm.icd10_version}" if vm.icd10_version else "ICD-10-CM"
    pairs = (*vm.indication, (f"Diagnoses ({code_set})", diagnoses))
    return [*([title] if not heading else _section("Indication and diagnoses", st)),
            key_values(pairs, st, columns=1, label_share=96 / total, total=total)]


def _short_indication(vm: ProcedureNoteVM) -> bool:
    """Whether indication and diagnoses are short enough to sit beside the diagram (a table cell cannot
    run onto the next page, so long free text goes below, full width)."""
    text = sum(len(str(v or "")) for _k, v in vm.indication) + sum(len(str(d)) for row in vm.diagnoses for d in row)
    return text <= 700 and len(vm.diagnoses) <= 5


def _least_diagram_width(markers: int) -> float:
    """The narrowest the note's diagram may be: a few markers stay legible on a small diagram; a crowd
    (more than ten) gets the full width so neighbouring numbers do not overlap."""
    if markers <= 4:
        return TOP_DIAGRAM_MIN_WIDTH
    share = min(1.0, (markers - 4) / 6)
    return TOP_DIAGRAM_MIN_WIDTH + share * (TOP_DIAGRAM_WIDTH - TOP_DIAGRAM_MIN_WIDTH)


def _top(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    """Patient and encounter (and a short indication) on the left, the body diagram on the right.

    The diagram takes the width (within limits) at which the two columns end closest together, so a
    short left column does not leave a tall diagram standing over empty space, and a long one gets a
    larger diagram beside it."""
    gap = 8.0
    short = _short_indication(vm)
    atlas = load_atlas(vm.atlas_version)
    heading = para(Markup("Body diagram"), st["Section"])
    _w, heading_height = heading.wrap(TOP_DIAGRAM_WIDTH, 1000)
    heading_height += st["Section"].spaceBefore + st["Section"].spaceAfter

    columns: dict[float, list[Flowable]] = {}  # by width: the column measured is the one placed

    def left_column(width: float) -> list[Flowable]:
        if width in columns:
            return columns[width]
        identity = (("Name", vm.patient_name), ("Date of birth", vm.patient_dob), ("MRN", vm.patient_mrn))
        out: list[Flowable] = [
            para("Patient and encounter", st["Section"]),
            key_values(identity + vm.patient_facts + vm.encounter, st, columns=2, label_share=0.42, total=width),
        ]
        columns[width] = out + (_indication(vm, st, width, heading=False) if short else [])
        return columns[width]

    def heights(diagram_width: float) -> tuple[float, float]:
        width = FRAME_WIDTH - diagram_width - gap
        left = sum(f.wrap(width, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in left_column(width))
        return left, heading_height + body_diagram_height(atlas, diagram_width, with_legend=bool(vm.markers))

    least = _least_diagram_width(len(vm.markers))
    steps = [least + i * 2 * mm for i in range(int((TOP_DIAGRAM_WIDTH - least) / (2 * mm)) + 1)]
    diagram_width = min(steps, key=lambda w: (max(heights(w)), -w))
    left_width = FRAME_WIDTH - diagram_width - gap
    right = [heading, body_diagram_drawing(atlas, vm.markers, diagram_width)]
    table = Table([[left_column(left_width), right]], colWidths=[left_width + gap, diagram_width], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (0, 0), gap)]))
    return [table] + ([] if short else _indication(vm, st, FRAME_WIDTH))


def _pre_procedure(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    out: list[Flowable] = [*_section("Pre-procedure: history, consent, time-out and preparation", st),
                           *pair_rows(vm.history + vm.preparation, st)]
    if vm.exam:
        out += [*_sub("Examination: trigger point criteria per muscle", st),
                grid(("Muscle and side", "Taut band", "Hypersensitive spot", "Referred pain", "Twitch", "Jump sign",
                      "Core criteria"), vm.exam, (4.6, 1.7, 2.8, 2.2, 1.3, 1.6, 2.0), st)]
    return out


def _sites(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    rows = [(r.number, r.muscle, r.side, r.view, r.technique, r.syringe, r.volume, r.needle, r.aspiration,
             r.passes, r.dwell, r.twitch) for r in vm.sites]
    needled = {" in / " in r.passes for r in vm.sites if r.passes}
    count = {frozenset({True}): "Needles", frozenset({False}): "Passes"}.get(frozenset(needled), SITE_HEADER[9])
    header = SITE_HEADER[:9] + (count,) + SITE_HEADER[10:]
    out: list[Flowable] = [*_section(f"Sites ({len(vm.sites)})", st)]
    out.append(grid(header, rows or [("—",) + ("",) * 11], SITE_WIDTHS, st))
    for label, note in vm.site_notes:
        out.append(labelled(label, note, st["Small"]))
    return out


def _medications(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    if not vm.medications:
        why = "None: dry needling only." if vm.sites else "None recorded (no sites yet)."
        return _inline_section("Medications", why, st)
    rows = [(m.drug, m.concentration, m.lots, m.ndc, m.expiry, m.total_ml, m.total_mg, m.pct_max)
            for m in vm.medications]
    out: list[Flowable] = [
        *_section("Medications", st),
        grid(("Drug", "Concentration", "Lot", "NDC", "Expiry", "Total mL", "Total mg", "% of max"), rows,
             (4.6, 3, 2.6, 3.2, 2.4, 2, 2.2, 9), st),
        Spacer(1, 2), key_values(vm.syringes, st, columns=1, label_share=0.14),
    ]
    out += [para(line, st["Small"]) for line in vm.waste]  # the discarded amount per drug (JW)
    out += [para(note, st["Small"]) for note in vm.dose_notes]
    return out


def _estim_and_post(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    out: list[Flowable] = []
    if vm.estim:
        out += [*_section("Electrical stimulation", st),
                grid(("Site", "Muscle", "Frequency Hz", "Pulse width µs", "Intensity mA", "Minutes", "Billing"),
                     vm.estim, (1.4, 6, 2.4, 2.6, 2.4, 2, 2.6), st)]
    out += [*_section("Post-procedure", st), *pair_rows(vm.post, st)]
    return out


def _findings_and_codes(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    out: list[Flowable] = []
    if vm.findings:
        out += _section("Safety findings", st)
        fills = {i: STOP_FILL if f.severity == "STOP" else WARN_FILL
                 for i, f in enumerate(vm.findings) if f.severity in ("STOP", "Warning")}
        rows = [(bold(f.severity), f.message, f.source, f.override or ("Open — blocks signing" if f.open_stop else ""))
                for f in vm.findings]
        overridden = any(r[3] for r in rows)
        widths = (2, 9, 5, 5) if overridden else (2, 12.4, 4.2, 3.8)
        out.append(grid(("Severity", "Finding", "Source", "Override / reason"), rows, widths, st, fills=fills))
    else:
        out += _inline_section("Safety findings", "No safety findings.", st)
    out += _section("Codes", st)
    codes = [(f"CPT {c.code}", c.units, c.modifiers, c.reason) for c in vm.cpt] or [("CPT —", "", "", "No procedure code")]
    codes += [(f"HCPCS {c.code}", c.units, c.modifiers, c.reason) for c in vm.hcpcs]
    out.append(grid(("Code", "Units", "Modifiers", "Reason"), codes, (2.4, 1.2, 1.8, 12), st))
    icd = ", ".join(code for code, _display in vm.icd10) or "none recorded"
    out.append(labelled(f"ICD-10-CM ({vm.icd10_version} code set)" if vm.icd10_version else "ICD-10-CM", icd,
                        st["Small"]))
    out += [para(note, st["Small"]) for note in vm.coding_notes]
    return out


def _qr(payload: str, size: float) -> Drawing:
    """The QR code of ``payload`` (level M, a 4-module quiet zone) in a ``size`` square: encoded once and drawn
    as one path of its dark runs. ReportLab's QrCodeWidget encodes twice per print (once to measure, once to
    draw) and draws a rectangle per run, hundreds of shapes; the modules here are the same."""
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(payload)
    qr.make()
    count, border = qr.getModuleCount(), 4
    box = size / (count + 2 * border)
    path = Path(fillColor=colors.black, strokeColor=None, strokeWidth=0)
    for r, row in enumerate(qr.modules):
        c = 0
        for dark, run in itertools.groupby(bool(m) for m in row):
            n = len(list(run))
            if dark:
                x0, x1 = (c + border) * box, (c + border + n) * box
                y0 = size - (r + border + 1) * box
                path.moveTo(x0, y0)
                path.lineTo(x1, y0)
                path.lineTo(x1, y0 + box)
                path.lineTo(x0, y0 + box)
                path.closePath()
            c += n
    drawing = Drawing(size, size)
    drawing.add(path)
    return drawing


def _signature(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    """The attestation, and for a signed note the e-signature, hash and QR code in one ruled box."""
    heading = para("Attestation and signature", st["Section"])
    sig = vm.signature
    if sig is None:
        return [KeepTogether([heading, para(vm.attestation, st["Attest"])])]
    details = [para(vm.attestation, st["Attest"]), Spacer(1, 1.5),
               para([bold("Signed electronically by: "), sig.signer, " · ", bold("Date and time: "), sig.signed_at],
                    st["Body"]),
               para([bold("Content SHA-256: "), sig.sha256], st["Hash"]),
               para(f"{sig.method[:1].upper()}{sig.method[1:]}. The QR code holds session #{vm.session_id} and "
                    "this hash.", st["Muted"])]
    table = Table([[details, _qr(sig.qr_payload, QR_SIZE)]], colWidths=[FRAME_WIDTH - QR_SIZE - 10, QR_SIZE + 10],
                  hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("BOX", (0, 0), (-1, -1), 0.6, RULE), ("LEFTPADDING", (0, 0), (0, 0), 5),
                               ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return [KeepTogether([heading, table])]


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


def _outcomes(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    return outcomes_section(vm.outcomes, st, _section)  # PEG and response to prior injections (issue 17)


def build_story(vm: ProcedureNoteVM, st: StyleSheet1) -> list[Flowable]:
    story: list[Flowable] = []
    for part in (_header, _top, _pre_procedure, _outcomes, _sites, _medications, _estim_and_post,
                 _findings_and_codes, _signature, _addenda):
        story.extend(part(vm, st))
    return story


def _footer_method(sig: Signature) -> str:
    """The footer's short word for how the note was signed ("Ed25519", or "hash-only (before v5)"), and its PDF
    signature ("PAdES-signed PDF", "PDF signature pending" …): on every page, without moving anything."""
    method = "Ed25519" if sig.method.startswith("Ed25519") else "hash-only (before v5)"
    return f"{method} · {sig.pdf_signature}" if sig.pdf_signature else method


def render_procedure_note(vm: ProcedureNoteVM, *, paper: str = "letter") -> bytes:
    """The procedure note as PDF bytes (deterministic for the same view-model) on the clinic's ``paper``."""
    st = note_styles()
    signed = vm.signature is not None
    footer = (f"Signed {vm.signature.signed_at} · SHA-256 {vm.signature.sha256[:16]}… · {_footer_method(vm.signature)}"
              if vm.signature else DRAFT_MARK)
    watermark = "" if signed else DRAFT_MARK
    if vm.integrity_problem:
        footer, watermark = f"{ALTERED_MARK} — does not match its signature", ALTERED_MARK
    decor = PageDecor(clinic=vm.clinic_name, identity=vm.identity_line,
                      title=f"Procedure note · session #{vm.session_id}", watermark=watermark,
                      footer=footer, first_page_header=False, paper=paper)
    return render_pdf(build_story(vm, st), decor, title=f"Procedure note — {vm.patient_name}",
                      subject=vm.title, author=vm.signature.signer if vm.signature else "")
