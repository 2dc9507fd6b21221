"""The principal most tests act as: every permission. Per-role tests (test_roles.py) sign real users in."""

from __future__ import annotations

from tpi_notes.domain.permissions import Permission, Principal

ALL_PERMISSIONS = Principal("test:fixture", "test fixture", frozenset(Permission))
