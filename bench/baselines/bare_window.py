"""A bare PySide6 window with a 100-row table, shown and painted once, then quit: the floor under start-up.

Run as a script (``python bare_window.py``) so that its interpreter start and imports are timed like the app's.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMainWindow, QTableWidget, QTableWidgetItem


def main() -> None:
    app = QApplication(sys.argv)
    window = QMainWindow()
    table = QTableWidget(100, 8)
    for row in range(100):
        for column in range(8):
            table.setItem(row, column, QTableWidgetItem(f"row {row} column {column}"))
    window.setCentralWidget(table)
    window.resize(1200, 800)
    window.show()
    window.grab()  # offscreen platforms paint on demand: the first full paint, as the app bench forces it
    print("painted", flush=True)  # the parent's clock stops here (bench_startup.time_to_paint)
    app.processEvents()
    app.quit()


if __name__ == "__main__":
    main()
