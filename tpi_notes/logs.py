"""Logs and crash reports (issue 18 item 3; no Qt, no database).

The log is a rotating file in the platform's log folder (``platformdirs.user_log_dir``; ``TPI_NOTES_LOG_DIR``
overrides it, and ``TPI_NOTES_DATA_DIR`` — tests, portable installs — puts it in ``DATA_DIR/logs``). It says what
was done and to which ids (a command and its exit code, an audit action with its entity id and user id), never a
name, an MRN or typed text: support may ask for it, and the diagnostics zip carries it.

A crash — an exception nobody caught, on the main thread (Qt slots included: PySide6 hands those to
``sys.excepthook``) or another thread, or a native fault (``faulthandler``) — becomes a crash report in the same
folder: the versions, the exception's type and the stack (files, lines, functions and code), but not the
exception's message nor any variable, since either may hold a patient's details (a database error quotes its
parameters). Listeners (the GUI's dialog, ui/crash_dialog.py) are told the report's path.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO

import platformdirs

from tpi_notes import atomic_output
from tpi_notes.paths import APP_AUTHOR, APP_NAME

LOG_FILE = "tpi-notes.log"
FAULT_FILE = "native-faults.log"  # faulthandler writes here; moved into a crash report at the next start
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"

log = logging.getLogger(__name__)

CrashListener = Callable[[Path | None, str], None]
_listeners: list[CrashListener] = []
_installed: dict[str, object] = {}


def log_dir() -> Path:
    override = os.environ.get("TPI_NOTES_LOG_DIR")
    if override:
        return Path(override)
    data = os.environ.get("TPI_NOTES_DATA_DIR")
    if data:  # a redirected data folder keeps everything of the app together (tests, portable installs)
        return Path(data) / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


class _OwnerOnlyRotatingHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file is created owner-only (0600), whatever the umask."""

    def _open(self) -> IO[str]:  # noqa: D401 - logging's hook
        atomic_output.create_private_file(self.baseFilename)
        return super()._open()


def start_logging() -> Path | None:
    """Log the app's INFO messages (and everyone's warnings) to the rotating file; once per process. Returns
    the log file, or None when the log folder cannot be written (the app still runs)."""
    if "handler" in _installed:
        return Path(_installed["handler"].baseFilename)  # type: ignore[attr-defined]
    try:
        folder = atomic_output.private_folder(log_dir())
        handler = _OwnerOnlyRotatingHandler(folder / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                            encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    logging.getLogger("tpi_notes").setLevel(logging.INFO)
    _installed["handler"] = handler
    return Path(handler.baseFilename)


def stop_logging() -> None:
    """Undo :func:`start_logging` and :func:`install_crash_handlers` (tests; the app keeps them to the end)."""
    handler = _installed.pop("handler", None)
    if isinstance(handler, logging.Handler):
        logging.getLogger().removeHandler(handler)
        handler.close()
    if "excepthook" in _installed:
        sys.excepthook = _installed.pop("excepthook")  # type: ignore[assignment]
    if "threading_excepthook" in _installed:
        threading.excepthook = _installed.pop("threading_excepthook")  # type: ignore[assignment]
    fault = _installed.pop("fault_file", None)
    if fault is not None:
        faulthandler.disable()
        fault.close()  # type: ignore[attr-defined]
    _listeners.clear()


def crash_handlers_installed() -> bool:
    return "excepthook" in _installed


def add_crash_listener(listener: CrashListener) -> None:
    """``listener(report_path_or_None, report_text)`` is called after each crash report is written."""
    _listeners.append(listener)


def crash_report_text(exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None,
                      where: str) -> str:
    """The report: when, where, the versions, and the stack without the exception's message (nor any
    variable): the type says what went wrong, the frames where; the message may quote a patient."""
    from tpi_notes.versions import version_report

    lines = [f"tpi-notes crash report, {datetime.now().isoformat(timespec='seconds')}, process {os.getpid()}",
             f"Where: {where}", "", version_report(), "",
             "Traceback (most recent call last; the exception's message is left out: it may hold patient data):"]
    lines += [line.rstrip("\n") for line in traceback.format_list(traceback.extract_tb(tb))]
    chain = exc.__cause__ or exc.__context__ if exc is not None else None
    lines.append(f"{_qualified(exc_type)}" + (f" (while handling {_qualified(type(chain))})" if chain else ""))
    return "\n".join(lines) + "\n"


def _qualified(kind: type[BaseException]) -> str:
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def write_crash_report(text: str, suffix: str = "") -> Path | None:
    """``text`` written owner-only as ``crash-YYYYMMDD-HHMMSS-PID[suffix].txt`` in the log folder; None when
    the folder cannot be written."""
    try:
        folder = atomic_output.private_folder(log_dir())
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"crash-{stamp}-{os.getpid()}{suffix}.txt"
        n = 1
        while path.exists():
            n += 1
            path = folder / f"crash-{stamp}-{os.getpid()}{suffix}-{n}.txt"
        atomic_output.write_bytes(path, text.encode("utf-8"))
        return path
    except OSError:
        return None


def report_crash(exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None,
                 where: str) -> Path | None:
    """Write the crash report, log one line about it and tell the listeners; the report's path (or None)."""
    text = crash_report_text(exc_type, exc, tb, where)
    path = write_crash_report(text)
    frames = traceback.extract_tb(tb)
    at = f"{Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name}" if frames else "unknown"
    log.error("Unhandled %s in %s at %s; crash report %s", _qualified(exc_type), where, at,
              path.name if path else "not written (log folder not writable)")
    for listener in list(_listeners):
        try:
            listener(path, text)
        except Exception:  # noqa: BLE001 - a broken listener must not hide the crash or loop
            log.exception("The crash listener %r failed", listener)
    return path


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    if getattr(exc, "shown_elsewhere", False):  # AccessChanged: the screen lock has already told the user
        log.info("An action was refused after the user's access changed (%s)", _qualified(exc_type))
        return
    report_crash(exc_type, exc, tb, "main thread")
    sys.__excepthook__(exc_type, exc, tb)  # the terminal (when there is one) still sees it


def _threading_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "unknown"
    report_crash(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")
    threading.__excepthook__(args)


def install_crash_handlers(native: bool = True) -> None:
    """``sys.excepthook``, ``threading.excepthook`` and (``native``) ``faulthandler`` into the log folder.
    A fault file left by an earlier run that died natively is first turned into a crash report."""
    if "excepthook" not in _installed:
        _installed["excepthook"] = sys.excepthook
        sys.excepthook = _excepthook
        _installed["threading_excepthook"] = threading.excepthook
        threading.excepthook = _threading_excepthook
    if native and "fault_file" not in _installed:
        try:
            folder = atomic_output.private_folder(log_dir())
            collect_native_faults(folder)
            atomic_output.create_private_file(folder / FAULT_FILE)
            fault = open(folder / FAULT_FILE, "a", encoding="utf-8")  # noqa: SIM115 - open while the app runs
        except OSError:
            return
        faulthandler.enable(file=fault, all_threads=True)
        _installed["fault_file"] = fault


def collect_native_faults(folder: Path) -> Path | None:
    """What faulthandler wrote when an earlier run died (a segmentation fault, an abort in Qt) becomes a crash
    report, and the fault file is emptied; the report's path, or None when there was nothing."""
    fault = folder / FAULT_FILE
    try:
        text = fault.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not text.strip():
        return None
    from tpi_notes.versions import version_report

    path = write_crash_report(f"tpi-notes crash report: an earlier run stopped on a native fault\n\n"
                              f"{version_report()}\n\n{text}", "-native")
    if path is not None:
        fault.write_text("", encoding="utf-8")
        log.error("An earlier run stopped on a native fault; crash report %s", path.name)
    return path
