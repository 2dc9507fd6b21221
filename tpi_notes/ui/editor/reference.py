"""What the editor reads once when it opens: the patient, the formulary and lots, and the staff lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tpi_notes.domain.formulary import FormularyItem, Lot
from tpi_notes.domain.icd10 import CodeSet
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.domain.staff import StaffMember
from tpi_notes.services import clinic, icd10_sets, staff
from tpi_notes.services import patients as patient_service
from tpi_notes.services.context import AppContext

DEFAULT_SYRINGE = ("lidocaine-1", 5.0)  # a new syringe: lidocaine 1 % 5 mL (the clinic's commonest start)


@dataclass
class EditorReference:
    """Plain data the editor's panels share (read through the services, never the database)."""

    patient: PatientRecord
    formulary: dict[str, FormularyItem]
    lots: list[Lot]
    physicians: list[StaffMember] = field(default_factory=list)
    assistants: list[StaffMember] = field(default_factory=list)
    # The ICD-10-CM code sets (shipped and loaded): a diagnosis is searched in the one valid on the session's date.
    code_sets: list[CodeSet] = field(default_factory=list)

    @property
    def weight_kg(self) -> float | None:
        return self.patient.weight_kg

    @property
    def patient_label(self) -> str:
        return f"{self.patient.display_name} (MRN {self.patient.mrn})"

    def active_items(self) -> list[FormularyItem]:
        return [item for item in self.formulary.values() if not item.retired]

    def lots_for(self, item_code: str) -> list[Lot]:
        """The item's lots, latest expiry first."""
        return sorted((lot for lot in self.lots if lot.item_code == item_code and not lot.retired),
                      key=lambda lot: lot.expiry, reverse=True)

    def newest_lot(self, item_code: str, day: date) -> Lot | None:
        """The in-date lot that expires last (the one a nurse would draw from first is up to the clinic)."""
        return next((lot for lot in self.lots_for(item_code) if not lot.expired_on(day)), None)

    def find_lot(self, item_code: str, lot_number: str) -> Lot | None:
        return next((lot for lot in self.lots if lot.item_code == item_code and lot.lot_number == lot_number),
                    None)

    def item_name(self, code: str) -> str:
        item = self.formulary.get(code)
        return item.name if item else code

    def drug_name(self, code: str) -> str:
        """The generic name in lower case ("lidocaine"), as a concentration line reads."""
        item = self.formulary.get(code)
        return item.generic.lower() if item else code


def load_reference(ctx: AppContext, patient_id: int) -> EditorReference:
    """Everything the editor looks up while charting (raises TpiError like any service call)."""
    patient = patient_service.get_patient(ctx, patient_id)
    formulary = {item.code: item for item in clinic.list_formulary(ctx, include_retired=True)}
    reference = EditorReference(patient, formulary, clinic.list_lots(ctx), code_sets=icd10_sets.code_sets(ctx))
    reload_staff(ctx, reference)
    return reference


def reload_staff(ctx: AppContext, reference: EditorReference) -> None:
    reference.physicians = staff.list_staff(ctx, "physician")
    people = {m.id: m for m in staff.list_staff(ctx, "nurse")}
    for member in reference.physicians:
        people.setdefault(member.id, member)
    reference.assistants = sorted(people.values(), key=lambda m: m.full_name)
