"""Repositories: functions that take an open Session, never commit, and hand out plain data."""
