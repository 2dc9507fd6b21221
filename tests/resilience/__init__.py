"""The resilience campaigns of issue 12 (product.md §10), kept in the project so they can be rerun.

- ``kills``: kill -9 of a worker saving, signing and adding addenda, at random moments; after each kill
  nothing it reported committed is missing, nothing is half written, ``integrity_check`` and ``verify`` pass.
- ``concurrency``: two processes saving the same and their own sessions at once, with audited reads between,
  on SQLite and on PostgreSQL; lost updates, raw driver errors and audit chain breaks are counted.
- ``bad_inputs``: generated bad input through the services and the command line, and files that are not a
  clinic database; crashes, partial writes and modified refused files are counted.

``python tests/resilience/run.py --full`` (``make resilience``) runs all three at the issue's sizes and prints
one table; ``tests/test_resilience_reduced.py`` runs them small inside ``make test``. (Not ``python -m
tests.resilience``: an installed test dependency, textstat, ships a top-level package named ``tests``.) The
package is imported as ``resilience``, with tests/ on the path, as pytest has it.
"""
