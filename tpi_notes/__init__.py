"""tpi-notes: charting trigger point injections and dry needling."""

from __future__ import annotations

__version__ = "0.1.0"
