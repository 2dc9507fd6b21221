"""The signing PIN (issue 16 item 7, issue 14 item 1): a physician's short secret that unwraps the same Ed25519
key as their password, only in their own signed-in session, locked after five wrong PINs."""

from __future__ import annotations

import pytest
from principals import ALL_PERMISSIONS
from test_report_support import PASSWORD, add_patient, save_session, setup_clinic

from tpi_notes.db.models import SigningPin, User
from tpi_notes.domain import signature_keys as keys
from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.permissions import PermissionDenied
from tpi_notes.domain.signing_pin import pin_problem
from tpi_notes.services import accounts, drafts, integrity, login, sessions, signing_pin, staff
from tpi_notes.services.context import AppContext
from tpi_notes.services.signing import sign_session

PIN = "482915"


def _username(ctx: AppContext, user_id: int) -> str:
    with ctx.read() as s:
        user = s.get(User, user_id)
        assert user is not None
        return user.username


def _sign_in(ctx: AppContext, user_id: int, password: str = PASSWORD) -> None:
    ctx.act_as(ALL_PERMISSIONS)
    login.sign_out(ctx)
    login.login(ctx, _username(ctx, user_id), password)


def _draft(ctx: AppContext, doctor: int, mrn: str = "P-100") -> tuple[int, int]:
    ctx.act_as(ALL_PERMISSIONS)
    patient = add_patient(ctx, mrn=mrn)
    sid = save_session(ctx, patient.id, doctor, 2)
    return sid, drafts.get_draft(ctx, sid).row_version or 1


@pytest.mark.parametrize(("pin", "ok"), [("482915", True), ("4829150", True), ("48291", False), ("111111", False),
                                         ("123456", False), ("987654", False), ("890123", False), ("48a915", False),
                                         ("٤٨٢٩١٥", False), ("", False), ("121212", False), ("123123", False),
                                         ("1212121", False), ("120120", False), ("482482", False)])
def test_the_pin_rule(pin: str, ok: bool) -> None:
    assert (pin_problem(pin) is None) is ok


def test_a_pin_signs_in_the_physicians_own_session_with_the_same_key(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    sid, version = _draft(ctx, doctor)
    _sign_in(ctx, doctor)
    with pytest.raises(ValidationError) as refused:
        signing_pin.set_signing_pin(ctx, PASSWORD, "123456")
    assert "run of digits" in refused.value.errors["pin"]
    with pytest.raises(ValidationError) as wrong:
        signing_pin.set_signing_pin(ctx, "not the password", PIN)
    assert "password is not correct" in wrong.value.errors["password"]
    assert signing_pin.pin_state(ctx).state == signing_pin.NONE
    signing_pin.set_signing_pin(ctx, PASSWORD, PIN)
    assert signing_pin.pin_state(ctx).state == signing_pin.READY
    record = sign_session(ctx, sid, doctor, None, pin=PIN, row_version=version)
    assert record.status == "signed"
    fingerprint, _raw = keys.parse_signature(record.signature or "") or ("", b"")
    with ctx.read() as s:
        from tpi_notes.services.signer_keys import active_key

        key = active_key(s, doctor)
        assert key is not None and keys.fingerprint(bytes.fromhex(key.public_key)) == fingerprint
        stored = s.query(SigningPin).one()
        assert PIN not in stored.wrapped_private_key and stored.wrapped_private_key.startswith("argon2id$")
    ctx.act_as(ALL_PERMISSIONS)
    assert integrity.verify_database(ctx).ok


def test_a_pin_signs_nothing_in_another_users_session(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    other = staff.add_staff(ctx, "Noor Haddad", "DO", ("physician",))
    accounts.set_password(ctx, other.id, "Fresh-password-77")
    sid, version = _draft(ctx, doctor)
    _sign_in(ctx, doctor)
    signing_pin.set_signing_pin(ctx, PASSWORD, PIN)
    _sign_in(ctx, other.id, "Fresh-password-77")  # Dr Hart's PIN typed at Dr Haddad's session
    with pytest.raises(PermissionDenied, match="own signed-in session"):
        sign_session(ctx, sid, doctor, None, pin=PIN, row_version=version)
    ctx.act_as(ALL_PERMISSIONS)  # the command line's or a test's principal: no session of the signer either
    with pytest.raises(PermissionDenied, match="own signed-in session"):
        sign_session(ctx, sid, doctor, None, pin=PIN, row_version=version)
    assert sessions.get_session(ctx, sid).status == "draft"


def test_five_wrong_pins_lock_the_pin_but_not_the_password(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    sid, version = _draft(ctx, doctor)
    _sign_in(ctx, doctor)
    signing_pin.set_signing_pin(ctx, PASSWORD, PIN)
    messages = []
    for _ in range(5):
        with pytest.raises(signing_pin.WrongPinError) as wrong:
            sign_session(ctx, sid, doctor, None, pin="000001", row_version=version)
        messages.append(str(wrong.value))
    assert "4 tries left" in messages[0] and "locked" in messages[-1]
    assert signing_pin.pin_state(ctx).state == signing_pin.LOCKED
    with pytest.raises(TpiError, match="locked"):  # even the right PIN now
        sign_session(ctx, sid, doctor, None, pin=PIN, row_version=version)
    assert sessions.get_session(ctx, sid).status == "draft"
    with ctx.read() as s:  # the account itself is not locked: the PIN has its own count
        user = s.get(User, doctor)
        assert user is not None and user.locked_at is None and user.failed_attempts == 0
    signing_pin.set_signing_pin(ctx, PASSWORD, "583920")  # a new PIN (with the password) unlocks
    assert signing_pin.pin_state(ctx).state == signing_pin.READY
    assert sign_session(ctx, sid, doctor, None, pin="583920", row_version=version).status == "signed"


def test_a_password_change_keeps_the_pin_and_an_administrators_reset_removes_it(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    first, v1 = _draft(ctx, doctor, "P-1")
    second, v2 = _draft(ctx, doctor, "P-2")
    _sign_in(ctx, doctor)
    signing_pin.set_signing_pin(ctx, PASSWORD, PIN)
    accounts.set_password(ctx, doctor, "Another-correct-horse-43", current_password=PASSWORD)
    assert sign_session(ctx, first, doctor, None, pin=PIN, row_version=v1).status == "signed"
    ctx.act_as(ALL_PERMISSIONS)
    accounts.set_password(ctx, doctor, "Reset-by-the-admin-44")  # a new key pair: the PIN's copy is dead
    _sign_in(ctx, doctor, "Reset-by-the-admin-44")
    assert signing_pin.pin_state(ctx).state == signing_pin.NONE
    with pytest.raises(TpiError, match="No signing PIN"):
        sign_session(ctx, second, doctor, None, pin=PIN, row_version=v2)
    with ctx.read() as s:
        assert s.query(SigningPin).count() == 0
