"""One database per clinic (issue 18 item 4): every login on a computer opens the clinic chosen at the first
start (stored machine-wide), --db and TPI_NOTES_DB still override it, and an SQLite file on a network file
system is refused with a pointer to PostgreSQL."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from principals import ALL_PERMISSIONS  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QDialogButtonBox  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from tpi_notes import cli, clinic_location  # noqa: E402
from tpi_notes.db.engine import resolve_database_url, sqlite_path  # noqa: E402
from tpi_notes.domain.errors import DatabaseOpenError  # noqa: E402
from tpi_notes.domain.patient import History, PatientInput  # noqa: E402
from tpi_notes.services import patients  # noqa: E402
from tpi_notes.services.context import open_clinic  # noqa: E402

PATIENT = PatientInput(mrn="MRN-77", family_name="Shared", given_name="Clinic", birth_date=date(1970, 1, 2),
                       sex="female", history=History.of(allergies="no", pregnant="no", breastfeeding="no"))


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A computer's machine-wide folders (config and data) in a temporary folder."""
    monkeypatch.setenv(clinic_location.ENV_SITE_CONFIG, str(tmp_path / "etc"))
    monkeypatch.setenv(clinic_location.ENV_SITE_DATA, str(tmp_path / "share"))
    return tmp_path


def _login(monkeypatch: pytest.MonkeyPatch, machine: Path, name: str) -> None:
    """Another operating-system user on the same computer: their own data folder."""
    monkeypatch.setenv("TPI_NOTES_DATA_DIR", str(machine / "home" / name))


def test_two_logins_open_the_same_clinic_by_default(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _login(monkeypatch, machine, "nurse")
    first = sqlite_path(resolve_database_url(None))
    assert first == machine / "share" / "tpi-notes.sqlite"  # the machine-wide data folder, not the user's
    ctx = open_clinic(None, principal=ALL_PERMISSIONS)
    try:
        patients.create_patient(ctx, PATIENT)
    finally:
        ctx.close()

    _login(monkeypatch, machine, "doctor")
    assert sqlite_path(resolve_database_url(None)) == first
    ctx = open_clinic(None, principal=ALL_PERMISSIONS)
    try:
        assert [p.mrn for p in patients.search_patients(ctx, "Shared")] == ["MRN-77"]
    finally:
        ctx.close()


def test_the_choice_made_at_the_first_start_is_every_logins(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _login(monkeypatch, machine, "nurse")
    chosen = machine / "clinic-data" / "tpi-notes.sqlite"
    assert clinic_location.save_choice(chosen) is None  # stored machine-wide, nothing to say
    stored = json.loads((machine / "etc" / clinic_location.CONFIG_FILE).read_text())
    assert stored["database"] == str(chosen)
    assert (machine / "etc" / clinic_location.CONFIG_FILE).stat().st_mode & 0o044  # every login reads it
    _login(monkeypatch, machine, "doctor")
    assert sqlite_path(resolve_database_url(None)) == chosen
    other = machine / "elsewhere.sqlite"
    assert sqlite_path(resolve_database_url(str(other))) == other  # --db still wins
    monkeypatch.setenv("TPI_NOTES_DB", str(other))
    assert sqlite_path(resolve_database_url(None)) == other  # and TPI_NOTES_DB


def test_without_the_machine_wide_folders_the_user_is_told(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = machine / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(clinic_location.ENV_SITE_DATA, str(blocker / "share"))
    monkeypatch.setenv(clinic_location.ENV_SITE_CONFIG, str(blocker / "etc"))
    _login(monkeypatch, machine, "nurse")
    proposal = clinic_location.proposed_database()
    assert proposal.database == machine / "home" / "nurse" / "tpi-notes.sqlite"
    assert proposal.note and "other logins on this computer would not see it" in proposal.note
    message = clinic_location.save_choice(proposal.database)
    assert message and "saved for you only" in message
    assert clinic_location.configured_database() == proposal.database


MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:35 / /mnt/clinic rw,relatime shared:20 - nfs4 server:/export/clinic rw,vers=4.2
41 22 0:36 / /mnt/clinic/local rw shared:21 - ext4 /dev/sdb1 rw
42 22 0:37 / /media/front\\040desk rw shared:22 - cifs //nas/front rw
43 22 0:38 / /home/me/remote rw shared:23 - fuse.sshfs me@host:/srv rw
"""


@pytest.mark.parametrize(("path", "kind", "refused"), [
    ("/mnt/clinic/tpi-notes.sqlite", "nfs4", True),
    ("/mnt/clinic/local/tpi-notes.sqlite", "ext4", False),  # a local disk mounted inside the share
    ("/media/front desk/x.sqlite", "cifs", True),
    ("/home/me/remote/x.sqlite", "fuse.sshfs", True),
    ("/var/lib/tpi-notes/x.sqlite", "ext4", False),
])
def test_the_file_system_of_a_path_is_read_from_mountinfo(path: str, kind: str, refused: bool) -> None:
    assert clinic_location.mount_fs_type(Path(path), MOUNTINFO) == kind
    assert (clinic_location.network_problem(Path(path), kind) is not None) is refused


def test_unc_and_mapped_network_drives_are_refused() -> None:
    assert "network share" in clinic_location.network_problem(Path("//server/clinic/tpi-notes.sqlite"))
    assert "mapped network drive" in clinic_location.network_problem(Path("Z:/tpi-notes.sqlite"), "remote")


def test_a_database_on_a_network_file_system_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(clinic_location, "filesystem_type", lambda _path: "cifs")
    target = tmp_path / "share" / "clinic.sqlite"
    target.parent.mkdir()
    with pytest.raises(SystemExit) as refused:  # said before anything is opened, like every bad --db
        cli.main(["demo", "--db", str(target), "--patients", "3", "--sessions", "3"])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "network file system (cifs)" in err and "PostgreSQL" in err
    assert list(target.parent.iterdir()) == []  # nothing created
    with pytest.raises(DatabaseOpenError, match="PostgreSQL"):
        resolve_database_url(f"sqlite:///{target}")
    with pytest.raises(DatabaseOpenError, match="PostgreSQL"):
        resolve_database_url(None)  # the default file too
    monkeypatch.setattr(clinic_location, "filesystem_type", lambda _path: "ext4")
    assert sqlite_path(resolve_database_url(str(target))) == target


def test_the_local_disk_is_not_taken_for_a_network_one(tmp_path: Path) -> None:
    assert clinic_location.network_problem(tmp_path / "clinic.sqlite") is None


def test_the_first_start_asks_and_stores_the_answer(qtbot: QtBot, machine: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tpi_notes.ui.clinic_location_dialog import ClinicLocationDialog

    _login(monkeypatch, machine, "nurse")
    dialog = ClinicLocationDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.folder.text() == str(machine / "share")  # the machine-wide folder is offered
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    monkeypatch.setattr(clinic_location, "filesystem_type", lambda _path: "nfs")
    dialog.folder.clear()
    qtbot.keyClicks(dialog.folder, str(machine / "nas"))
    assert not ok.isEnabled() and "PostgreSQL" in dialog.problem.text()
    monkeypatch.setattr(clinic_location, "filesystem_type", lambda _path: "ext4")
    dialog.folder.clear()
    qtbot.keyClicks(dialog.folder, str(machine / "clinic"))
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.database() == machine / "clinic" / "tpi-notes.sqlite"
