"""The clinic's logo (a PNG the admin chose) as a flowable of a given height, keeping its proportions."""

from __future__ import annotations

from io import BytesIO

from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image


def logo_flowable(png: bytes | None, height: float, max_width: float) -> Flowable | None:
    """None when there is no logo or it cannot be read (a document never fails because of its logo)."""
    if not png:
        return None
    try:
        width_px, height_px = ImageReader(BytesIO(png)).getSize()
    except Exception:  # noqa: BLE001 - any unreadable image: print without it
        return None
    if not width_px or not height_px:
        return None
    width = min(max_width, height * width_px / height_px)
    image = Image(BytesIO(png), width=width, height=width * height_px / width_px)
    image.hAlign = "LEFT"
    return image
