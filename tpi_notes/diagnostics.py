"""Help → "Save diagnostics…" (issue 18 item 3): one zip a clinic can send to support, with the versions, the
settings (no passphrase, password or key: only whether one is set) and the logs and crash reports, which hold no
patient data by design (tpi_notes/logs.py). No Qt and no database: the clinic's records never go in it."""

from __future__ import annotations

import io
import json
import os
import platform
import re
import zipfile
from datetime import datetime
from pathlib import Path

from tpi_notes import clinic_location, logs
from tpi_notes.paths import user_data_dir
from tpi_notes.versions import version_report

SECRET_NAME = re.compile(r"KEY|PASS|SECRET|TOKEN|PIN", re.IGNORECASE)
README = """tpi-notes diagnostics

versions.txt   the app, its data (rules, atlas, aftercare text, formulary, ICD-10-CM) and the runtime
settings.json  where the clinic's database and the app's folders are, and the TPI_NOTES_* settings
               (secrets shown only as "set")
logs/          the app's log (actions and ids, no patient data) and crash reports (no exception messages)
"""


def redact_url(url: str) -> str:
    """A database URL without its password."""
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)


def settings(database_url: str | None) -> dict[str, object]:
    environment = {name: ("set" if SECRET_NAME.search(name) else value)
                   for name, value in sorted(os.environ.items()) if name.startswith("TPI_NOTES_")}
    ui_settings = user_data_dir() / "ui.ini"
    return {
        "database": redact_url(database_url) if database_url else None,
        "configured_database": str(clinic_location.configured_database() or ""),
        "machine_config_folder": str(clinic_location.site_config_dir()),
        "machine_data_folder": str(clinic_location.site_data_dir()),
        "user_data_folder": str(user_data_dir()),
        "log_folder": str(logs.log_dir()),
        "window_layout_saved": ui_settings.is_file(),
        "environment": environment,
        "platform": platform.platform(),
        "written": datetime.now().isoformat(timespec="seconds"),
    }


def diagnostics_zip(database_url: str | None) -> bytes:
    """The zip's bytes (written whole by the caller, tpi_notes/atomic_output.py)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", README)
        zf.writestr("versions.txt", version_report() + "\n")
        zf.writestr("settings.json", json.dumps(settings(database_url), indent=2) + "\n")
        folder = logs.log_dir()
        names = sorted(folder.glob(f"{logs.LOG_FILE}*")) + sorted(folder.glob("crash-*.txt"))
        for path in names:
            try:
                zf.writestr(f"logs/{path.name}", Path(path).read_bytes())
            except OSError:
                continue
    return buffer.getvalue()
