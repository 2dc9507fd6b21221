"""Every misuse of the command line is one clear line on stderr and exit 2 (product.md §7), never "unexpected
error", never a traceback, and nothing is written. Run through the real entry point, in process and as a
subprocess the way a user types it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tpi_notes.cli import main

ROOT = Path(__file__).resolve().parents[1]
HUGE = str(2**64)

# (id, argv); {db} an existing demo clinic, {out} a writable target, {dir} a folder, {missing} a missing folder,
# {ro} a read-only location, {new} a database that does not exist yet, {anchor} a file that is not an anchor
MISUSES: list[tuple[str, list[str]]] = [
    ("unknown command", ["frobnicate"]),
    ("unknown option", ["--bogus"]),
    ("--db without its value", ["--db"]),
    ("note without arguments", ["note"]),
    ("note without -o", ["note", "--db", "{db}", "1"]),
    ("note with an extra argument", ["note", "--db", "{db}", "1", "2", "-o", "{out}"]),
    ("note with an option it does not have", ["note", "--db", "{db}", "1", "-o", "{out}", "--lang", "en"]),
    ("session id not a number", ["note", "--db", "{db}", "abc", "-o", "{out}"]),
    ("session id negative", ["note", "--db", "{db}", "-5", "-o", "{out}"]),
    ("session id zero", ["note", "--db", "{db}", "0", "-o", "{out}"]),
    ("session id huge", ["note", "--db", "{db}", HUGE, "-o", "{out}"]),
    ("session id just over 2**63", ["aftercare", "--db", "{db}", str(2**63), "-o", "{out}"]),
    ("session id a fraction", ["note", "--db", "{db}", "1.5", "-o", "{out}"]),
    ("session id empty", ["note", "--db", "{db}", "", "-o", "{out}"]),
    ("session id with underscores", ["note", "--db", "{db}", "1_0", "-o", "{out}"]),
    ("session id in other digits", ["note", "--db", "{db}", "\u0663", "-o", "{out}"]),
    ("aftercare in an unknown language", ["aftercare", "--db", "{db}", "1", "-o", "{out}", "--lang", "fr"]),
    ("aftercare language empty", ["aftercare", "--db", "{db}", "1", "-o", "{out}", "--lang", ""]),
    ("note into a missing folder", ["note", "--db", "{db}", "1", "-o", "{missing}/x.pdf"]),
    ("note into a folder", ["note", "--db", "{db}", "1", "-o", "{dir}"]),
    ("note into a read-only place", ["note", "--db", "{db}", "1", "-o", "{ro}/x.pdf"]),
    ("note output empty", ["note", "--db", "{db}", "1", "-o", ""]),
    ("note output name too long", ["note", "--db", "{db}", "1", "-o", "{dir}/" + "n" * 300 + ".pdf"]),
    ("--db name too long", ["verify", "--db", "{dir}/" + "d" * 300 + ".sqlite"]),
    ("--db name too long for demo", ["demo", "--db", "{dir}/" + "d" * 300 + ".sqlite"]),
    ("--db path too long", ["backup", "--db", "{dir}/" + "/".join(["p" * 200] * 25) + ".sqlite", "-o", "{dir}/b"]),
    ("export in an unknown format", ["export", "--db", "{db}", "--format", "xml", "-o", "{out}"]),
    ("export format empty", ["export", "--db", "{db}", "--format", "", "-o", "{out}"]),
    ("export without a format", ["export", "--db", "{db}", "-o", "{out}"]),
    ("export month 13 day 40", ["export", "--db", "{db}", "--format", "csv", "--from", "2026-13-40", "-o", "{out}"]),
    ("export 30 February", ["export", "--db", "{db}", "--format", "csv", "--to", "2026-02-30", "-o", "{out}"]),
    ("export date in words", ["export", "--db", "{db}", "--format", "csv", "--to", "yesterday", "-o", "{out}"]),
    ("export date empty", ["export", "--db", "{db}", "--format", "jsonl", "--from", "", "-o", "{out}"]),
    ("export from after to", ["export", "--db", "{db}", "--format", "csv", "--from", "2026-05-01",
                              "--to", "2026-04-01", "-o", "{out}"]),
    ("export into a missing folder", ["export", "--db", "{db}", "--format", "csv", "-o", "{missing}/x.csv"]),
    ("export into a folder", ["export", "--db", "{db}", "--format", "fhir", "-o", "{dir}"]),
    ("export into a read-only place", ["export", "--db", "{db}", "--format", "csv", "-o", "{ro}/x.csv"]),
    ("export output empty", ["export", "--db", "{db}", "--format", "csv", "-o", ""]),
    ("export onto a pipe", ["export", "--db", "{db}", "--format", "csv", "-o", "{fifo}"]),
    ("note onto a pipe", ["note", "--db", "{db}", "1", "-o", "{fifo}"]),
    ("export from the year 1", ["export", "--db", "{db}", "--format", "csv", "--from", "0001-01-01", "-o", "{out}"]),
    ("export to the last day of 9999", ["export", "--db", "{db}", "--format", "csv", "--to", "9999-12-31",
                                        "-o", "{out}"]),
    ("backup into a folder", ["backup", "--db", "{db}", "-o", "{dir}"]),
    ("backup into a missing folder", ["backup", "--db", "{db}", "-o", "{missing}/x.sqlite"]),
    ("backup without -o", ["backup", "--db", "{db}"]),
    ("anchor into a missing folder", ["anchor", "--db", "{db}", "-o", "{missing}/a.json"]),
    ("anchor into a folder", ["anchor", "--db", "{db}", "-o", "{dir}"]),
    ("anchor without -o", ["anchor", "--db", "{db}"]),
    ("verify without --db", ["verify"]),
    ("verify with an empty --db", ["verify", "--db", ""]),
    ("verify with an unknown kind of database", ["verify", "--db", "nosuchdb://host/clinic"]),
    ("verify with a URL whose port is not a number", ["verify", "--db", "postgresql+psycopg://u@host:port/db"]),
    ("verify with a URL that is only a scheme", ["verify", "--db", "://"]),
    ("verify with an anchor that is missing", ["verify", "--db", "{db}", "--anchor", "{missing}/a.json"]),
    ("verify with an anchor that is a folder", ["verify", "--db", "{db}", "--anchor", "{dir}"]),
    ("verify with an anchor that is not one", ["verify", "--db", "{db}", "--anchor", "{anchor}"]),
    ("note with an empty --db", ["note", "--db", "", "1", "-o", "{out}"]),
    ("export with an unknown kind of database", ["export", "--db", "oracle+nothing://x/y", "--format", "csv",
                                                 "-o", "{out}"]),
    ("demo without --db", ["demo"]),
    ("demo with an empty --db", ["demo", "--db", ""]),
    ("demo patients not a number", ["demo", "--db", "{new}", "--patients", "many"]),
    ("demo patients negative", ["demo", "--db", "{new}", "--patients", "-3"]),
    ("demo patients too few", ["demo", "--db", "{new}", "--patients", "2"]),
    ("demo patients absurd", ["demo", "--db", "{new}", "--patients", str(10**12)]),
    ("demo sessions in exponent form", ["demo", "--db", "{new}", "--sessions", "1e3"]),
    ("demo sessions absurd", ["demo", "--db", "{new}", "--sessions", str(10**12)]),
    ("demo sessions too many for the patients", ["demo", "--db", "{new}", "--patients", "3", "--sessions",
                                                 "100000"]),
    ("demo seed not a number", ["demo", "--db", "{new}", "--seed", "x"]),
    ("demo seed out of range", ["demo", "--db", "{new}", "--seed", str(2**80)]),
    ("demo into a missing folder", ["demo", "--db", "{missing}/demo.sqlite"]),
    ("check-printout without text", ["check-printout", "--db", "{db}"]),
    ("upgrade with an extra argument", ["upgrade", "--db", "{db}", "now"]),
    ("assess without a file", ["assess"]),
    ("assess a missing file", ["assess", "{missing}/export.jsonl"]),
    ("assess a folder", ["assess", "{dir}"]),
    ("assess the clinic's database itself", ["assess", "--db", "{db}", "{db}"]),
    ("assess --as-of not a date", ["assess", "--as-of", "2024-02-30", "{anchor}"]),
    ("assess --as-of before the first rules", ["assess", "--as-of", "1999-12-31", "{anchor}"]),
]

IN_PROCESS_ONLY: list[tuple[str, list[str]]] = [  # a terminal cannot pass a NUL byte, a program can
    ("output with a NUL byte", ["note", "--db", "{db}", "1", "-o", "{dir}/a\0b.pdf"]),
    ("--db with a NUL byte", ["verify", "--db", "{dir}/a\0b.sqlite"]),
]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo clinic, built once through the command line itself."""
    root = tmp_path_factory.mktemp("misuse")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TPI_NOTES_DATA_DIR", str(root / "userdata"))  # a crash log would land here, never in $HOME
        assert main(["demo", "--db", str(root / "clinic.sqlite"), "--patients", "5", "--sessions", "10"]) == 0
    (root / "not-an-anchor.json").write_text("{}", encoding="utf-8")
    return root / "clinic.sqlite"


@pytest.fixture
def places(clinic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("TPI_NOTES_DATA_DIR", str(tmp_path / "userdata"))
    (tmp_path / "out").mkdir()
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    ro = str(readonly) if os.geteuid() != 0 else "/proc/self"  # root writes anywhere but into /proc
    os.mkfifo(tmp_path / "pipe")  # like /dev/null: a rename over it would replace it with a plain file
    yield {"db": str(clinic), "out": str(tmp_path / "out" / "x.out"), "dir": str(tmp_path / "out"),
           "missing": str(tmp_path / "no-such-folder"), "ro": ro, "new": str(tmp_path / "out" / "new.sqlite"),
           "anchor": str(clinic.parent / "not-an-anchor.json"), "fifo": str(tmp_path / "pipe")}
    readonly.chmod(0o755)


def _argv(template: list[str], places: dict[str, str]) -> list[str]:
    return [arg.format(**places) if "{" in arg else arg for arg in template]


def _check(code: object, stderr: str, places: dict[str, str]) -> None:
    lines = stderr.splitlines()
    assert code == 2, stderr
    assert len(lines) == 1 and lines[0].strip() and stderr.endswith("\n"), stderr
    assert lines[0].startswith("tpi-notes: ")
    assert "unexpected error" not in stderr and "Traceback" not in stderr
    assert sorted(os.listdir(places["dir"])) == []  # nothing written, no .partial left
    assert not Path(places["missing"]).exists()
    assert not list((Path(places["dir"]).parent / "userdata").glob("**/crash-*.txt"))  # no crash report
    assert stat.S_ISFIFO(os.stat(places["fifo"]).st_mode)


@pytest.mark.parametrize(("label", "template"), MISUSES + IN_PROCESS_ONLY, ids=[m[0] for m in MISUSES + IN_PROCESS_ONLY])
def test_misuse_in_process(places: dict[str, str], capsys: pytest.CaptureFixture[str], label: str,
                           template: list[str]) -> None:
    try:
        code: object = main(_argv(template, places))
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    assert captured.out == ""
    _check(code, captured.err, places)


@pytest.mark.parametrize("label", ["unknown command", "session id huge", "export month 13 day 40",
                                   "assess the clinic's database itself",
                                   "export into a missing folder", "note into a read-only place",
                                   "verify with an unknown kind of database", "demo patients absurd"])
def test_misuse_as_typed_in_a_terminal(places: dict[str, str], label: str) -> None:
    template = dict(MISUSES)[label]
    env = dict(os.environ)  # TPI_NOTES_DATA_DIR: a temporary folder (places)
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), *_argv(template, places)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout == ""
    _check(result.returncode, result.stderr, places)


def test_there_are_enough_misuses() -> None:
    assert len(MISUSES) + len(IN_PROCESS_ONLY) >= 40


def test_a_failure_of_a_valid_command_stays_exit_1(places: dict[str, str],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["note", "--db", places["db"], "9999", "-o", places["out"]]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Session 9999 does not exist" in err and "unexpected" not in err


def test_a_server_that_refuses_is_one_line_and_exit_1(places: dict[str, str],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A valid URL whose server is not there is a failure, not a misuse; the driver's two-line message is one."""
    assert main(["verify", "--db", "postgresql+psycopg://clinic@127.0.0.1:1/tpi"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tpi-notes: ") and "unexpected" not in err
