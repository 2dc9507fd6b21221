"""One workstation of tests/test_concurrent_workstations.py, run in a process of its own.

    python -c "...; workstation_worker.main()" URL MODE SESSION_ID CYCLES TAG

It opens the clinic (as a workstation does), prints ``ready``, waits for a line on stdin (the test sends it to
every workstation at once, so they start together without sleeping), then runs CYCLES cycles and prints one
JSON line of what happened:

- ``save``: open the session (an audited view) and save it with every site's note and the comments set to one
  new mark; each committed save is reported with the version it was opened at and the version it made.
- ``read``: open the session to read it (an audited view) and check it is whole: every site's note is the mark
  in its comments (a torn read shows half of one save and half of another).

Refusals are counted only when they are the clear ConcurrentEditError; anything else is reported as raw.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace

from principals import ALL_PERMISSIONS

from tpi_notes.domain.errors import ConcurrentEditError, DatabaseBusyError
from tpi_notes.services import drafts, sessions
from tpi_notes.services.context import open_clinic

CLEAR_REFUSAL = "another workstation"


def _cycle(ctx, mode: str, sid: int, mark: str, result: dict) -> None:  # noqa: ANN001 - AppContext
    if mode == "read":
        record = sessions.get_session(ctx, sid)
        result["reads"] += 1
        if any(site.note != record.comments for site in record.sites):
            result["torn"].append([record.comments, sorted({site.note for site in record.sites})])
        return
    draft = drafts.get_draft(ctx, sid)
    result["reads"] += 1
    changed = replace(draft, comments=mark, sites=tuple(replace(site, note=mark) for site in draft.sites))
    try:
        saved = drafts.save_draft(ctx, changed)
    except ConcurrentEditError as exc:
        if CLEAR_REFUSAL not in str(exc):
            result["raw"].append(f"unclear refusal: {exc}")
        result["refused"] += 1
        return
    result["committed"].append([draft.row_version, saved.row_version, mark])


def main(argv: list[str] | None = None) -> None:
    url, mode, sid, cycles, tag = argv or sys.argv[1:]
    ctx = open_clinic(url, principal=ALL_PERMISSIONS)
    result: dict = {"committed": [], "refused": 0, "reads": 0, "torn": [], "raw": [], "busy": []}
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(int(cycles)):
        began = time.monotonic()
        try:
            _cycle(ctx, mode, int(sid), f"{tag}-{i}", result)
        except DatabaseBusyError:  # clear and honest (nothing saved, try again), but counted: it should be rare
            result["busy"].append(round(time.monotonic() - began, 1))
        except Exception as exc:  # noqa: BLE001 - exactly what the test counts
            result["raw"].append(f"{type(exc).__module__}.{type(exc).__name__}: {str(exc)[:200]}")
    ctx.close()
    print(json.dumps(result), flush=True)
