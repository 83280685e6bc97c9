"""The benchmark-sized run of the seeded mutation properties.

The same mutations and checks as ``tests/adversarial/test_mutation_properties.py``
(which runs a derandomised sample of 5,000), here 50,000 by default: each
rewrites one response of a genuine signed lookup (the answer, or a DNSKEY or
DS response of its chain) and validates with a fresh validator.  Prints the
counts per attack class and verdict, the violations of each property with
a few examples, and the run time.  Run from the repository root::

    python -m benchmarks.bench_adversarial                 # 50,000 mutations
    python -m benchmarks.bench_adversarial --count 200000 --seed 3

Exit status 1 if any property is violated.  Verdicts: ``bogus``,
``indeterminate``, ``insecure``, ``secure-same`` (SECURE and equal to the
genuine answer), ``secure-DIFFERENT`` (SECURE and not: a property (a)
violation), ``unsendable`` (the mutation did not survive encoding).
"""

from __future__ import annotations

import argparse
import sys
import time

from tests.adversarial.world import run_sample, world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--examples", type=int, default=3, help="violations shown per property")
    args = parser.parse_args()
    start = time.perf_counter()
    w = world()
    built = time.perf_counter() - start
    start = time.perf_counter()
    tally = run_sample(args.count, args.seed)
    elapsed = time.perf_counter() - start
    print(
        f"{tally.total} mutations over {len(w.genuine)} genuine lookups, seed {args.seed}: "
        f"{elapsed:.1f} s ({elapsed / tally.total * 1e3:.2f} ms each; zones built in {built:.1f} s)"
    )
    print(tally.table())
    for prop, found in sorted(tally.violations.items()):
        print(f"\n{prop}: {len(found)}")
        for line in found[: args.examples]:
            print("  " + line)
    sys.exit(1 if tally.violations else 0)


if __name__ == "__main__":
    main()
