"""Shared helpers for the benchmarks (``make bench``).

Benchmarks are never tests: they print tables (Markdown) of times measured in
the same run, ratios against scikit-learn / SciPy, and peak memory.
"""
from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best_time(fn, *, repeat=3, min_time=0.0):
    """Best wall-clock time of ``fn()`` over ``repeat`` runs, in seconds.

    Runs at least ``repeat`` times and keeps going until ``min_time``
    seconds have been spent, so very fast calls are not timed once.
    """
    best = float("inf")
    spent = 0.0
    runs = 0
    while runs < repeat or spent < min_time:
        gc.collect()
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        spent += dt
        runs += 1
    return best


def peak_mib(fn):
    """Peak memory traced while ``fn()`` runs, in MiB.

    NumPy reports its array allocations to :mod:`tracemalloc`, so this is the
    peak of Python objects plus array buffers allocated during the call. It is
    measured in a separate run from the timings (tracing slows code down).
    """
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def load_reference(assignment):
    """Import ``solutions/<assignment>/<assignment>.py`` as a module."""
    import importlib.util

    path = ROOT / "solutions" / assignment / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"reference_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def print_table(title, header, rows, file=sys.stdout):
    """Print a Markdown table (ready to paste into README)."""
    print(f"\n### {title}\n", file=file)
    print("| " + " | ".join(header) + " |", file=file)
    print("|" + "|".join("---" for _ in header) + "|", file=file)
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |", file=file)
    file.flush()
