"""The syringe's "Vials" spin box (issue 15 item 1): typed and stepped as a nurse would, saved, and billed from."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from test_ui_editor_fixtures import answers, click_region, clinic, make_editor, region  # noqa: E402, F401

from tpi_notes.services import drafts  # noqa: E402
from tpi_notes.ui.editor.components import AUTO_VIALS  # noqa: E402


def test_vials_opened_is_set_in_the_syringe_row_saved_and_billed(qtbot, make_editor, clinic, answers) -> None:  # noqa: ANN001, F811
    editor = make_editor()
    click_region(qtbot, editor, region("gluteus_maximus", "posterior", "R"))
    box = editor.syringes.box("A")
    assert box is not None
    lidocaine = box.rows[0]
    assert not lidocaine.vials.isEnabled()  # lidocaine 1 % is a multi-dose vial: nothing to count
    lidocaine.volume.setFocus()
    qtbot.keyClick(lidocaine.volume, Qt.Key.Key_Return)  # a second drug row
    steroid = box.rows[1]
    steroid.set_item("triamcinolone-40")
    steroid.volume.setValue(1.0)
    assert steroid.vials.isEnabled() and steroid.vials.value() == AUTO_VIALS and steroid.vials.text() == "Auto"
    assert steroid.component().vials_opened is None

    steroid.vials.setFocus()
    for _ in range(3):  # Auto → 0 → 1 → 2
        qtbot.keyClick(steroid.vials, Qt.Key.Key_Up)
    assert steroid.component().vials_opened == 2
    # the 1 mL site of the 6 mL syringe gives 6.67 mg (1 unit); two 40 mg vials opened: 7 units discarded
    panel = editor.findings.codes_label
    qtbot.waitUntil(lambda: "J3301-JW × 7" in panel.text(), timeout=5000)
    assert "Discarded: 73.33 mg triamcinolone acetonide (1 vial partly used, 1 vial opened and not used)" in \
        panel.text()

    editor.diagram.table.setFocus()
    qtbot.keyClick(editor.diagram.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: editor.draft_id is not None)
    saved = drafts.get_draft(clinic.ctx, editor.draft_id)
    assert [c.vials_opened for c in saved.preparations[0].components] == [None, 2]

    # back to Auto, stepping down past 0
    steroid.vials.setFocus()
    qtbot.keyClick(steroid.vials, Qt.Key.Key_PageDown)
    assert steroid.vials.text() == "Auto" and steroid.component().vials_opened is None
