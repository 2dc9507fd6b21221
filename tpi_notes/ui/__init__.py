"""The Qt user interface: the only package that imports PySide6.

Widgets call functions in :mod:`tpi_notes.services` and show the plain dataclasses they return; they never
open a database session themselves. Entry points are :func:`tpi_notes.ui.app.run_app` and
:func:`tpi_notes.ui.app.create_main_window`.
"""
