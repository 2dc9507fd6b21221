"""Imported once by the fork server (common.process_context): the services, the atlas and the ICD-10 table
(about 3 s on first use) are loaded before any worker is forked, so no worker pays for them."""

from __future__ import annotations

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain import icd10
from tpi_notes.services import addenda, assessment, documents, drafts, integrity, signing  # noqa: F401

load_atlas()
icd10.lookup("M54.2")
