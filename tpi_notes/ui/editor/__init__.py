"""The session editor: one window for one draft session (diagram, syringes, sites, pre/post, doses)."""
