"""Python's garbage collector held off while the app starts (issue 19: start-up to the filled patient list).

Start-up imports PySide6, SQLAlchemy and the models and builds the window: hundreds of thousands of objects that
all live on, and the collector runs over them again and again while they are made (about a tenth of start-up
here). Objects without cycles are freed as before (reference counting); only the cycle hunt waits. It starts
again once the filled list is painted (ui/app.py) or start-up ends some other way, whichever comes first. The
running app then ``freeze``s what start-up made, so later full collections do not walk the modules and widgets
each time; a test calling ``cli.main`` in-process does not freeze its own objects.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Hold the collector off, unless someone already turned it off (then it stays as they left it)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume(*, freeze: bool = False) -> None:
    """Turn the collector back on if :func:`pause` turned it off; with ``freeze``, keep what exists now out of
    every later collection. Safe to call more than once."""
    global _paused
    if not _paused:
        return
    _paused = False
    if freeze:
        gc.freeze()
    gc.enable()


def paused() -> bool:
    return _paused
