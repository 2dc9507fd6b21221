"""An anchor kept outside the database catches what the hash chain alone cannot: a cut-back or rewritten trail.

Attacks are made as someone with a SQL shell would: drop the append-only triggers, edit, put the triggers back
(so that plain `verify` has nothing to say about missing locks either).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS, holding
from pytestqt.qtbot import QtBot

from tpi_notes.domain.audit import GENESIS_HASH, AuditEntry, chain_hash
from tpi_notes.domain.audit_anchor import Anchor, AnchorFormatError, ChainHead, read_anchor
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.permissions import PermissionDenied, Principal
from tpi_notes.services import integrity
from tpi_notes.services.backup import backup_to
from tpi_notes.services.context import AppContext, open_clinic, os_user
from tpi_notes.services.demo import build_demo
from tpi_notes.services.sessions import get_session

ROOT = Path(__file__).resolve().parents[1]
TRIGGERS = ("trg_audit_event_update_locked", "trg_audit_event_delete_locked")
HASH = "ab" * 32


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=300)


@pytest.fixture
def clinic(ctx: AppContext) -> AppContext:
    build_demo(ctx, patients=6, sessions=20, seed=5)
    _views(ctx, 1, 2, 3, 4)
    return ctx


def _views(ctx: AppContext, *session_ids: int) -> None:
    for sid in session_ids:
        get_session(ctx, sid)  # one audited view each


def _rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, args).fetchall()


def _last_event(db: Path) -> int:
    return _rows(db, "SELECT max(id) FROM audit_event")[0][0] or 0


def _tamper(db: Path, edit) -> None:  # type: ignore[no-untyped-def]
    """Drop the append-only triggers, run ``edit(conn)``, put the triggers back as they were."""
    with closing(sqlite3.connect(db)) as conn:
        saved = [conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
                 for name in TRIGGERS]
        for name in TRIGGERS:
            conn.execute(f"DROP TRIGGER {name}")
        edit(conn)
        for sql in saved:
            conn.execute(sql)
        conn.commit()


def _recompute_hashes(conn: sqlite3.Connection) -> None:
    """Rechain every event with the chain's own hashing, as an attacker who read the source would."""
    previous = GENESIS_HASH
    rows = conn.execute("SELECT id, at, actor, user_id, action, entity, entity_id, patient_id, detail"
                        " FROM audit_event ORDER BY id").fetchall()
    for eid, at, actor, user_id, action, entity, entity_id, patient_id, detail in rows:
        entry = AuditEntry(at=datetime.fromisoformat(at), actor=actor, user_id=user_id, action=action, entity=entity,
                           entity_id=entity_id, patient_id=patient_id, detail=detail, prev_hash=previous)
        previous = chain_hash(entry)
        conn.execute("UPDATE audit_event SET prev_hash = ?, hash = ? WHERE id = ?", (entry.prev_hash, previous, eid))


def _anchor(db: Path, out: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return run("anchor", "--db", str(db), "-o", str(out), *more)


# -- the format --------------------------------------------------------------------------------------------------

def _anchor_value() -> Anchor:
    return Anchor("Clinique Sainte-Émilie", 1234, datetime(2026, 11, 20, 14, 2, 7), HASH,
                  datetime(2026, 11, 20, 18, 0).astimezone())


def test_an_anchor_survives_its_json_and_says_what_it_is() -> None:
    anchor = _anchor_value()
    text = anchor.to_json()
    data = json.loads(text)
    assert (data["format"], data["version"], data["event_id"], data["event_at"]) == (
        "tpi-notes-audit-anchor", 1, 1234, "2026-11-20T14:02:07")
    assert list(data) == ["format", "version", "clinic", "event_id", "event_at", "sha256", "taken_at"]
    assert "Émilie" in text and text.endswith("\n")
    assert Anchor.from_json(text) == anchor
    assert anchor.head.line == f"Audit chain head: event 1234, 2026-11-20 14:02:07, SHA-256 {HASH}"


def _with(**changes: object) -> str:
    data = json.loads(_anchor_value().to_json())
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data)


@pytest.mark.parametrize(("text", "words"), [
    ("{not json", "it is damaged: not valid JSON"),
    ("SQLite format 3", "not a tpi-notes audit anchor (not a JSON object)"),
    ("[1, 2]", "not a tpi-notes audit anchor"),
    ('{"resourceType": "Bundle", "type": "collection"}', "not a tpi-notes audit anchor"),
    (_with(format="tpi-notes-export"), "not a tpi-notes audit anchor"),
    (_with(version=2), "version 2 (written by a newer tpi-notes)"),
    (_with(version="1"), "\"version\" is missing or not a whole number"),
    (_with(sha256=None), "missing sha256"),
    (_with(comment="kept in the safe"), "unknown comment"),
    (_with(event_id=0), "\"event_id\" is not an event number"),
    (_with(event_id=True), "\"event_id\" is not an event number"),
    (_with(event_id="1234"), "\"event_id\" is not an event number"),
    (_with(sha256=HASH.upper()), "64 lowercase hexadecimal digits"),
    (_with(sha256=HASH[:-1]), "64 lowercase hexadecimal digits"),
    (_with(event_at="2026-11-20T14:02:07+01:00"), "\"event_at\" is not a time of the form YYYY-MM-DDTHH:MM:SS"),
    (_with(event_at="yesterday"), "\"event_at\" is not a time"),
    (_with(taken_at="2026-11-20T18:00:00"), "\"taken_at\" is not a time of the form YYYY-MM-DDTHH:MM:SS+HH:MM"),
    (_with(clinic=7), "\"clinic\" is not a name"),
])
def test_anything_but_an_anchor_is_refused_by_name(text: str, words: str) -> None:
    with pytest.raises(AnchorFormatError) as caught:
        Anchor.from_json(text)
    assert words in str(caught.value)


def test_unreadable_anchor_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(AnchorFormatError, match="does not exist"):
        read_anchor(tmp_path / "nope.json")
    with pytest.raises(AnchorFormatError, match="is a folder"):
        read_anchor(tmp_path)
    binary = tmp_path / "clinic.sqlite"
    binary.write_bytes(b"SQLite format 3\x00" + bytes(range(256)))
    with pytest.raises(AnchorFormatError, match="not UTF-8 text"):
        read_anchor(binary)
    big = tmp_path / "big.json"
    big.write_text(" " * 70_000 + _anchor_value().to_json())
    with pytest.raises(AnchorFormatError, match="far too large"):
        read_anchor(big)
    good = tmp_path / "good.json"
    good.write_text("\ufeff" + _anchor_value().to_json(), encoding="utf-8")  # a BOM from a Windows editor
    assert read_anchor(good) == _anchor_value()


# -- anchor, then check ------------------------------------------------------------------------------------------

def test_an_anchor_still_checks_out_after_more_activity(clinic: AppContext, db_path: Path, tmp_path: Path) -> None:
    head = integrity.chain_head(clinic)
    assert head is not None and head.event_id == _last_event(db_path)
    out = tmp_path / "anchor-2026-11-20.json"
    written = _anchor(db_path, out)
    assert written.returncode == 0, written.stderr
    assert written.stdout == (f"Wrote the anchor of the audit chain to {out}: event {head.event_id}, "
                              f"{head.at:%Y-%m-%d %H:%M:%S}, SHA-256 {head.sha256}.\n")
    anchor = read_anchor(out)
    assert anchor.head == head and anchor.clinic == "Riverside Pain & Spine Clinic (demo)"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial file left
    # The anchor's own audit event comes after the head it names.
    (eid, actor, action, entity, entity_id, detail), = _rows(
        db_path, "SELECT id, actor, action, entity, entity_id, detail FROM audit_event ORDER BY id DESC LIMIT 1")
    assert (eid, action, entity, entity_id) == (head.event_id + 1, "verify", "audit_anchor", head.event_id)
    assert actor == os_user().actor and str(out) in detail

    _views(clinic, 5, 6, 7)
    assert integrity.check_anchor(clinic, anchor) == []
    before_verify = _last_event(db_path)
    result = run("verify", "--db", str(db_path), "--anchor", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    now = integrity.chain_head(clinic)
    assert now is not None and now.event_id == before_verify + 1  # verify's own event
    at, digest = _rows(db_path, "SELECT at, hash FROM audit_event WHERE id = ?", before_verify)[0]
    # The head it checked (after the count of sessions and of hash-only signatures, when there are any).
    assert [line for line in lines if line.startswith("Audit chain head:")] == [
        f"Audit chain head: event {before_verify}, {at[:19]}, SHA-256 {digest}"]
    assert f"Anchor {out}: the trail still holds event {head.event_id} with its anchored hash." in lines
    assert lines[-1] == "Every signed session and the audit trail check out." and result.stderr == ""
    detail = _rows(db_path, "SELECT detail FROM audit_event ORDER BY id DESC LIMIT 1")[0][0]
    assert detail.endswith("all intact; 1 anchor: all match")


@pytest.mark.parametrize("after", ["nothing", "more activity"])
def test_a_cut_back_trail_is_caught_by_the_anchor(clinic: AppContext, db_path: Path, tmp_path: Path,
                                                  after: str) -> None:
    out = tmp_path / "a.json"
    assert _anchor(db_path, out).returncode == 0
    anchor = read_anchor(out)
    _tamper(db_path, lambda conn: conn.execute("DELETE FROM audit_event WHERE id >= ?", (anchor.event_id - 2,)))
    if after == "more activity":
        _views(clinic, 1)  # the trail grows again, from a reused event number
    plain = run("verify", "--db", str(db_path))
    assert plain.returncode == 0, plain.stdout  # the chain alone cannot tell

    last = _last_event(db_path)
    assert last < anchor.event_id
    result = run("verify", "--db", str(db_path), "--anchor", str(out))
    assert result.returncode == 1, result.stdout
    problems = [line for line in result.stdout.splitlines() if line.startswith("ANCHOR")]
    assert problems == [f"ANCHOR {out}: event {anchor.event_id} of the anchor is missing: the audit trail was cut "
                        f"back to before {anchor.event_at:%Y-%m-%d %H:%M} (it now ends at event {last} of "
                        f"{_rows(db_path, 'SELECT at FROM audit_event WHERE id = ?', last)[0][0][:16]})"]
    assert result.stderr == "tpi-notes: verification failed: 1 problem (listed above)\n"
    detail = _rows(db_path, "SELECT detail FROM audit_event ORDER BY id DESC LIMIT 1")[0][0]
    assert detail.endswith("; 1 anchor: 1 problem")


def test_a_trail_cut_back_and_grown_past_the_anchor_no_longer_has_its_hash(clinic: AppContext, db_path: Path) -> None:
    head = integrity.chain_head(clinic)
    assert head is not None
    anchor = Anchor.of(head, "Riverside Pain & Spine Clinic (demo)", datetime.now().astimezone())
    _tamper(db_path, lambda conn: conn.execute("DELETE FROM audit_event WHERE id >= ?", (head.event_id - 1,)))
    _views(clinic, 1, 2, 3)  # the anchored number is used again, by another event
    assert integrity.verify_database(clinic).ok
    problems = integrity.check_anchor(clinic, anchor)
    assert len(problems) == 1
    assert problems[0].startswith(f"event {head.event_id} no longer has the anchored hash: the trail was rewritten")


def test_a_rewritten_trail_with_recomputed_hashes_is_caught(clinic: AppContext, db_path: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    assert _anchor(db_path, out).returncode == 0
    anchor = read_anchor(out)

    def rewrite(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE audit_event SET actor = 'os:someone-else' WHERE id = 2")
        _recompute_hashes(conn)

    _tamper(db_path, rewrite)
    plain = run("verify", "--db", str(db_path))
    assert plain.returncode == 0, plain.stdout  # every link and every hash check out again

    result = run("verify", "--db", str(db_path), "--anchor", str(out), "--anchor", str(out))
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("ANCHOR")]
    assert problems == [problems[0]] * 2 and problems[0].startswith(
        f"ANCHOR {out}: event {anchor.event_id} no longer has the anchored hash: the trail was rewritten (")
    assert "2 problems" in result.stderr and "Traceback" not in result.stderr


def test_the_anchor_check_recomputes_from_content_not_from_stored_hashes(clinic: AppContext,
                                                                          db_path: Path) -> None:
    """An event edited while its stored hash is left alone: the anchored hash is not reached either."""
    head = integrity.chain_head(clinic)
    assert head is not None
    anchor = Anchor.of(head, "Riverside Pain & Spine Clinic (demo)", datetime.now().astimezone())
    assert integrity.check_anchor(clinic, anchor) == []
    _tamper(db_path, lambda conn: conn.execute("UPDATE audit_event SET detail = 'nothing' WHERE id = 1"))
    assert _rows(db_path, "SELECT hash FROM audit_event WHERE id = ?", head.event_id)[0][0] == head.sha256
    assert integrity.check_anchor(clinic, anchor)[0].startswith(f"event {head.event_id} no longer has the anchored")


def test_an_event_deleted_below_the_anchor_and_rechained_is_named(clinic: AppContext, db_path: Path) -> None:
    head = integrity.chain_head(clinic)
    assert head is not None
    # an early view (not a key, certificate or signed-PDF registration, whose loss verify names on its own)
    gone, at, digest = _rows(db_path, "SELECT id, at, hash FROM audit_event WHERE action = 'view' ORDER BY id")[0]
    early = Anchor.of(ChainHead(gone, datetime.fromisoformat(at), digest), "Riverside Pain & Spine Clinic (demo)",
                      datetime.now().astimezone())
    late = Anchor.of(head, "Another Clinic", datetime.now().astimezone())

    def delete_and_rechain(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM audit_event WHERE id = ?", (gone,))
        _recompute_hashes(conn)

    _tamper(db_path, delete_and_rechain)
    assert integrity.verify_database(clinic).ok  # the chain alone cannot tell: the anchor can
    missing, rewritten = integrity.check_anchors(clinic, [early, late])
    assert missing == [f"event {gone} of the anchor is missing although later events exist: it was deleted from the trail "
                       f"(it was written {early.event_at:%Y-%m-%d %H:%M})"]
    assert len(rewritten) == 1 and "no longer has the anchored hash" in rewritten[0]
    assert "the anchor was taken for clinic 'Another Clinic'" in rewritten[0]  # is it the right anchor?


def test_an_empty_trail_has_no_head_and_nothing_to_anchor(ctx: AppContext, db_path: Path, tmp_path: Path) -> None:
    assert integrity.chain_head(ctx) is None
    assert integrity.check_anchor(ctx, _anchor_value()) == [
        "event 1234 of the anchor is missing: the audit trail is empty (it was cut back to nothing; the anchored "
        "event was written 2026-11-20 14:02)"]
    out = tmp_path / "a.json"
    result = _anchor(db_path, out)
    assert result.returncode == 1 and result.stderr == (
        "tpi-notes: The audit trail is empty: there is no event to anchor yet.\n")
    assert not out.exists() and _last_event(db_path) == 0
    result = run("verify", "--db", str(db_path))
    assert "Audit chain head: none (the audit trail is empty)" in result.stdout.splitlines()


# -- who may, and bad input ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["nurse", "physician"])
def test_anchoring_needs_the_verify_permission(clinic: AppContext, db_path: Path, tmp_path: Path, role: str) -> None:
    events = _last_event(db_path)
    clinic.act_as(holding(clinic, Principal.for_user(5, "someone", "Some One", (role,))))
    if role == "nurse":
        with pytest.raises(PermissionDenied, match="may not verify"):
            integrity.write_anchor(clinic, tmp_path / "a.json")
        with pytest.raises(PermissionDenied):
            integrity.check_anchor(clinic, _anchor_value())
        with pytest.raises(PermissionDenied):
            integrity.chain_head(clinic)
        assert not (tmp_path / "a.json").exists() and _last_event(db_path) == events
    else:  # physicians may verify, so they may anchor
        anchor = integrity.write_anchor(clinic, tmp_path / "a.json")
        assert anchor.event_id == events and _last_event(db_path) == events + 1


def test_anchor_never_overwrites_unless_forced(clinic: AppContext, db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    out.write_text("the anchor mailed last week")
    events = _last_event(db_path)
    refused = _anchor(db_path, out)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr == f"tpi-notes: {out} already exists; an anchor is never overwritten unless asked to " \
                             "(--force).\n"
    assert out.read_text() == "the anchor mailed last week" and _last_event(db_path) == events
    with pytest.raises(TpiError, match="already exists"):  # the service refuses too, and audits nothing
        integrity.write_anchor(clinic, out)
    assert _last_event(db_path) == events

    forced = _anchor(db_path, out, "--force")
    assert forced.returncode == 0 and read_anchor(out).event_id == events

    for target, words in ((tmp_path / "no-folder" / "a.json", "does not exist"), (tmp_path, "is a folder")):
        failed = _anchor(db_path, target)
        assert failed.returncode == 2 and words in failed.stderr and failed.stderr.count("\n") == 1  # usage
    assert _last_event(db_path) == events + 1  # only the forced anchor was audited
    usage = run("anchor", "--db", str(db_path))
    assert usage.returncode == 2 and "-o" in usage.stderr
    missing = run("anchor", "--db", str(tmp_path / "none.sqlite"), "-o", str(tmp_path / "b.json"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr and not (tmp_path / "none.sqlite").exists()


def test_bad_anchor_files_are_usage_errors_and_nothing_is_checked(clinic: AppContext, db_path: Path,
                                                                   tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    assert _anchor(db_path, good).returncode == 0
    events = _last_event(db_path)
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"format": "tpi-notes-audit-anchor", "version": 1,')
    foreign = tmp_path / "bundle.json"
    foreign.write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}')
    newer = tmp_path / "newer.json"
    newer.write_text(good.read_text().replace('"version": 1', '"version": 2'))
    for bad, words in ((tmp_path / "missing.json", "missing.json does not exist"),
                       (malformed, "it is damaged: not valid JSON"),
                       (foreign, "it is not a tpi-notes audit anchor"),
                       (newer, "version 2 (written by a newer tpi-notes)"),
                       (db_path, "not a tpi-notes audit anchor")):
        result = run("verify", "--db", str(db_path), "--anchor", str(good), "--anchor", str(bad))
        assert result.returncode == 2, (bad, result.stdout)
        assert result.stdout == "" and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith("tpi-notes: argument --anchor: ") and words in result.stderr, result.stderr
    assert _last_event(db_path) == events  # no verification ran, so none was recorded


# -- backups -------------------------------------------------------------------------------------------------------

def test_a_backup_leaves_its_anchor_beside_it(clinic: AppContext, db_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    target = folder / "tpi-notes-backup-2026-11-20.sqlite"
    anchor_file = folder / "tpi-notes-backup-2026-11-20.sqlite.anchor.json"
    anchor_file.write_text("an older backup's anchor")
    clinic.act_as(os_user())
    result = backup_to(clinic, target)
    assert result.anchor == anchor_file and f"Audit chain anchor: {anchor_file}." in result.summary
    assert sorted(p.name for p in folder.iterdir()) == [target.name, anchor_file.name]  # no partial files
    assert stat.S_IMODE(anchor_file.stat().st_mode) == 0o600
    anchor = read_anchor(anchor_file)
    assert anchor.event_id == _last_event(target) == _last_event(db_path) - 1  # before the backup's own event
    assert anchor.sha256 == _rows(target, "SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1")[0][0]
    assert _rows(db_path, "SELECT detail FROM audit_event ORDER BY id DESC LIMIT 1")[0][0].endswith(
        f"; audit chain anchor: event {anchor.event_id}")
    _views(clinic, 2)
    assert integrity.check_anchor(clinic, anchor) == []  # it anchors the live trail too

    checked = run("verify", "--db", str(target), "--anchor", str(anchor_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"Anchor {anchor_file}: the trail still holds event {anchor.event_id} with its anchored hash." in \
        checked.stdout


def test_cli_backup_names_its_anchor_on_its_one_line(clinic: AppContext, db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.sqlite"
    result = run("backup", "--db", str(db_path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 and result.stdout.rstrip().endswith(f"Audit chain anchor: {out}.anchor.json.")
    assert read_anchor(f"{out}.anchor.json").event_id == _last_event(out)


def test_a_backup_of_an_empty_trail_leaves_no_anchor(ctx: AppContext, tmp_path: Path) -> None:
    target = tmp_path / "b.sqlite"
    stale = tmp_path / "b.sqlite.anchor.json"
    stale.write_text("from an earlier backup of this name")
    result = backup_to(ctx, target)
    assert result.anchor is None and "anchor" not in result.summary and not stale.exists()
    copy = open_clinic(str(target), principal=ALL_PERMISSIONS)
    try:
        assert integrity.chain_head(copy) is None
    finally:
        copy.close()


# -- the verify panel ----------------------------------------------------------------------------------------------

def test_the_verify_panel_shows_the_head_it_checked_and_copies_the_whole_line(qtbot: QtBot, clinic: AppContext,
                                                                            db_path: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    from tpi_notes.ui.audit_screen import AuditTrailScreen

    screen = AuditTrailScreen(clinic)
    qtbot.addWidget(screen)
    screen.resize(1300, 700)
    screen.show()
    qtbot.waitExposed(screen)
    checked = _last_event(db_path)
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    panel = screen.verify_panel
    # the verify event itself, after the head shown; then the trail reloads to show it (the reload's "view")
    assert _last_event(db_path) == checked + 2
    at, digest = _rows(db_path, "SELECT at, hash FROM audit_event WHERE id = ?", checked)[0]
    assert panel.head_label.isVisible() and panel.copy_button.isVisible()
    assert panel.head_label.text() == f"Chain head: event {checked:,} · {at[:19]} · SHA-256 {digest[:16]}…"
    assert digest not in panel.head_label.text()  # small on screen; the whole hash goes to the clipboard
    line = f"Audit chain head: event {checked}, {at[:19]}, SHA-256 {digest}"
    assert panel.head_label.toolTip() == line == panel.head_line
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == line and panel.copy_button.text() == "Copied"
    shots = Path("/tmp/shots-anchor")
    shots.mkdir(exist_ok=True)
    screen.grab().save(str(shots / "verify_panel_head.png"))

    panel.show_report(integrity.VerifyReport())  # an empty trail: no head, no Copy
    assert not panel.head_label.isVisible() and not panel.copy_button.isVisible() and panel.head_line == ""
