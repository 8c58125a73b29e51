"""How do least-action paths scale to networks of 10^3-10^5 parameters, in time and memory?

The program lives in `lagopt.benchmarks.scale` (so that `lagopt bench` runs it wherever lagopt
is installed); this file runs it from a checkout: `python benchmarks/scale.py --quick --out DIR`.
"""
import sys

from lagopt.benchmarks.scale import main

if __name__ == "__main__":
    sys.exit(main())
