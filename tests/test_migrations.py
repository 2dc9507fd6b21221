"""The schema comes from Alembic migrations that agree with the models; start-up upgrades safely."""

from __future__ import annotations

import shutil
import sqlite3
import textwrap
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tpi_notes.db.migrate import MIGRATIONS_DIR, current_revision, head_revision, prepare_database
from tpi_notes.db.models import Base
from tpi_notes.domain.errors import DatabaseOpenError


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    engine, _ = prepare_database(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_new_database_is_created_at_head_without_backup(tmp_path: Path) -> None:
    engine, backup = prepare_database(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(engine) == head_revision()
    assert backup is None
    engine.dispose()


def test_every_connection_gets_the_sqlite_safety_settings(tmp_path: Path) -> None:
    engine, _ = prepare_database(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


def _scripts_with_extra_revision(tmp_path: Path) -> Path:
    """A copy of our migrations plus one newer revision, to play the part of the next release."""
    scripts = tmp_path / "scripts"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_next.py").write_text(textwrap.dedent(f'''
        import sqlalchemy as sa
        from alembic import op
        revision = "9999"
        down_revision = "{head_revision()}"
        branch_labels = None
        depends_on = None
        def upgrade():
            with op.batch_alter_table("patient") as batch:
                batch.add_column(sa.Column("nickname", sa.String(40), nullable=True))
        def downgrade():
            with op.batch_alter_table("patient") as batch:
                batch.drop_column("nickname")
    '''))
    return scripts


def test_older_database_is_backed_up_then_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    engine, _ = prepare_database(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO patient (mrn, family_name, given_name, search_key, birth_date, sex, phone, language,"
            " allergies, anticoagulant, bleeding_disorder, diabetes, insulin, pregnant, breastfeeding,"
            " immunosuppressed, implanted_device, row_version)"
            " VALUES ('M1', 'Ødegård', 'Øyvind', ' odegard oyvind ', '1970-01-02', 'male', '', 'en', '[]', '',"
            " 0, 0, 0, 0, 0, 0, 0, 1)"
        )
    old = current_revision(engine)
    engine.dispose()

    engine, backup = prepare_database(f"sqlite:///{path}", _scripts_with_extra_revision(tmp_path))
    assert current_revision(engine) == "9999"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT family_name, nickname FROM patient").one() == ("Ødegård", None)
    engine.dispose()

    assert backup is not None and backup.parent == path.parent and old in backup.name
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (old,)
    assert copy.execute("SELECT family_name FROM patient").fetchone() == ("Ødegård",)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()


def test_database_from_a_newer_release_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    engine, _ = prepare_database(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
    engine.dispose()
    before = path.read_bytes()
    with pytest.raises(DatabaseOpenError, match="newer version"):
        prepare_database(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseOpenError, match="not made by tpi-notes"):
        prepare_database(f"sqlite:///{path}")


def test_a_real_older_revision_is_upgraded_with_its_data(tmp_path: Path) -> None:
    """A clinic file made by the first release (revision 0001) opens in this one: backed up, then upgraded."""
    from alembic import command
    from sqlalchemy import create_engine

    from tpi_notes.db.migrate import alembic_config

    path = tmp_path / "first-release.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql("INSERT INTO app_user (username, full_name, credentials, active, failed_attempts)"
                             " VALUES ('dr', 'Dr Who', 'MD', 1, 0)")
        conn.exec_driver_sql(
            "INSERT INTO patient (mrn, family_name, given_name, search_key, birth_date, sex, phone, language,"
            " allergies, anticoagulant, bleeding_disorder, diabetes, insulin, pregnant, breastfeeding,"
            " immunosuppressed, implanted_device, row_version)"
            " VALUES ('M1', 'Петрова', 'Ирина', ' петрова ирина ', '1970-01-02', 'female', '', 'en', '[]', '',"
            " 0, 0, 0, 0, 0, 0, 0, 1)")
        conn.exec_driver_sql("INSERT INTO procedure_session (patient_id, performed_start, location, physician_id,"
                             " indication, conservative_care, exam_findings, consent_risks, consent_form_id,"
                             " timeout_done, position, antisepsis, complications, tolerance, blood_loss,"
                             " respiratory_check, disposition, follow_up, comments, status, atlas_version,"
                             " formulary_version, aftercare_version, row_version)"
                             " VALUES (1, '2025-01-02 09:00:00', '', 1, '', '', '[]', '[]', '', 0, '', '', '', '',"
                             " '', '', '', '', '', 'draft', '1', '', '', 1)")
    engine.dispose()

    engine, backup = prepare_database(f"sqlite:///{path}")
    assert current_revision(engine) == head_revision() != "0001"
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT family_name FROM patient").scalar() == "Петрова"
        # what 0002 allows: a draft with no physician yet
        conn.exec_driver_sql("UPDATE procedure_session SET physician_id = NULL")
        schema = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'procedure_session'").scalar()
    engine.dispose()
    assert "physician_id IS NOT NULL" in schema
    assert backup is not None and "0001" in backup.name
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    copy.close()
