"""Plain-Python domain: data shapes and clinical rules, with no Qt and no database."""
