"""How fast are the path solvers, against what a user would write with scipy alone?

The program lives in `lagopt.benchmarks.solver_speed` (so that `lagopt bench` runs it
wherever lagopt is installed); this file runs it from a checkout:
`python benchmarks/solver_speed.py --quick --out DIR`.
"""
import sys

from lagopt.benchmarks.solver_speed import main

if __name__ == "__main__":
    sys.exit(main())
