"""The demo clinic as a release before migration 0017 (or 0022) made it, for tests that downgrade a clinic and
upgrade it again: its sessions carry no ICD-10-CM set version (the column did not exist) and no outcomes (PEG,
responses: migration 0022), so their signatures survive the downgrades, which refuse to drop what a signed note
was signed with."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from tpi_notes.domain import icd10
from tpi_notes.services import demo_outcomes, demo_sessions
from tpi_notes.services.demo import build_demo

if TYPE_CHECKING:
    from tpi_notes.services.context import AppContext


def build_demo_before_0017(ctx: AppContext, **kwargs: Any) -> None:
    """``build_demo`` with every session's ``icd10_version`` left NULL, as on sessions saved before 0017."""

    def no_version(day: date | None, sets: Any = None) -> icd10.CodeSet:
        return replace(icd10.set_or_nearest(day, sets), version=None)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo_sessions, "icd10", _Icd10Without(no_version))
        _without_outcomes(patch)
        build_demo(ctx, **kwargs)


def build_demo_before_0022(ctx: AppContext, **kwargs: Any) -> None:
    """``build_demo`` without outcomes (PEG and responses), as a clinic charted before migration 0022."""
    with pytest.MonkeyPatch.context() as patch:
        _without_outcomes(patch)
        build_demo(ctx, **kwargs)


def _without_outcomes(patch: pytest.MonkeyPatch) -> None:
    patch.setattr(demo_outcomes.OutcomeMaker, "visit", lambda self, session, sites: ((), (), [], []))


class _Icd10Without:
    """domain/icd10 as demo_sessions sees it, with set_or_nearest replaced."""

    def __init__(self, set_or_nearest: Any) -> None:
        self.set_or_nearest = set_or_nearest

    def __getattr__(self, name: str) -> Any:
        return getattr(icd10, name)
