"""CMS's yearly ICD-10-CM order addenda, and the rule that turns one year's code set into the next (issue 15 item 7).

CMS publishes, beside each year's order file, the changes from the year before: one line a change, fixed-width
like the order file but led by the action — "Add:", "Delete:", "Revise from:" / "Revise to:" (13 characters),
the billable flag (1 = billable, 0 = header), the code (7, no dot), the short title (60) and the long title,
separated by one space — and then a summary of the counts. A code that gains subcodes is deleted as billable
and added again as a header ("Delete: 1 D691" then "Add: 0 D691").

The app ships the previous year with these addenda when CMS's order file for the new year is not at hand: the
new set is the old one's billable codes, changed line by line. The rule is strict because a set built on the
wrong base would quietly be wrong: deleting a code the base lacks, adding one it has, or revising a title it
does not carry refuses the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ACTIONS = {"Add:": "add", "Delete:": "delete", "Revise from:": "revise_from", "Revise to:": "revise_to"}
_CODE = re.compile(r"^[A-Z][0-9A-Z]{2,6}$")  # FY2027 opens chapter QA (QA1, QA17…)


@dataclass(frozen=True)
class AddendaLine:
    """One change: ``action`` is add, delete, revise_from or revise_to; ``code`` has its dot."""

    action: str
    code: str
    billable: bool
    short: str
    long: str


def dotted(code: str) -> str:
    """M67A01 → M67.A01 (a category has three characters; the dot follows them)."""
    code = code.strip().upper()
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def parse_addenda(text: str) -> list[AddendaLine]:
    """The change lines of an addenda file, up to the blank line before CMS's summary of counts. A line there
    that is not a change line raises ValueError naming it (a file of another kind is not read as no changes)."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if out:
                break
            continue
        action, flag, code = ACTIONS.get(line[:13].strip()), line[13:14], line[15:22].strip().upper()
        if action is None or flag not in ("0", "1") or line[14:15] != " " or not _CODE.match(code):
            raise ValueError(f"line {number} is not an ICD-10-CM addenda line: {line[:40]!r}")
        short = line[23:83].strip()
        out.append(AddendaLine(action, dotted(code), flag == "1", short, line[84:].strip() or short))
    if not out:
        raise ValueError("the addenda file has no changes")
    return out


def apply_addenda(billable: Mapping[str, str], changes: Iterable[AddendaLine]) -> dict[str, str]:
    """The billable codes (dotted code → long title) after ``changes``, in their order; ``billable`` is left
    as it was. Headers are not claim diagnoses, so a header line only takes its code out of the billable ones."""
    out = dict(billable)
    for x in changes:
        if x.action == "delete":
            if x.billable and out.pop(x.code, None) is None:
                raise ValueError(f"the addenda deletes {x.code}, which the base set does not have")
            out.pop(x.code, None)
        elif x.action == "add":
            if x.code in out:
                raise ValueError(f"the addenda adds {x.code}, which the base set already has")
            if x.billable:
                out[x.code] = x.long
        elif x.action == "revise_from":
            if x.billable and out.get(x.code) != x.long:
                raise ValueError(f"the addenda revises {x.code} from a title the base set does not have")
        elif x.billable:  # revise_to
            out[x.code] = x.long
        else:
            out.pop(x.code, None)
    return out
