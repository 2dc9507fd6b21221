"""The principal the benchmarks act as: every permission (what is measured is the work, not the login)."""

from __future__ import annotations

from tpi_notes.domain.permissions import Permission, Principal

BENCH = Principal("bench:runner", "bench runner", frozenset(Permission))
