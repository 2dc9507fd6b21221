"""Sending a PDF to a printer as it is: vectors and text, on the clinic's paper.

Rendering pages to images and painting them into a QPrinter sends about 2.5 MB a page at 600 dpi, blurs small
type on a printer of another resolution, and lets the driver pick the paper (A4 wherever the locale says so).
Where the operating system prints through CUPS (Linux, macOS), the PDF itself goes to the chosen queue with
``lp`` (the CUPS command-line client, which every CUPS install ships), on standard input, so no copy of the
patient's sheet is left in a temporary file; the clinic's paper is named as the ``media`` option. CUPS turns
the PDF into whatever the printer speaks. Elsewhere (Windows) the caller falls back to page images and says so.

No Qt here: the UI (ui/pdf_preview.py) picks the queue with Qt's print dialog and calls :func:`send_pdf`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

from tpi_notes.domain.errors import TpiError

CUPS_MEDIA = {"letter": "Letter", "a4": "A4"}
_TIMEOUT_S = 30
_JOB = re.compile(r"request id is (\S+)")


class PrintError(TpiError):
    """The print system refused the job or could not be reached."""


@dataclass(frozen=True)
class PrintJob:
    """A job the print system accepted: its id, the queue, and how the pages were sent."""

    job_id: str
    queue: str
    vector: bool = True


def cups_available() -> bool:
    """Whether this system prints through CUPS (Linux and macOS with the ``lp`` client installed)."""
    return sys.platform != "win32" and shutil.which("lp") is not None and shutil.which("lpstat") is not None


def _lpstat(*args: str) -> str:
    try:
        done = subprocess.run(["lpstat", *args], capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def cups_queues() -> list[str]:
    """The CUPS queues this computer can print to (empty when CUPS is not there or not running)."""
    if not cups_available():
        return []
    return [line.strip() for line in _lpstat("-e").splitlines() if line.strip()]


def default_queue() -> str | None:
    """The CUPS default destination (``lpstat -d``), or None when there is none."""
    if not cups_available():
        return None
    found = re.search(r"system default destination:\s*(\S+)", _lpstat("-d"))
    return found.group(1) if found else None


def send_pdf(pdf: bytes, queue: str, *, paper: str, title: str, copies: int = 1,
             pages: tuple[int, int] | None = None) -> PrintJob:
    """Queue ``pdf`` on the CUPS ``queue`` as it is (``lp -d QUEUE -o media=… -``); ``pages`` is a 1-based
    inclusive range. Raises PrintError with the print system's own words when it refuses."""
    if not cups_available():
        raise PrintError("This computer has no CUPS print system (the lp command); print from the print dialog.")
    command = ["lp", "-d", queue, "-t", title, "-n", str(max(1, copies)), "-o", f"media={CUPS_MEDIA.get(paper, 'Letter')}"]
    if pages is not None:
        command += ["-P", f"{pages[0]}-{pages[1]}"]
    command.append("-")  # the document on standard input: no temporary copy of it on disk
    try:
        done = subprocess.run(command, input=pdf, capture_output=True, timeout=_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise PrintError(f"The print system did not answer within {_TIMEOUT_S} seconds; nothing was printed "
                         f"to {queue}.") from None
    except OSError as exc:
        raise PrintError(f"Cannot run lp: {exc.strerror or exc}") from None
    said = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()
    if done.returncode != 0:
        reason = said[-1].removeprefix("lp: ").strip() if said else f"lp exited with status {done.returncode}"
        raise PrintError(f"Not printed on {queue}: {reason}")
    found = _JOB.search((done.stdout or b"").decode("utf-8", "replace"))
    return PrintJob(found.group(1) if found else "", queue)
