"""Reproduce the table of the LAML report (seed 000) and its figures.

The program lives in `lagopt.benchmarks.reproduce_seed_table` (so that `lagopt bench` runs it
wherever lagopt is installed); this file runs it from a checkout:
`python benchmarks/reproduce_seed_table.py --quick --out DIR`.
"""
import sys

from lagopt.benchmarks.reproduce_seed_table import main

if __name__ == "__main__":
    sys.exit(main())
