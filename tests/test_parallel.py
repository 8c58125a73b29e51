import numpy as np
import pytest

from lagopt._parallel import map_tasks


def _draw(seed):
    # Each task owns its Generator: results cannot depend on scheduling.
    return float(np.random.default_rng(seed).standard_normal())


def test_process_pool_matches_serial_in_task_order():
    seeds = list(range(6))
    serial = map_tasks(_draw, seeds, n_jobs=1, progress=False)
    pooled = map_tasks(_draw, seeds, n_jobs=2, progress=False)
    assert serial == pooled == [_draw(s) for s in seeds]


def test_dask_scheduler_matches_serial():
    distributed = pytest.importorskip("dask.distributed")
    seeds = list(range(4))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        out = map_tasks(_draw, seeds, scheduler=cluster.scheduler_address, progress=False)
    assert out == [_draw(s) for s in seeds]


def test_errors_propagate():
    with pytest.raises(ZeroDivisionError):
        map_tasks(_fail, [1, 0], n_jobs=2, progress=False)


def _fail(x):
    return 1 / x
