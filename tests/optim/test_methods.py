"""The optimizer objects: the options belong to the method; names are shorthands for them."""
import dataclasses

import numpy as np
import pytest

import lagopt
from lagopt.objectives import Quadratic, Rosenbrock
from lagopt.optim import (GD, LAML, LBFGS, LM, METHODS, Adam, AdamStep, GDStep, Hybrid,
                          Momentum, MomentumStep, Optimizer, Steepest, minimize,
                          register_method)

OBJECTS = (GD, Momentum, Adam, LBFGS, Steepest, LM, LAML, Hybrid)


def test_names_are_shorthands_for_the_objects():
    assert [cls.name for cls in OBJECTS] == list(METHODS)[:8]
    for cls in OBJECTS:
        assert METHODS[cls.name] is cls
        assert getattr(lagopt, cls.__name__) is cls
        assert cls.__doc__ and "Parameters" in cls.__doc__


@pytest.mark.parametrize("name, obj, options", [
    ("gd", GD(lr=0.2), {"lr": 0.2}),
    ("momentum", Momentum(), {}),
    ("adam", Adam(lr=1e-2), {"lr": 1e-2}),
    ("lbfgs", LBFGS(maxcor=5), {"maxcor": 5}),
    ("steepest", Steepest(grow=1.25), {"grow": 1.25}),
    ("lm", LM(), {}),
    ("laml", LAML(preset="reference"), {"preset": "reference"}),
    ("hybrid", Hybrid(step="adam", lr=0.01), {"inner": "adam", "lr": 0.01}),
    ("hybrid", Hybrid(step=MomentumStep(0.8)), {"step": "momentum", "beta": 0.8}),
    ("hybrid", Hybrid(step=AdamStep(lr=1e-2)), {"step": "adam", "lr": 1e-2}),
])
def test_an_object_and_its_name_with_flat_options_give_the_same_run(name, obj, options):
    f, x0 = Rosenbrock(), [-1.2, 1.0]
    a = minimize(f, x0, method=obj, max_grad_evals=60, seed=1)
    b = minimize(f, x0, method=name, max_grad_evals=60, seed=1, **options)
    assert a.method == b.method == name
    assert np.array_equal(a.x, b.x) and np.array_equal(a.history["loss"], b.history["loss"])
    assert a.n_grad == b.n_grad and a.ngev == a.njev == b.ngev


def test_objects_are_frozen_and_compare_by_options():
    assert Adam(lr=1e-2) == Adam(lr=0.01) != Adam()
    assert Adam(lr=1e-2).options() == {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                       "gtol": 1e-6, "maxiter": None}
    with pytest.raises(dataclasses.FrozenInstanceError):
        Adam().lr = 1.0
    assert Hybrid(inner="momentum") == Hybrid(step="momentum")


@pytest.mark.parametrize("make, message", [
    (lambda: GD(lr=0), r"`lr` must be finite and > 0, got 0.0"),
    (lambda: Momentum(beta=1.0), r"`beta` must be in \[0, 1\), got 1.0"),
    (lambda: Adam(beta2=-0.1), r"`beta2` must be in \[0, 1\), got -0.1"),
    (lambda: Adam(eps=-1), r"`eps` must be finite and >= 0, got -1.0"),
    (lambda: LBFGS(maxcor=0), r"`maxcor` must be >= 1, got 0"),
    (lambda: Steepest(shrink=1.0), r"`shrink` must be in \(0, 1\), got 1.0"),
    (lambda: Steepest(grow=0.5), r"`grow` must be in \[1, inf\), got 0.5"),
    (lambda: LM(ftol=0.0), r"`ftol`"),
    (lambda: LM(x_scale=[1.0, -1.0]), r"`x_scale`"),
    (lambda: LAML(preset="nope"), r"`preset` must be one of"),
    (lambda: LAML(lam=-1.0), r"`lam` must be finite and > 0, got -1.0"),
    (lambda: Hybrid(restart_tol=-0.5), r"`restart_tol` must be finite and >= 0, got -0.5"),
    (lambda: Hybrid(step="adam", beta=1.5), r"`beta` must be in \[0, 1\), got 1.5"),
    (lambda: Hybrid(step="adam", beta2=1.0), r"`beta2` must be in \[0, 1\), got 1.0"),
    (lambda: Hybrid(eps=-1e-8), r"`eps` must be finite and >= 0"),
    (lambda: Hybrid(step="sgd"), r"`step` must be one of 'gd', 'momentum', 'adam'"),
    (lambda: Hybrid(inner="sgd"), r"`inner` must be one of"),
    (lambda: Hybrid(check_every=1), r"`check_every` must be >= 2, got 1"),
    (lambda: Hybrid(grow=0.9), r"`grow` must be in \[1, inf\)"),
    (lambda: Hybrid(lr_min=1.0, lr_max=0.1), r"`lr_min` must not exceed `lr_max`"),
    (lambda: Hybrid(path="nope"), r"`path` must be one of"),
    (lambda: AdamStep(beta1=1.0), r"`beta1` must be in \[0, 1\)"),
])
def test_invalid_options_name_the_option_its_range_and_the_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_type_errors():
    with pytest.raises(TypeError, match="`take_path` must be True or False"):
        Hybrid(take_path=1)
    with pytest.raises(TypeError, match="`beta`.*step object"):
        Hybrid(step=AdamStep(), beta=0.5)
    with pytest.raises(TypeError, match="`step` or as `inner`"):
        Hybrid(step="adam", inner="momentum")
    with pytest.raises(TypeError, match="`step` must be"):
        Hybrid(step=Adam())
    f = Quadratic(np.eye(2))
    with pytest.raises(TypeError, match=r"Unknown option\(s\) 'rate' for method 'adam'; it "
                                        r"accepts 'lr', 'beta1'"):
        minimize(f, [1.0, 1.0], method="adam", rate=0.1)
    with pytest.raises(TypeError, match="besides the method object Adam"):
        minimize(f, [1.0, 1.0], method=Adam(), lr=0.1)
    with pytest.raises(ValueError, match="Unknown `method`"):
        minimize(f, [1.0, 1.0], method=Adam)


def test_a_hybrid_step_object_is_copied_not_shared():
    step = AdamStep(lr=0.05)
    f = Quadratic(np.diag([1.0, 3.0]))
    a = minimize(f, [1.0, 1.0], method=Hybrid(step=step), max_grad_evals=40)
    b = minimize(f, [1.0, 1.0], method=Hybrid(step=step), max_grad_evals=40)
    assert step.m is None and step.t == 0
    assert np.array_equal(a.x, b.x) and a.history["lr"][0] == 0.05
    assert GDStep().lr == 0.1 and MomentumStep().lr == 0.01 and AdamStep().lr == 1e-3


def test_a_new_optimizer_by_object_and_by_name():
    @dataclasses.dataclass(frozen=True)
    class OneStep(Optimizer):
        name = "one_step_obj"
        tau: float = 0.5

        def run(self, f, x0, rng):
            loss, g = f.loss_and_grad(x0)
            f.set_iterate(x0, loss)
            x = x0 - self.tau * g
            f.set_iterate(x)
            return {"x": x}

    f = Quadratic(np.eye(1))
    assert minimize(f, [1.0], method=OneStep(0.25)).x == pytest.approx([0.75])
    register_method("one_step_obj", OneStep)
    try:
        res = minimize(f, [1.0], method="one_step_obj", tau=0.25)
        assert res.x == pytest.approx([0.75]) and res.method == "one_step_obj"
        with pytest.raises(TypeError, match="accepts 'tau'"):
            minimize(f, [1.0], method="one_step_obj", lr=1.0)
    finally:
        METHODS.pop("one_step_obj")


def test_counters_are_named_as_for_paths():
    f = Quadratic(np.diag([1.0, 4.0]))
    res = minimize(f, [1.0, 1.0], method="gd", lr=0.1, max_grad_evals=20)
    assert res.ngev == res.njev == 20 and res.nfev == 20 and res.nhev == 0


def test_laml_history_rows_match_the_iterates():
    f = Rosenbrock()
    res = minimize(f, [-1.2, 1.0], method=LAML(), max_grad_evals=80, seed=0)
    h = res.history
    n = len(h["loss"])
    for key in ("action", "predicted_action", "accepted", "explored", "path_method", "step",
                "confidence"):
        assert len(h[key]) == n, key
    assert h["path_method"][0] == "" and h["step"][0] == 0.0 and not h["accepted"][0]


def test_a_hybrid_run_that_would_repeat_itself_ends():
    # Adam's steps of about lr_min overshoot a nearly converged quadratic tenfold, every time
    # from the same point: the run stops instead of looping for ever.
    f = Quadratic(np.diag([1.0, 4.0]))
    res = minimize(f, [1.0, 1.0], method=Hybrid(step=AdamStep(lr=1e-2)), max_grad_evals=100)
    assert res.status == lagopt.Status.NOT_CONVERGED and "lr_min" in res.message
    assert res.n_grad < 100 and res.fun < 1e-6
