"""The editor warns live, as the group and its part are clicked, that they are one muscle (issue 15 build 4)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import replace  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402

pytest.register_assert_rewrite("test_ui_editor_fixtures")
from test_ui_editor_fixtures import Clinic, click_region  # noqa: E402

from tpi_notes.anatomy import load_atlas  # noqa: E402
from tpi_notes.services import drafts  # noqa: E402

pytest_plugins = ["test_ui_editor_fixtures"]


def test_clicking_the_group_and_its_part_warns_in_the_findings_panel(qtbot, make_editor, clinic: Clinic) -> None:  # noqa: ANN001
    one = load_atlas("1")
    draft = replace(drafts.new_draft(clinic.ctx, clinic.patient_id), atlas_version="1")  # a draft of atlas-1 days
    editor = make_editor(draft)
    editor.activateWindow()
    for muscle_id in ("lumbar_erector_spinae", "iliocostalis_lumborum"):
        click_region(qtbot, editor, next(r for r in one.regions
                                         if (r.muscle_id, r.view, r.side) == (muscle_id, "posterior", "L")))
    assert [s.muscle_id for s in editor.current_draft().sites] == ["lumbar_erector_spinae", "iliocostalis_lumborum"]

    def shown() -> list[QLabel]:  # the rows of the last refresh, once Qt shows them (earlier ones are deleted)
        return [w for w in editor.findings.findChildren(QLabel, "finding_group_and_part")
                if w.isVisibleTo(editor.findings)]

    qtbot.waitUntil(lambda: len(shown()) == 1, timeout=5000)  # the panel refreshes by itself after the clicks
    assert "L lumbar paraspinals (erector spinae) and L iliocostalis lumborum are the same muscle" in shown()[0].text()
    assessment = editor.findings.assessment
    assert [(c.code, c.reason.split(":")[0]) for c in assessment.coding.cpt] == [("20552", "1 muscle (injection)")]
    assert "1 muscle (injection)" in editor.findings.codes_label.text()
