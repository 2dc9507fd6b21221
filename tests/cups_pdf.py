"""A private CUPS server with a CUPS-PDF queue, for tests that print as the app does (issue 16 item 7).

The fixture ``cups_pdf_queue`` starts ``cupsd`` with its own configuration, spool and socket in a temporary
folder (never the machine's own CUPS), points ``CUPS_SERVER`` at it (``lp``, ``lpstat`` and Qt's CUPS support all
follow it), and adds a default queue whose backend, cups-pdf, writes every job as a PDF file. It needs root (the
cups-pdf backend runs as root, and so must the scheduler that starts it) and the Debian packages ``cups`` and
``printer-driver-cups-pdf`` (``make test`` installs them where it can: .ci/system-deps.sh --test); it installs
them itself when root and apt-get are there, and skips with the reason otherwise.

Import it in a test module: ``from cups_pdf import PdfQueue, cups_pdf_queue  # noqa: F401``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CUPSD = Path("/usr/sbin/cupsd")
BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
QUEUE = "TPI_TEST_PDF"
PACKAGES = ("cups", "printer-driver-cups-pdf")


def _installed() -> bool:
    return CUPSD.exists() and BACKEND.exists() and PPD.exists() and shutil.which("lp") is not None


def _install() -> str | None:
    """Install the packages (root with apt-get); None when done, else why not."""
    if shutil.which("apt-get") is None:
        return "no apt-get to install cups and printer-driver-cups-pdf"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
                    ["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
        if command[1] == "install" and done.returncode == 0 and _installed():
            return None
    return f"apt-get could not install {' '.join(PACKAGES)}"


def _output_folder() -> Path:
    """Where cups-pdf writes root's jobs: its ``Out`` setting with ${HOME} and ${USER} filled in."""
    out = "/var/spool/cups-pdf/${USER}"
    conf = Path("/etc/cups/cups-pdf.conf")
    if conf.exists():
        for line in conf.read_text(encoding="utf-8", errors="replace").splitlines():
            found = re.match(r"\s*Out\s+(\S+)", line)
            if found:
                out = found.group(1)
    root = pwd.getpwuid(0)
    return Path(out.replace("${HOME}", root.pw_dir).replace("${USER}", root.pw_name))


@dataclass
class PdfQueue:
    """The queue's name, the CUPS socket, and the PDFs its jobs produced (removed afterwards)."""

    name: str
    server: str
    out: Path
    made: list[Path] = field(default_factory=list)

    def existing(self) -> dict[Path, float]:
        return {p: p.stat().st_mtime for p in self.out.glob("*.pdf")} if self.out.is_dir() else {}

    def produced(self, before: dict[Path, float]) -> list[Path]:
        """PDFs written since ``before`` (cups-pdf writes to a temporary name, then renames: whole files only)."""
        return sorted(p for p, mtime in self.existing().items() if before.get(p) != mtime)

    def wait_for(self, wait_until: Callable[..., None], before: dict[Path, float], count: int = 1) -> list[Path]:
        """Wait (``qtbot.waitUntil``) until ``count`` new PDFs are there and every job has finished."""

        def done() -> bool:
            jobs = subprocess.run(["lpstat", "-o", self.name], capture_output=True, text=True, check=False).stdout
            return len(self.produced(before)) >= count and not jobs.strip()

        wait_until(done, timeout=90_000)
        found = self.produced(before)
        self.made.extend(found)
        return found


def _conf(folder: Path) -> tuple[Path, Path, str]:
    socket = folder / "cups.sock"
    for name in ("spool", "cache", "state", "log", "tmp", "etc/ppd"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    os.chmod(folder / "tmp", 0o1777)  # the filters run as lp and copy the job here
    cupsd_conf = folder / "etc" / "cupsd.conf"
    cupsd_conf.write_text(f"""Listen {socket}
LogLevel warn
WebInterface No
Browsing No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order allow,deny
    Allow all
  </Limit>
</Policy>
""", encoding="utf-8")
    files_conf = folder / "etc" / "cups-files.conf"
    files_conf.write_text(f"""ServerRoot {folder}/etc
RequestRoot {folder}/spool
CacheDir {folder}/cache
StateDir {folder}/state
TempDir {folder}/tmp
AccessLog {folder}/log/access_log
ErrorLog {folder}/log/error_log
PageLog {folder}/log/page_log
Sandboxing Relaxed
FileDevice No
""", encoding="utf-8")
    return cupsd_conf, files_conf, str(socket)


def _pid_of(conf: Path) -> int | None:
    """The scheduler started with ``conf`` (cupsd daemonises; its pid is found by its command line)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if str(conf).encode() in (entry / "cmdline").read_bytes():
                return int(entry.name)
        except OSError:
            continue
    return None


@pytest.fixture
def cups_pdf_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[PdfQueue]:
    if os.geteuid() != 0:
        pytest.skip("printing to CUPS-PDF needs root: the cups-pdf backend runs as root, so its scheduler must")
    if not _installed():
        why = _install()
        if why is not None:
            pytest.skip(why)
    folder = Path(tempfile.mkdtemp(prefix="tpi-cups-"))
    os.chmod(folder, 0o755)  # the filters (user lp) reach TempDir through it
    cupsd_conf, files_conf, socket = _conf(folder)
    pid = None
    try:
        # Without -f, cupsd returns once the scheduler is ready (its parent waits for the child's signal).
        subprocess.run([str(CUPSD), "-c", str(cupsd_conf), "-s", str(files_conf)], check=True, timeout=60,
                       capture_output=True)
        pid = _pid_of(cupsd_conf)
        monkeypatch.setenv("CUPS_SERVER", socket)
        for command in (["lpadmin", "-p", QUEUE, "-v", "cups-pdf:/", "-P", str(PPD), "-E"], ["lpadmin", "-d", QUEUE]):
            subprocess.run(command, check=True, timeout=60, capture_output=True)
        queue = PdfQueue(QUEUE, socket, _output_folder())
        yield queue
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):  # until it has written its state and gone
                subprocess.run(["tail", "--pid", str(pid), "-f", "/dev/null"], timeout=30, check=False)
        for made in locals().get("queue", PdfQueue("", "", Path())).made:
            made.unlink(missing_ok=True)  # made-up patients, but patient-shaped: not left lying around
        shutil.rmtree(folder, ignore_errors=True)
