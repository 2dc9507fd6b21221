"""PNG pictures of every administration tab and dialog, for the documentation's screenshot script.

``render_admin_screenshots(ctx, folder)`` needs a context acting as an administrator (on a demo clinic for
believable content) and a QApplication (created with the app's theme when there is none). It changes no data
except where a dialog's refusal is shown (a refused save writes nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext
from tpi_notes.ui.admin.formulary_dialogs import ItemDialog, LotDialog
from tpi_notes.ui.admin.user_dialogs import ResetPasswordDialog, UserDialog
from tpi_notes.ui.admin.window import AdminWindow

SIZE = (1200, 780)


def _settle() -> None:
    for _ in range(4):
        QApplication.processEvents()


def _save(widget: QWidget, folder: Path, name: str, written: list[Path]) -> None:
    _settle()
    path = folder / name
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    written.append(path)


def _dialog(make: Callable[[], QWidget], folder: Path, name: str, written: list[Path],
            prepare: Callable[[QWidget], None] | None = None) -> None:
    dialog = make()
    dialog.show()
    _settle()
    if prepare is not None:
        prepare(dialog)
    _save(dialog, folder, name, written)
    dialog.close()
    dialog.deleteLater()


def render_admin_screenshots(ctx: AppContext, folder: Path) -> list[Path]:
    """Write admin-*.png into ``folder`` (created if missing); returns the files written."""
    if not all(ctx.can(p) for p in (Permission.MANAGE_USERS, Permission.MANAGE_CLINIC, Permission.MANAGE_FORMULARY)):
        raise PermissionError("render_admin_screenshots needs a context acting as an administrator")
    if QApplication.instance() is None:
        from tpi_notes.ui.app import ensure_application

        ensure_application()
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    window = AdminWindow(ctx)
    window.resize(*SIZE)
    window.show()
    _settle()
    assert window.users_tab and window.clinic_tab and window.formulary_tab
    users = window.users_tab
    _save(window, folder, "admin-users.png", written)
    window.show_tab("Clinic")
    _save(window, folder, "admin-clinic.png", written)
    window.show_tab("Formulary & lots")
    formulary = window.formulary_tab
    best = max(formulary.item_model.records(), key=lambda use: (use.lots, use.signed_notes), default=None)
    if best is not None:
        formulary.select_item(best.item.code)
    _save(window, folder, "admin-formulary.png", written)

    def refuse_add(dialog: QWidget) -> None:
        assert isinstance(dialog, UserDialog)
        dialog.full_name.setText("Sam Rivera")
        dialog._suggest_username("Sam Rivera")
        assert dialog.password is not None and dialog.confirm is not None
        dialog.password.setText("short")
        dialog.confirm.setText("short")
        dialog.save()

    _dialog(lambda: UserDialog(ctx, None, window), folder, "admin-add-user-refused.png", written, refuse_add)
    accounts = users.model.records()
    if accounts:
        _dialog(lambda: UserDialog(ctx, accounts[0], window), folder, "admin-edit-user.png", written)
        other = next((a for a in accounts if a.id != ctx.user_id and a.active), accounts[0])
        _dialog(lambda: ResetPasswordDialog(ctx, other, window), folder, "admin-reset-password.png", written)
    _dialog(lambda: ItemDialog(ctx, None, window), folder, "admin-add-item.png", written)
    if best is not None:
        def expired_lot(dialog: QWidget) -> None:
            assert isinstance(dialog, LotDialog)
            dialog.lot_number.setText("LD2409A")
            dialog.ndc.setText("12345-6789-01")
            dialog.expiry.setText("2024-09-30")
            dialog.save()

        _dialog(lambda: LotDialog(ctx, best.item, None, window), folder, "admin-add-lot-expired.png", written,
                expired_lot)
    window.close()
    window.deleteLater()
    _settle()
    return written
