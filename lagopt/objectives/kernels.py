"""The compiled kernels of `MLPObjective`, for benchmarks and profiling (numba dispatchers:
their compile statistics, cache hits and signatures can be read).

* `mlp_eval`: loss, gradient, Hessian or Hessian-vector products at a batch of points, one
  point after another;
* `mlp_eval_parallel`: the same with the points spread over threads (``prange``);
* `PARALLEL_MIN_WORK`: the batch size times samples above which `MLPObjective` uses the
  parallel kernel.

Their argument layout is internal and may change between versions; code that evaluates a
network uses `MLPObjective`'s methods.
"""
from ._mlp_kernels import PARALLEL_MIN_WORK, mlp_eval, mlp_eval_parallel

__all__ = ["mlp_eval", "mlp_eval_parallel", "PARALLEL_MIN_WORK"]
