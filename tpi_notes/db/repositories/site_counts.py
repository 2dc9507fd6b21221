"""Each session's site count as kept on its row (migration 0025), held against its site rows.

The history sorts by ``procedure_session.site_count``, which every write of sites keeps (session_writer, the
demo). A count out of step means sites were written some other way (plain SQL, a tool): `tpi-notes verify` lists
such sessions. One pass: the site rows grouped by session on their (session_id, number) index, joined to the
sessions.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tpi_notes.db.models import ProcedureSession, Site


class CountProblem(NamedTuple):
    session_id: int
    kept: int  # what the session row says
    sites: int  # its site rows


def out_of_step(s: Session) -> list[CountProblem]:
    """Sessions whose kept site count differs from their site rows, by id."""
    counted = select(Site.session_id, func.count().label("n")).group_by(Site.session_id).subquery()
    real = func.coalesce(counted.c.n, 0)
    query = (select(ProcedureSession.id, ProcedureSession.site_count, real)
             .outerjoin(counted, counted.c.session_id == ProcedureSession.id)
             .where(ProcedureSession.site_count != real)
             .order_by(ProcedureSession.id))
    return [CountProblem(*row) for row in s.execute(query)]
