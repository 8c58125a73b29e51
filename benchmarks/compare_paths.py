"""How much action does the seed's smoothstep interpolation waste against true least-action paths?

The program lives in `lagopt.benchmarks.compare_paths` (so that `lagopt bench` runs it
wherever lagopt is installed); this file runs it from a checkout:
`python benchmarks/compare_paths.py --quick --out DIR`.
"""
import sys

from lagopt.benchmarks.compare_paths import main

if __name__ == "__main__":
    sys.exit(main())
