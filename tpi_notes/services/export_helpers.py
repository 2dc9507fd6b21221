"""Helper processes for large CSV and JSON Lines exports (product.md §11: 100,000 sessions in ≤ 10 s, 2 cores).

Every exported session is dosed and coded by the same domain rules as its note, about 40 µs of Python per
session on top of reading and formatting it, so one process cannot export 100,000 sessions in 10 s. The
exporting process streams the ordered ids and writes the file; each helper takes batches of ids (round robin),
reads those sessions over its own read-only database connection, and sends back the batch's bytes. Batches are
written in order and at most two per helper are in flight, so memory stays flat.

A helper is a plain ``python -m tpi_notes.services.export_helpers`` child speaking length-prefixed pickles over
its stdin/stdout: unlike multiprocessing it never re-runs the parent's main script and never forks a Qt
process. A frozen build (no Python to start) exports in one process. FHIR always does (each Patient and
Practitioner is written once per export, which needs one writer).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Iterator
from datetime import tzinfo
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from tpi_notes.domain.errors import TpiError

_FRAME = struct.Struct(">I")
_END = object()


def _send(fh: BinaryIO, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    fh.write(_FRAME.pack(len(data)) + data)
    fh.flush()


def _receive(fh: BinaryIO) -> Any:
    """The next message, or ``_END`` when the other side has closed the pipe."""
    head = fh.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return _END
    (size,) = _FRAME.unpack(head)
    data = fh.read(size)
    return _END if len(data) < size else pickle.loads(data)  # noqa: S301 - our own child process


def available() -> bool:
    """Helpers need a Python interpreter to start; a frozen app bundle has none."""
    return not getattr(sys, "frozen", False) and bool(sys.executable)


class _Helper:
    """One helper process and its pipes; its stderr goes to a temporary file for the error message."""

    def __init__(self, config: dict[str, Any]) -> None:
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close(), outlives this method
        self.proc = subprocess.Popen([sys.executable, "-m", "tpi_notes.services.export_helpers"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, env=env)
        self.send(config)

    def send(self, message: object) -> None:
        assert self.proc.stdin is not None
        try:
            _send(self.proc.stdin, message)
        except OSError:
            self.fail("it stopped")

    def receive(self) -> tuple[int, bytes]:
        assert self.proc.stdout is not None
        reply = _receive(self.proc.stdout)
        if reply is _END:
            self.fail("it stopped")
        if reply[0] == "error":
            self.fail(reply[1])
        return reply[1], reply[2]

    def fail(self, why: str) -> NoReturn:
        self.proc.poll()
        self.errors.seek(0)
        lines = [line for line in self.errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
        detail = f" ({lines[-1].strip()})" if lines and why == "it stopped" else ""
        raise TpiError(f"The export could not finish: a helper process failed: {why}{detail}.")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                _send(self.proc.stdin, None)
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.errors.close()


def encoded_batches(url: str, fmt: str, zone: tzinfo | None, id_batches: Iterator[list[int]],
                    helpers: int) -> Iterator[tuple[int, bytes]]:
    """(sessions found, bytes) for each batch of ``id_batches``, in order, encoded by ``helpers`` processes."""
    from tpi_notes.db import encryption
    from tpi_notes.db.engine import sqlite_path

    path = sqlite_path(url)  # an encrypted clinic's key goes over the pipe, never into the helper's environment
    key = encryption.given_key(path) if path is not None and encryption.known_encrypted(path) else None
    config = {"url": url, "fmt": fmt, "zone": zone, "db_key": key}
    started: list[_Helper] = []
    try:
        started = [_Helper(config) for _ in range(helpers)]
        in_flight: deque[_Helper] = deque()
        for number, ids in enumerate(id_batches):
            helper = started[number % helpers]
            helper.send(ids)
            in_flight.append(helper)
            if len(in_flight) >= 2 * helpers:
                yield in_flight.popleft().receive()
        while in_flight:
            yield in_flight.popleft().receive()
    finally:
        for helper in started:
            helper.close()


class _Encoder:
    """The helper side: its own engine, the formulary, the users and the payer profile, read once."""

    def __init__(self, url: str, fmt: str, zone: tzinfo | None) -> None:
        from tpi_notes.db.engine import make_engine, make_session_factory
        from tpi_notes.db.repositories import export_rows, reference
        from tpi_notes.domain.export_csv import CsvWriter
        from tpi_notes.domain.export_jsonl import JsonLinesWriter

        self.factory = make_session_factory(make_engine(url))
        with self.factory() as s:
            self.formulary = {item.code: item for item in reference.list_items(s, include_retired=True)}
            self.payer_profile = reference.settings(s).estim_payer_profile
            self.found = export_rows.lookups(s)
            s.rollback()  # read only: nothing this process does is ever committed
        self.writer = CsvWriter() if fmt == "csv" else JsonLinesWriter(zone)

    def encode(self, ids: list[int]) -> tuple[int, bytes]:
        from tpi_notes.db.repositories import export_rows
        from tpi_notes.domain.export_records import export_record

        with self.factory() as s:
            sessions = export_rows.load(s, ids, self.found)
            s.rollback()
        records = [export_record(x, self.formulary, self.payer_profile) for x in sessions]
        return len(sessions), self.writer.rows(records)


def main() -> int:
    """A helper process: a config message, then batches of ids until an empty message or end of input."""
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never corrupt the replies
    config = _receive(inp)
    if config is _END:
        return 0
    try:
        if config.get("db_key"):
            from tpi_notes.db import encryption

            encryption.use_passphrase(config["db_key"])
        encoder = _Encoder(config["url"], config["fmt"], config["zone"])
        while True:
            ids = _receive(inp)
            if ids is _END or ids is None:
                return 0
            found, data = encoder.encode(ids)
            _send(out, ("ok", found, data))
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - reported to the exporting process, which raises it
        with contextlib.suppress(OSError):
            _send(out, ("error", f"{type(exc).__name__}: {exc}"))
        return 1


if __name__ == "__main__":
    sys.exit(main())
