"""Kinks of a non-smooth loss (ReLU networks) at the nodes of a path, by gradient sampling.

Where a node sits on a kink of ``L`` its gradient jumps, so its Euler-Lagrange residual cannot
vanish; what can vanish is the residual of a convex combination of gradients sampled around it
(an element of the Clarke subdifferential: gradient sampling, Burke, Lewis & Overton 2005). The
samples also reveal the kinks themselves: the gradient jumps along their normals.
"""
import numpy as np
import scipy.optimize

__all__ = ["KINK_PAIRS", "kink_radius", "sample_gradients", "kink_residuals", "kink_bases"]

# Sampling radius relative to max(1, |theta_i|_inf): small enough that the smooth variation
# of grad L over the ball cannot pass for a kink, large enough to stay above rounding.
_KINK_RADIUS = 1e-7
# The radius is also at most this fraction of the residual tolerance, for the same reason.
_RADIUS_PER_TOL = 0.1
#: Antipodal pairs of sampling directions: a pair puts one sample on each side of any single
#: kink through the node.
KINK_PAIRS = 4
# Weight of the row sum(w) = 1 in the NNLS that finds convex weights w, relative to the
# entries of the system: large enough that the constraint holds to rounding.
_SIMPLEX_WEIGHT = 1e3


def kink_radius(tol):
    """The sampling radius (relative to ``max(1, |theta_i|_inf)``) for residual tolerance `tol`."""
    return min(_KINK_RADIUS, _RADIUS_PER_TOL * tol)


def sample_gradients(da, X, nodes, radius):
    """``lam grad L`` at each node of `nodes` (column 0) and at ``KINK_PAIRS`` antipodal pairs
    ``theta_i +- u_k`` at distance ``radius max(1, |theta_i|_inf)`` (columns ``1..p``, then
    ``p+1..2p``): one array ``(n, 1 + 2p)`` per node, in one batched evaluation.

    `nodes` index the interior nodes (columns of ``X``); the directions are drawn from a fixed
    seed, so the result is deterministic.
    """
    n = X.shape[0]
    Theta = da.nodes(X)
    rng = np.random.RandomState(0)
    m = 1 + 2 * KINK_PAIRS
    pts = np.empty((n, m * len(nodes)))
    for k, i in enumerate(nodes):
        th = Theta[:, i + 1]
        U = rng.randn(n, KINK_PAIRS)
        U *= radius * max(1.0, float(np.max(np.abs(th)))) / np.sqrt(np.sum(U * U, axis=0))
        pts[:, k * m: (k + 1) * m] = np.column_stack([th, th[:, None] + U, th[:, None] - U])
    grads = da.lam * da.obj.grad_batch(pts) if len(nodes) else np.empty((n, 0))
    return [grads[:, k * m: (k + 1) * m] for k in range(len(nodes))]


def kink_residuals(da, X, nodes, radius):
    """Smallest ``|lam sum_j w_j grad L(p_j) - (theta_{i+1} - 2 theta_i + theta_{i-1}) / h^2|``
    over convex weights ``w`` and sample points ``p_j`` near each node ``i`` in ``nodes``."""
    Theta = da.nodes(X)
    samples = sample_gradients(da, X, nodes, radius)
    out = np.empty(len(nodes))
    for k, i in enumerate(nodes):
        a = (Theta[:, i + 2] - 2.0 * Theta[:, i + 1] + Theta[:, i]) / da.h**2
        Gs = samples[k]
        m = Gs.shape[1]
        # Least squares over the simplex: NNLS with a heavily weighted row sum(w) = 1.
        rho = _SIMPLEX_WEIGHT * max(1.0, float(np.max(np.abs(Gs))), float(np.max(np.abs(a))))
        w, _ = scipy.optimize.nnls(np.vstack([Gs, np.full(m, rho)]), np.append(a, rho))
        w /= max(w.sum(), np.finfo(float).tiny)
        out[k] = float(np.max(np.abs(Gs @ w - a)))
    return out


def kink_bases(da, X, nodes, radius, threshold):
    """Orthonormal bases ``V`` (``n x k``) of the jumps of ``lam grad L`` at kinks through the
    nodes: ``{i: V}`` for the nodes that sit on at least one kink.

    For an antipodal pair ``g(theta + u) + g(theta - u) - 2 g(theta)`` is ``O(|u|^2)`` where
    ``L`` is smooth and carries the jump ``J`` of the gradient where the pair straddles a kink.
    For a ReLU network the jump across ``z = 0`` is ``dL/drelu(z) grad z``, normal to the kink
    surface, so ``V`` spans the normals of the kinks through the node. Jumps below `threshold`
    (a fraction of the residual tolerance) are ignored.
    """
    out = {}
    p = KINK_PAIRS
    for i, Gs in zip(nodes, sample_gradients(da, X, nodes, radius)):
        D2 = Gs[:, 1:1 + p] + Gs[:, 1 + p:] - 2.0 * Gs[:, :1]
        U, sv, _ = np.linalg.svd(D2, full_matrices=False)
        keep = sv > threshold
        if np.any(keep):
            out[int(i)] = U[:, keep]
    return out
