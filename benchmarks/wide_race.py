"""A wider optimizer race, tuned on one part of its grid and judged on the other.

The program lives in `lagopt.benchmarks.wide_race` (so that it runs wherever lagopt is
installed); this file runs it from a checkout:
`python benchmarks/wide_race.py --quick --out DIR`.
"""
import sys

from lagopt.benchmarks.wide_race import main

if __name__ == "__main__":
    sys.exit(main())
