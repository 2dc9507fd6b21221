"""Registering, finding and updating patients through the service layer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from principals import ALL_PERMISSIONS

from tpi_notes.domain.errors import ConcurrentEditError, ValidationError
from tpi_notes.domain.patient import PatientInput
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.patients import (
    count_patients,
    create_patient,
    get_patient,
    search_patients,
    update_patient,
)

BASE = PatientInput(mrn="100200", family_name="Smith", given_name="Anna", birth_date=date(1975, 6, 30),
                    sex="female", weight_kg=64.0)
NAMES = [("Nguyễn", "Thị Ánh"), ("Ødegård", "Øyvind"), ("Петрова", "Ирина")]


@pytest.mark.parametrize("family,given", NAMES)
def test_any_script_round_trips_and_is_found(ctx: AppContext, family: str, given: str) -> None:
    created = create_patient(ctx, replace(BASE, family_name=family, given_name=given))
    stored = get_patient(ctx, created.id)
    assert (stored.family_name, stored.given_name) == (family, given)
    for query in (family, given.split()[0], family.lower(), family.upper()):
        assert [p.id for p in search_patients(ctx, query)] == [created.id], query


def test_search_ignores_accents_and_matches_mrn_and_birth_date(ctx: AppContext) -> None:
    a = create_patient(ctx, replace(BASE, mrn="A-77", family_name="Ødegård", given_name="Øyvind"))
    b = create_patient(ctx, replace(BASE, mrn="B-12", family_name="Nguyễn", given_name="Thị Ánh",
                                    birth_date=date(1990, 2, 3)))
    assert [p.id for p in search_patients(ctx, "odegard")] == [a.id]
    assert [p.id for p in search_patients(ctx, "nguyen anh")] == [b.id]
    assert [p.id for p in search_patients(ctx, "b-1")] == [b.id]
    assert [p.id for p in search_patients(ctx, "1990-02-03")] == [b.id]
    assert [p.id for p in search_patients(ctx, "02/03/1990")] == [b.id]
    assert [p.id for p in search_patients(ctx, "1990")] == [b.id]
    assert search_patients(ctx, "zzz") == []
    assert {p.id for p in search_patients(ctx, "")} == {a.id, b.id}
    assert search_patients(ctx, "100%") == []  # LIKE wildcards are literal


def test_an_over_long_search_is_refused_with_a_message_not_a_driver_error(ctx: AppContext) -> None:
    create_patient(ctx, BASE)
    with pytest.raises(ValidationError) as err:  # once: "LIKE or GLOB pattern too complex"
        search_patients(ctx, "a" * 100_000)
    assert "200 characters" in err.value.errors["search"]
    assert search_patients(ctx, "smith " * 33) != []  # 198 characters still search


INVALID = [
    ({"family_name": ""}, "family_name"),
    ({"given_name": "   "}, "given_name"),
    ({"family_name": "x" * 10_000}, "family_name"),
    ({"birth_date": None}, "birth_date"),
    ({"birth_date": date.today() + timedelta(days=1)}, "birth_date"),
    ({"weight_kg": 1000.0}, "weight_kg"),
    ({"weight_kg": 0.0}, "weight_kg"),
    ({"mrn": ""}, "mrn"),
    ({"mrn": "has space"}, "mrn"),
    ({"sex": "robot"}, "sex"),
    ({"language": "fr"}, "language"),
    ({"insulin": True, "diabetes": False}, "insulin"),
]


@pytest.mark.parametrize("change,field", INVALID)
def test_invalid_input_is_refused_at_its_field_and_nothing_is_written(
    ctx: AppContext, change: dict, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        create_patient(ctx, replace(BASE, **change))
    assert field in err.value.errors and err.value.errors[field]
    assert count_patients(ctx) == 0


def test_duplicate_mrn_is_refused_case_insensitively(ctx: AppContext) -> None:
    create_patient(ctx, BASE)
    with pytest.raises(ValidationError) as err:
        create_patient(ctx, replace(BASE, mrn=BASE.mrn.lower(), family_name="Other"))
    assert "already belongs" in err.value.errors["mrn"]
    assert count_patients(ctx) == 1


def test_update_changes_the_record_and_bumps_its_version(ctx: AppContext) -> None:
    created = create_patient(ctx, BASE)
    updated = update_patient(ctx, created.id, replace(BASE, weight_kg=66.5, diabetes=True), created.row_version)
    assert updated.weight_kg == 66.5 and updated.diabetes
    assert updated.row_version == created.row_version + 1


def test_second_workstation_cannot_silently_overwrite(db_path) -> None:  # noqa: ANN001
    one, two = open_clinic(str(db_path), principal=ALL_PERMISSIONS), open_clinic(str(db_path), principal=ALL_PERMISSIONS)
    try:
        created = create_patient(one, BASE)
        opened_on_two = get_patient(two, created.id)
        update_patient(one, created.id, replace(BASE, weight_kg=70.0), created.row_version)
        with pytest.raises(ConcurrentEditError):
            update_patient(two, created.id, replace(BASE, weight_kg=50.0), opened_on_two.row_version)
        assert get_patient(one, created.id).weight_kg == 70.0
    finally:
        one.close()
        two.close()


def test_names_are_normalised_to_nfc(ctx: AppContext) -> None:
    decomposed = "Nguye\u0302\u0303n"  # e + circumflex + tilde as combining marks
    created = create_patient(ctx, replace(BASE, family_name=decomposed))
    assert created.family_name == "Nguyễn"
