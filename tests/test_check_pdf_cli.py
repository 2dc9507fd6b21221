"""`tpi-notes check-pdf` and `tpi-notes export-root` (issue 14 item 2): a note written by `tpi-notes note` checks
out against the clinic root (from the database, or from the exported root without it); a changed byte, a foreign
root or a PDF without a signature exit 1; misuse exits 2 before anything is opened."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_pades import _admin, _as_doctor, _signed
from test_report_support import setup_clinic

from tpi_notes.cli import main
from tpi_notes.domain import clinic_certificates as certs
from tpi_notes.domain import signature_keys as keys
from tpi_notes.services import login
from tpi_notes.services.context import AppContext


@pytest.fixture
def note(ctx: AppContext, db_path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A session signed under the clinic root, its note written by `tpi-notes note`; (db, note.pdf)."""
    doctor = setup_clinic(ctx)
    _admin(ctx)
    login.login(ctx, "lgrant", "Lantern-orchard-93-quill")
    _as_doctor(ctx, doctor)
    sid = _signed(ctx, doctor, "P-1")
    out = tmp_path / "note.pdf"
    assert main(["note", "--db", str(db_path), str(sid), "-o", str(out)]) == 0
    return db_path, out


def test_a_note_checks_out_against_the_clinics_root(note: tuple[Path, Path],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db, pdf = note
    capsys.readouterr()
    assert main(["check-pdf", "--db", str(db), str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "Signature 1 of 1: Amelia Hart, MD (Harbor & Pines Pain Clinic), signed " in out
    assert "intact, and its certificate is issued by the clinic root" in out


def test_one_changed_byte_exits_1_as_changed(note: tuple[Path, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    db, pdf = note
    data = bytearray(pdf.read_bytes())
    data[len(data) // 3] ^= 0x01
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["check-pdf", "--db", str(db), str(changed)]) == 1
    captured = capsys.readouterr()
    assert "CHANGED" in captured.out and "does not check out" in captured.err


def test_the_exported_root_checks_it_without_the_database_and_another_root_does_not(
        note: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, pdf = note
    root = tmp_path / "root.pem"
    assert main(["export-root", "--db", str(db), "-o", str(root)]) == 0
    assert root.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert main(["check-pdf", "--root", str(root), str(pdf)]) == 0
    other = tmp_path / "other.pem"
    other.write_bytes(certs.to_pem(certs.make_root(keys.Ed25519PrivateKey.generate(), "Harbor & Pines Pain Clinic")))
    capsys.readouterr()
    assert main(["check-pdf", "--root", str(other), str(pdf)]) == 1
    assert "NOT TRUSTED" in capsys.readouterr().out


def test_a_pdf_without_a_signature_exits_1(note: tuple[Path, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    db, _pdf = note
    plain = tmp_path / "plain.pdf"
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(plain))
    page.drawString(72, 720, "Procedure note")
    page.save()
    capsys.readouterr()
    assert main(["check-pdf", "--db", str(db), str(plain)]) == 1
    assert "no PDF signature" in capsys.readouterr().out
    text = tmp_path / "note.txt"
    text.write_text("not a PDF")
    assert main(["check-pdf", "--db", str(db), str(text)]) == 1
    assert "cannot check" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["check-pdf", "missing.pdf"],
    ["check-pdf", "--root", "missing.pem", "{pdf}"],
    ["check-pdf", "--root", "{pdf}", "--db", "{db}", "{pdf}"],
    ["check-pdf", "{dir}"],
    ["check-pdf"],
])
def test_misuse_exits_2_before_anything_is_opened(argv: list[str], note: tuple[Path, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db, pdf = note
    args = [a.format(pdf=pdf, db=db, dir=tmp_path) for a in argv]
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("tpi-notes: ") and err.count("\n") == 1
