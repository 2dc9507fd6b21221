"""The bare floor of each part of the stack, for `make bench` to hold the app's figures against (issue 19).

Each baseline does the same visible work as an app action with nothing of the app around it: the same text and
diagram paths through bare ReportLab, a bare PySide6 window with a table, a hand-written sqlite3 + csv export,
a read-and-hash pass over signed sessions, bare sqlite3 writes of a session's rows. Absolute times on a shared
machine move by 10-30 % from hour to hour; a ratio to a floor run side by side does not.
"""
