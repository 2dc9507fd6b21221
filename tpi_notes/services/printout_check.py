"""Check a printed procedure note against the record: is this paper what was signed, and is the record still
intact? One read-only transaction, audited as a view of the session (the answer names the patient)."""

from __future__ import annotations

from dataclasses import dataclass

from tpi_notes.db.repositories import audit, patients, session_records
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.printout import parse_printout
from tpi_notes.services.context import AppContext
from tpi_notes.services.integrity import signature_problem

# The verdicts, most reassuring first.
MATCHES = "matches"  # the paper shows the signed content and the record is intact
RECORD_ALTERED = "record altered"  # the paper shows what was signed, but the database copy changed since
DIFFERENT = "different"  # the paper's hash is not the signature's: the paper (or the signature row) is not genuine
NOT_SIGNED = "not signed"
UNKNOWN = "unknown session"


@dataclass(frozen=True)
class PrintoutCheck:
    verdict: str
    session_id: int
    message: str  # one paragraph for the person holding the paper
    patient: str = ""  # "Family, Given · MRN …" when the session exists
    addenda: int = 0  # addenda on the record (a copy printed before them lacks them)

    @property
    def ok(self) -> bool:
        return self.verdict == MATCHES


def check_printout(ctx: AppContext, text: str) -> PrintoutCheck:
    """Parse the scanned or typed ``text`` (ValidationError when unreadable) and compare it with the record."""
    ctx.require(Permission.VIEW_RECORDS)
    printed = parse_printout(text)
    sid = printed.session_id
    with ctx.read() as s:
        record = session_records.load(s, sid)
        if record is None:
            return PrintoutCheck(UNKNOWN, sid, f"There is no session {sid} in this clinic's database. The note "
                                               "comes from another clinic or database, or the number is wrong.")
        row = patients.get(s, record.patient_id)
        who = f"{row.family_name}, {row.given_name} · MRN {row.mrn}" if row else ""
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="view", entity="session", entity_id=sid,
                     patient_id=record.patient_id, detail="printed note checked against the record")
        if not record.is_signed or not record.content_sha256:
            return PrintoutCheck(NOT_SIGNED, sid, f"Session {sid} is a draft: it has not been signed, so no printout "
                                                  "of it is a valid record.", who)
        stored = record.content_sha256
        addenda = len(record.addenda)
        later = (f" The record has {addenda} addend{'um' if addenda == 1 else 'a'} (the last on "
                 f"{record.addenda[-1].created_at:%Y-%m-%d}); a copy printed before "
                 f"{'it' if addenda == 1 else 'them'} does not show {'it' if addenda == 1 else 'them'}."
                 if addenda else "")
        if not stored.startswith(printed.sha256):
            return PrintoutCheck(DIFFERENT, sid, f"This paper does not match the signature of session {sid}: its hash "
                                                 f"({printed.sha256[:16]}…) is not the signed one ({stored[:16]}…). "
                                                 "Treat the paper as not genuine and tell the clinic's administrator.",
                                 who, addenda)
        problem = signature_problem(s, record)
        if problem:
            return PrintoutCheck(RECORD_ALTERED, sid, f"The paper shows what was signed, but the database copy of "
                                                      f"session {sid} has been altered since ({problem}). Keep the "
                                                      "paper and tell the clinic's administrator.", who, addenda)
        signed = f"signed {record.signed_at:%Y-%m-%d %H:%M} by {record.signed_by}" if record.signed_at else "signed"
        scope = "" if printed.complete else f" (checked on the first {len(printed.sha256)} characters of the hash)"
        return PrintoutCheck(MATCHES, sid, f"Genuine: this is session {sid}, {signed}, and the record is intact"
                                           f"{scope}.{later}", who, addenda)
