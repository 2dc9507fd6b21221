"""Guards against a broken Qt binding: PySide6 6.12.0 on Python 3.11 loses a reference to None on every
call of a void method, so a long session (or the test suite) ends in 'deallocating None' and an abort."""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainterPath


def test_void_methods_keep_none_alive() -> None:
    path = QPainterPath()
    point = QPointF(1.0, 2.0)
    before = sys.getrefcount(None)
    for _ in range(200):
        path.lineTo(point)
        point.setX(3.0)
    assert sys.getrefcount(None) - before > -50, "this PySide6 build leaks references to None; pin another version"
