"""A stand-in for Hugging Face's ``spaces`` package: ZeroGPU's rules, on a machine without a GPU.

Put ``tests/zerogpu`` on ``PYTHONPATH`` and set ``SPACES_ZERO_GPU=true``. Then, as on a ZeroGPU
Space (read in spaces 0.51's source), ``spaces.GPU(duration=...)`` runs the decorated generator
function in a forked worker: the arguments and every yielded item cross the process boundary
through pickle, the duration (a number or a function of the call's arguments) is asked for each
call, and the worker is ended when that lease runs out ("GPU task aborted"). Unlike the real
package, which sets an event when the caller stops listening, this one never tells the worker:
the worst case, which the app must handle on its own. In the server process, initialising CUDA
raises, as it does on ZeroGPU.

Each call appends JSON lines to ``$ZEROGPU_LOG`` (when set): ``{"event": "call", "duration": s,
"pid": worker, "t": time}``, ``{"event": "closed", ...}`` when the caller closes the generator,
and the worker's own ``{"event": "worker-end", "pid": ..., "t": ..., "items": n}``.
Without ``SPACES_ZERO_GPU``, ``GPU`` returns the function unchanged, as the real one does.
"""

from __future__ import annotations

import inspect
import json
import multiprocessing
import os
import pickle
import queue
import threading
import time

__version__ = "0.0-stand-in"

ENABLED = os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")
_FORK = multiprocessing.get_context("fork")
_SERVER_PID = os.getpid()


def _log(**entry) -> None:
    path = os.environ.get("ZEROGPU_LOG")
    if path:
        with open(path, "a") as log:
            log.write(json.dumps({**entry, "t": time.time()}) + "\n")


def _forbid_cuda_in_the_server() -> None:
    import torch

    lazy_init = torch.cuda._lazy_init

    def guarded():
        if os.getpid() == _SERVER_PID:
            raise RuntimeError("CUDA must not be initialized in the main process on ZeroGPU")
        return lazy_init()

    torch.cuda._lazy_init = guarded


def _work(task, payload: bytes, results) -> None:
    """In the forked worker: run the generator, send each item back pickled."""
    items = 0
    try:
        args, kwargs = pickle.loads(payload)
        for item in task(*args, **kwargs):
            results.put(("item", pickle.dumps(item)))
            items += 1
        results.put(("end", None))
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller, as ZeroGPU does
        results.put(("error", pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))))
    finally:
        _log(event="worker-end", pid=os.getpid(), items=items)


def _drain(results, worker, into: queue.Queue) -> None:
    """In the server: move the worker's items into ``into`` until it ends (even after the caller left)."""
    while True:
        try:
            kind, value = results.get(timeout=0.2)
        except queue.Empty:
            if not worker.is_alive():
                into.put(("aborted", None))
                return
            continue
        into.put((kind, value))
        if kind != "item":
            return


def GPU(task=None, *, duration=None, size=None, **_ignored):
    """``@spaces.GPU`` / ``@spaces.GPU(duration=...)``: see the module's docstring."""
    if task is None:
        return lambda function: GPU(function, duration=duration, size=size)
    if not ENABLED:
        return task
    if not inspect.isgeneratorfunction(task):
        raise NotImplementedError("this stand-in runs generator functions only")

    def handler(*args, **kwargs):
        seconds = duration(*args, **kwargs) if callable(duration) else (duration or 60)
        payload = pickle.dumps((args, kwargs))  # ZeroGPU pickles the arguments too
        results = _FORK.Queue()
        worker = _FORK.Process(target=_work, args=(task, payload, results), daemon=True)
        worker.start()
        _log(event="call", duration=seconds, pid=worker.pid)
        items: queue.Queue = queue.Queue()
        threading.Thread(target=_drain, args=(results, worker, items), daemon=True).start()
        lease = threading.Timer(seconds, lambda: worker.is_alive() and worker.kill())
        lease.daemon = True
        lease.start()
        try:
            while True:
                kind, value = items.get()
                if kind == "item":
                    yield pickle.loads(value)
                elif kind == "end":
                    return
                elif kind == "error":
                    raise pickle.loads(value)
                else:
                    raise RuntimeError("ZeroGPU worker error: GPU task aborted")
        finally:
            _log(event="closed", pid=worker.pid)

    handler.__name__ = getattr(task, "__name__", "handler")
    return handler


if ENABLED:
    _forbid_cuda_in_the_server()
