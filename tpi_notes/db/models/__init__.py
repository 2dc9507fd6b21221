"""The ORM models: every entity of product.md §3. Only tpi_notes.db and the services import them."""

from tpi_notes.db.models.audit import AuditEvent
from tpi_notes.db.models.base import Base
from tpi_notes.db.models.certificates import ClinicRoot, ClinicRootCopy, SignedNotePdf, SignerCertificate
from tpi_notes.db.models.clinical import (
    Addendum,
    Preparation,
    PreparationComponent,
    ProcedureSession,
    SessionDiagnosis,
    SessionFinding,
    Site,
)
from tpi_notes.db.models.export_row import SessionExportRow
from tpi_notes.db.models.icd10 import Icd10Code, Icd10Release
from tpi_notes.db.models.outcomes import PriorResponse, SessionScale
from tpi_notes.db.models.people import ClinicSettings, Patient, User, UserRole
from tpi_notes.db.models.phrases import Icd10Favourite, Phrase
from tpi_notes.db.models.prints import AftercarePrint
from tpi_notes.db.models.reference import FormularyItem, Lot, Template
from tpi_notes.db.models.search_token import PatientSearchToken
from tpi_notes.db.models.signer_keys import SignerKey
from tpi_notes.db.models.signing_pins import SigningPin
from tpi_notes.db.models.vials import OpenVial

__all__ = [
    "Addendum",
    "AftercarePrint",
    "AuditEvent",
    "Base",
    "ClinicRoot",
    "ClinicRootCopy",
    "ClinicSettings",
    "FormularyItem",
    "Icd10Code",
    "Icd10Favourite",
    "Icd10Release",
    "Lot",
    "OpenVial",
    "Patient",
    "PatientSearchToken",
    "Phrase",
    "Preparation",
    "PreparationComponent",
    "PriorResponse",
    "ProcedureSession",
    "SessionDiagnosis",
    "SessionExportRow",
    "SessionFinding",
    "SignedNotePdf",
    "SessionScale",
    "SignerCertificate",
    "SignerKey",
    "SigningPin",
    "Site",
    "Template",
    "User",
    "UserRole",
]
