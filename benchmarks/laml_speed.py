"""LAML's wall time against scipy's L-BFGS at equal evaluation budgets, 37 to ~1,100
parameters.

The program lives in `lagopt.benchmarks.laml_speed` (so that `lagopt bench` runs it wherever
lagopt is installed); this file runs it from a checkout:
`python benchmarks/laml_speed.py --quick --out DIR`.
"""
import sys

from lagopt.benchmarks.laml_speed import main

if __name__ == "__main__":
    sys.exit(main())
