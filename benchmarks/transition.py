"""Transition paths: MEPs on 2-D potentials against known saddles, and mode connectivity of
trained networks (line, Bézier curve, MEP).

The program lives in `lagopt.benchmarks.transition` (so that `lagopt bench` runs it wherever
lagopt is installed); this file runs it from a checkout:
`python benchmarks/transition.py --quick --out DIR`.
"""
import sys

from lagopt.benchmarks.transition import main

if __name__ == "__main__":
    sys.exit(main())
