"""The classic boundary value problems (Bratu, Troesch, pendulum...): lagopt against solve_bvp.

The program lives in `lagopt.benchmarks.bvp_classics` (so that `lagopt bench` runs it wherever
lagopt is installed); this file runs it from a checkout:
`python benchmarks/bvp_classics.py --quick --out DIR`.
"""
import sys

from lagopt.benchmarks.bvp_classics import main

if __name__ == "__main__":
    sys.exit(main())
