"""The benchmark programs, one per question; each has ``main(argv=None)``, ``--quick`` and
``--out DIR``. They live in the package so that ``lagopt bench`` finds them wherever lagopt is
installed; ``benchmarks/<name>.py`` in a source checkout runs the same programs.

=======================  ===========================================================
module                   question
=======================  ===========================================================
reproduce_seed_table     does the published LAML table reproduce (to 4 decimals)?
compare_paths            how much action does smoothstep waste against true paths?
solver_speed             how fast is each path method, against plain solve_bvp?
bvp_classics             Bratu, Troesch, the pendulum...: right branch, certified, and
                         how fast against solve_bvp given the same analytic Jacobians?
optimizer_race           LAML against gd, momentum, Adam, L-BFGS, LM at equal budgets
wide_race                the same on unseen targets, shapes and initialisations, with
                         tune and dev parts (settings chosen) and a report part (judged)
laml_speed               LAML's wall time against L-BFGS's at equal budgets, per run and
                         per evaluation, 37 to ~1,100 parameters
kernels                  numba batched kernels against a per-point numpy loop
scale                    paths on networks of 10^3-10^5 parameters: sweeps, memory
transition               minimum-energy paths against known saddles (Müller-Brown...);
                         line, Bézier curve and MEP between trained networks
=======================  ===========================================================
"""
#: Run order of ``lagopt bench`` (cheapest first).
SUITE = ("reproduce_seed_table", "kernels", "solver_speed", "bvp_classics", "compare_paths",
         "optimizer_race", "laml_speed", "wide_race", "scale", "transition")
