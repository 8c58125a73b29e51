"""The direct method: minimise the discretised action over the interior nodes of the path.

This is the robust and the scalable path method. It needs only gradients (Hessians where they
are affordable, to take Newton steps), it does not integrate anything, so it neither suffers from
the exponential instability of shooting nor refines its mesh without end on the kinks of a ReLU
loss, and in its L-BFGS branch its memory is ``O(N n)``.

Solving the discrete problem is not solving the continuous one: `solve` chooses the first grid
from the stiffness ``omega`` and refines it until a Richardson estimate of the discretisation
error (grid ``h`` against ``h/2``) is below ``tol``; a path that the node cap cannot
resolve is reported as a failure (``Status.MAX_ITER``), not as a success.

The modules, each importing only those above it:

* `_blocktri`: the numba block-tridiagonal Cholesky solver (Newton's linear algebra);
* `_discrete_action`: the discrete action ``S_h`` (value, gradient, Hessian blocks,
  velocities) and the sine-transform coordinates that precondition it;
* `_kinks`: gradient sampling at the kinks of non-smooth (ReLU) losses;
* `_stopping`: the convergence test with its kink certificate, stall detection, outcomes;
* `_newton`: damped Newton, free and on the kink manifold;
* `_lbfgs`: L-BFGS in the preconditioned coordinates;
* `_refine`: the solve on one grid and the Richardson refinement of the grid;
* `_report`: the message;
* `_solve`: `solve`, its options and the first grid.
"""
from ._solve import OMEGA_H_MAX, TOL_PATH, default_max_nodes, solve

__all__ = ["solve", "default_max_nodes", "OMEGA_H_MAX", "TOL_PATH"]
