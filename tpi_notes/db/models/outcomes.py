"""A session's outcome rows (issue 17, migration 0022): functional scales measured at the visit and the response
to an earlier session per muscle and side. Both are session content: locked with the session once it is signed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tpi_notes.db.models.base import Base


class SessionScale(Base):
    """One functional scale (PEG-3, NDI, ODI) measured at a session; ``score`` is stored for SQL aggregates."""

    __tablename__ = "session_scale"
    __table_args__ = (
        UniqueConstraint("session_id", "scale"),
        CheckConstraint("scale IN ('peg', 'ndi', 'odi')", name="scale"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score"),
        # The clinic outcomes report: one scale's scores without reading the sessions.
        Index("ix_session_scale_scale_session", "scale", "session_id", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("procedure_session.id", ondelete="CASCADE"))
    scale: Mapped[str] = mapped_column(String(8))
    items: Mapped[list] = mapped_column(JSON, default=list)
    score: Mapped[float | None] = mapped_column(Float)
    measured_at: Mapped[datetime | None]
    measured_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))


class PriorResponse(Base):
    """Relief after an earlier session, per muscle and side, as recorded at a later one."""

    __tablename__ = "prior_response"
    __table_args__ = (
        UniqueConstraint("session_id", "prior_session_id", "muscle_id", "side"),
        CheckConstraint("side IN ('L', 'R')", name="side"),
        CheckConstraint("relief_pct IS NULL OR (relief_pct >= 0 AND relief_pct <= 100)", name="relief_pct"),
        CheckConstraint("duration_weeks IS NULL OR (duration_weeks >= 0 AND duration_weeks <= 520)",
                        name="duration_weeks"),
        CheckConstraint("prior_session_id <> session_id", name="not_itself"),
        # The response map and the outcomes report: an earlier session's responses.
        Index("ix_prior_response_prior", "prior_session_id", "muscle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("procedure_session.id", ondelete="CASCADE"))
    prior_session_id: Mapped[int] = mapped_column(ForeignKey("procedure_session.id", ondelete="RESTRICT"))
    muscle_id: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(1))
    relief_pct: Mapped[int | None]
    duration_weeks: Mapped[int | None]
    lasting: Mapped[bool] = mapped_column(default=False)
