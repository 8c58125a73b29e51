"""Run independent tasks (benchmark sweeps over seeds and settings) in parallel.

Three back-ends behind one function, chosen by the caller's flags:

* ``n_jobs=1``: in this process, in order (deterministic, easiest to debug);
* ``n_jobs>1``: a local process pool (no server needed), one task per process at a time;
* ``scheduler="tcp://host:port"``: an existing Dask distributed cluster, for users who outgrow
  one machine (``pip install "lagopt[dask]"``).

Every task carries its own seed, so results do not depend on the back-end or the order in which
tasks finish. Results are returned in task order.
"""
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed

from tqdm.auto import tqdm

__all__ = ["map_tasks", "default_jobs"]


def default_jobs():
    """Worker processes to use by default: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def map_tasks(fn, tasks, n_jobs=1, scheduler=None, desc=None, progress=True):
    """Apply ``fn`` to every element of ``tasks``; return the results in task order.

    Parameters
    ----------
    fn : callable
        A module-level function (it must pickle for the process and Dask back-ends).
    tasks : sequence
        Arguments, one per call: ``fn(task)``.
    n_jobs : int, optional
        Local worker processes; 1 runs in this process.
    scheduler : str, optional
        Address of a Dask distributed scheduler; overrides ``n_jobs``.
    desc : str, optional
        Label of the progress bar.
    progress : bool, optional
        Show a tqdm progress bar (on stderr).
    """
    tasks = list(tasks)
    bar = tqdm(total=len(tasks), desc=desc, disable=not progress, leave=False)
    try:
        if scheduler is not None:
            return _map_dask(fn, tasks, scheduler, bar)
        if n_jobs is None or n_jobs <= 1 or len(tasks) <= 1:
            out = []
            for task in tasks:
                out.append(fn(task))
                bar.update()
            return out
        results = [None] * len(tasks)
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(tasks)),
                                 mp_context=_context()) as pool:
            futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                bar.update()
        return results
    finally:
        bar.close()


def _context():
    # Never fork a process whose numba thread pool may be running: a forked child inherits
    # the pool's locks but not its threads and can die. A fork server (or spawn) starts
    # workers from a clean interpreter.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _map_dask(fn, tasks, scheduler, bar):
    try:
        from dask.distributed import Client, as_completed as dask_completed
    except ImportError:
        raise ImportError(
            "`scheduler` needs dask.distributed: pip install \"lagopt[dask]\"") from None
    with Client(scheduler) as client:
        futures = client.map(fn, tasks, pure=False)
        index = {fut.key: i for i, fut in enumerate(futures)}
        results = [None] * len(tasks)
        for fut in dask_completed(futures):
            results[index[fut.key]] = fut.result()
            bar.update()
        return results
