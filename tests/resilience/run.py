"""Run the resilience campaigns and print one table of their figures (``make resilience``).

    python tests/resilience/run.py --full              # issue 12's sizes: 300 kills, 2 x 2,000 saves, 5,000 inputs
    python tests/resilience/run.py --reduced           # the sizes of make test: 30, 2 x 100, 500
    python tests/resilience/run.py --kills 60 --saves 300 --inputs 1000 --only a,b

PostgreSQL runs when TPI_NOTES_PG_URL names a server whose user may CREATE DATABASE (``.ci/with-postgres.sh``
starts a throwaway one); otherwise its rows say it was skipped. Exit status 0 when every figure meets its
target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import the package from its folder (tests/)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resilience import bad_inputs, concurrency, kills  # noqa: E402

SIZES = {"full": (300, 2000, 5000), "reduced": (30, 100, 500)}
Row = tuple[str, str, object, Callable[[object], bool] | None]  # campaign, figure, value, target


def zero(value: object) -> bool:
    return value == 0


def at_least(n: int) -> Callable[[object], bool]:
    return lambda value: isinstance(value, int) and value >= n


def kill_rows(f: kills.KillFigures, wanted: int) -> list[Row]:
    during = ", ".join(f"{k} {v}" for k, v in sorted(f.during.items()))
    name = "(a) kill -9"
    return [(name, "kills", f.kills, at_least(wanted)),
            (name, f"  killed during: {during}", "", None),
            (name, "commits reported by the workers", f.reported_commits, None),
            (name, "committed records lost", f.lost, zero),
            (name, "partial writes", f.partial, zero),
            (name, "integrity_check failures", f.integrity_failures, zero),
            (name, "verify failures", f.verify_failures, zero),
            (name, "workers that failed by themselves", f.worker_failures, zero),
            (name, "seconds", round(f.seconds), None)]


def concurrency_rows(f: concurrency.ConcurrencyFigures | None, backend: str, wanted: int) -> list[Row]:
    name = f"(b) 2 processes, {backend}"
    if f is None:
        return [(name, "skipped: no TPI_NOTES_PG_URL", "-", None)]
    refused = ", ".join(f"{k} {v}" for k, v in sorted(f.refused.items())) or "none"
    raw = ", ".join(f"{k} {v}" for k, v in sorted(f.raw_errors.items())) or "none"
    return [(name, "saves attempted", f.saves, at_least(wanted)),
            (name, "saved", f.saved, None),
            (name, "refused with the clear message", sum(f.refused.values()), None),
            (name, f"  by type: {refused}", "", None),
            (name, "raw errors", sum(f.raw_errors.values()), zero),
            (name, f"  by type: {raw}", "", None),
            (name, "lost updates", f.lost, zero),
            (name, "audited reads / prints", f"{f.reads} / {f.prints}", None),
            (name, "torn reads", f.torn_reads, zero),
            (name, "audit chain breaks", f.chain_breaks, zero),
            (name, "verify passes", "yes" if f.verify_ok else "no", lambda v: v == "yes"),
            (name, "workers that failed", f.worker_failures, zero),
            (name, "seconds", round(f.seconds), None)]


def bad_input_rows(f: bad_inputs.BadInputFigures, wanted: int) -> list[Row]:
    name = "(c) bad inputs"
    families = ", ".join(f"{k} {v}" for k, v in sorted(f.by_family.items()))
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(f.exit_codes.items(), key=lambda kv: str(kv[0])))
    return [(name, "inputs", f.inputs, at_least(wanted)),
            (name, f"  by family: {families}", "", None),
            (name, "refused / accepted", f"{f.refused} / {f.accepted}", None),
            (name, "commands run", sum(f.exit_codes.values()), None),
            (name, f"  by exit status: {codes}", "", None),
            (name, "crashes", f.crashes, zero),
            (name, "partial writes", f.partial_writes, zero),
            (name, "  audited checks (by design)", f.audited_checks, None),
            (name, "refused files tried", f.refused_files, None),
            (name, "modified refused files", f.modified_refused, zero),
            (name, "refused files a command accepted", f.refused_files_accepted, zero),
            (name, "seconds", round(f.seconds), None)]


def print_table(rows: list[Row], out=sys.stdout) -> bool:  # noqa: ANN001
    """The table; True when every figure with a target meets it."""
    width = max(len(r[1]) for r in rows if r[2] != "")
    ok = True
    last = None
    print(f"{'campaign':<28} {'figure':<{width}}  {'value':>11}  target", file=out)
    for campaign, figure, value, target in rows:
        verdict = "" if target is None else ("ok" if target(value) else "FAIL")
        ok = ok and verdict != "FAIL"
        head = campaign if campaign != last else ""
        last = campaign
        if value == "":  # a breakdown of the figure above
            print(f"{head:<28} {figure}", file=out)
        else:
            print(f"{head:<28} {figure:<{width}}  {value!s:>11}  {verdict}", file=out)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", dest="size", action="store_const", const="full", help="the issue's sizes")
    size.add_argument("--reduced", dest="size", action="store_const", const="reduced", help="make test's sizes")
    parser.add_argument("--kills", type=int, help="campaign (a): how many kills")
    parser.add_argument("--saves", type=int, help="campaign (b): save attempts per process")
    parser.add_argument("--inputs", type=int, help="campaign (c): how many bad inputs")
    parser.add_argument("--max-delay", type=float, default=0.8, help="(a): longest wait before a kill, seconds")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--only", default="a,b,c", help="which campaigns, e.g. a,c")
    parser.add_argument("--pg-url", default=os.environ.get("TPI_NOTES_PG_URL", ""),
                        help="PostgreSQL server URL (default: $TPI_NOTES_PG_URL)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (databases, worker reports)")
    args = parser.parse_args(argv)
    n_kills, n_saves, n_inputs = SIZES[args.size or "reduced"]
    n_kills, n_saves, n_inputs = args.kills or n_kills, args.saves or n_saves, args.inputs or n_inputs
    only = set(args.only.split(","))
    folder = Path(tempfile.mkdtemp(prefix="tpi-resilience-"))
    print(f"resilience: sizes {n_kills} kills, 2 x {n_saves} saves, {n_inputs} inputs; seed {args.seed}; "
          f"work folder {folder}", file=sys.stderr)
    rows: list[Row] = []
    examples: list[str] = []
    try:
        if "a" in only:
            fa = kills.run(folder / "kills", kills=n_kills, seed=args.seed, max_delay=args.max_delay)
            rows += kill_rows(fa, n_kills)
            examples += [f"(a) {e}" for e in fa.examples]
        if "b" in only:
            fb = concurrency.run_sqlite(folder / "sqlite", saves=n_saves, seed=args.seed)
            rows += concurrency_rows(fb, "SQLite", n_saves * 2)
            examples += [f"(b) SQLite: {e}" for e in fb.examples]
            fp = None
            if args.pg_url:
                fp = concurrency.run_postgres(args.pg_url, folder / "pg", saves=n_saves, seed=args.seed)
                examples += [f"(b) PostgreSQL: {e}" for e in fp.examples]
            rows += concurrency_rows(fp, "PostgreSQL", n_saves * 2)
        if "c" in only:
            fc = bad_inputs.run(folder / "inputs", inputs=n_inputs, seed=args.seed,
                                cli_processes=20 if args.size == "full" else 2)
            rows += bad_input_rows(fc, n_inputs)
            examples += [f"(c) {e}" for e in fc.examples]
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    ok = print_table(rows)
    if examples:
        print("\nFirst problems found (up to 12 per campaign):")
        for line in examples:
            print(f"  {line}")
    print("\nAll figures meet their targets." if ok else "\nSome figures miss their targets (FAIL above).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
