"""How fast are the MLP objective's numba kernels, and is their compile time kept off the hot path?

The program lives in `lagopt.benchmarks.kernels` (so that `lagopt bench` runs it wherever lagopt
is installed); this file runs it from a checkout: `python benchmarks/kernels.py --quick --out DIR`.
"""
import sys

from lagopt.benchmarks.kernels import main

if __name__ == "__main__":
    sys.exit(main())
