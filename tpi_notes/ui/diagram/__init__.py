"""The interactive body diagram: atlas regions, numbered site markers, undo, and the site table."""
