"""A budget spy shared by the optimizer tests: it forwards to an objective and tallies the
budget rule (gradient 1, loss 1/2, Hessian-vector product `hessp_cost`, Hessian `n_params`,
batched calls per column) independently of `lagopt.optim._budget`."""
from lagopt.objectives import Objective


class Spy(Objective):
    def __init__(self, inner):
        super().__init__(inner.n_params)
        self.inner = inner
        self.smooth = inner.smooth
        self.hessp_cost = inner.hessp_cost
        self.charged = 0.0
        # Predictors that read the model (closed form, meta-model) see through the spy.
        for attr in ("X", "y", "sizes", "activation", "beta", "unpack", "pack"):
            if hasattr(inner, attr):
                setattr(self, attr, getattr(inner, attr))

    def _loss(self, theta):
        self.charged += 0.5
        return self.inner._loss(theta)

    def _grad(self, theta):
        self.charged += 1.0
        return self.inner._grad(theta)

    def _loss_and_grad(self, theta):
        self.charged += 1.0
        return self.inner._loss_and_grad(theta)

    def _hessp(self, theta, v):
        self.charged += self.hessp_cost
        return self.inner._hessp(theta, v)

    def _hess(self, theta):
        self.charged += self.n_params
        return self.inner._hess(theta)

    def _loss_batch(self, P):
        self.charged += 0.5 * P.shape[1]
        return self.inner._loss_batch(P)

    def _grad_batch(self, P):
        self.charged += P.shape[1]
        return self.inner._grad_batch(P)

    def _hess_batch(self, P):
        self.charged += self.n_params * P.shape[1]
        return self.inner._hess_batch(P)
