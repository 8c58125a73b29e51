"""Which optimizer trains the seed network best at an equal gradient-evaluation budget?

The program lives in `lagopt.benchmarks.optimizer_race` (so that `lagopt bench` runs it wherever
lagopt is installed); this file runs it from a checkout:
`python benchmarks/optimizer_race.py --quick --out DIR`.
"""
import sys

from lagopt.benchmarks.optimizer_race import main

if __name__ == "__main__":
    sys.exit(main())
