"""Source of the atlas artwork (design data and geometry helpers) used by ``make_atlas_1.py``."""
