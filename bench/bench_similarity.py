"""The similarity report's cost: comparing a class's modules (reports.similarity.compare), end to end.

Wall-clock time of one comparison (its process started, copydetect imported, every
module fingerprinted, every pair compared) and the peak memory of that process, for:

- the bundled sample class of each assignment (``make grade``'s: the reference, the
  untouched stub, two typical mistakes);
- ``samples.similar``'s planted class (mle: the pair, the reference, the stub, every
  typical mistake and correct variant);
- a larger mle class of N students (default 300; ``BENCH_SIMILAR_N``): the planted class,
  then copies of the planted student's solution, each with a line dropped and some
  identifiers renamed, so that nearly every pair shares most of its code: the most work
  the comparison can be given per student.

    .venv/bin/python bench/bench_similarity.py
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import print_table  # noqa: E402
from reports import similarity  # noqa: E402
from samples import similar  # noqa: E402
from samples.submissions import graded_assignments, sample_class  # noqa: E402


def timed(assignment, texts):
    """``(seconds, MiB, comparison)``: seconds of wall clock (and of CPU, in brackets); MiB is the peak
    memory of the largest comparison process so far (the kernel's figure for this process's children;
    the classes are timed smallest first)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    found = similarity.compare(assignment, texts)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return f"{seconds:.1f} ({cpu:.1f})", after.ru_maxrss / 1024, found


def modules(folder, assignment):
    return {p.parent.name: p.read_text(encoding="utf-8") for p in sorted(Path(folder).glob(f"*/{assignment}.py"))}


def main():
    n = int(os.environ.get("BENCH_SIMILAR_N", "300"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-similar-") as tmp:
        sample_class(Path(tmp) / "sample")
        for a in graded_assignments():
            texts = modules(Path(tmp) / "sample" / a, a)
            seconds, peak, found = timed(a, texts)
            rows.append([f"`{a}` sample class", len(texts), seconds, f"{peak:.0f}", found.eligible])
        for label, texts in (("`mle` planted class", similar.planted_class(Path(tmp) / "planted")),
                             (f"`mle` larger class, N = {n}", similar.larger_class(Path(tmp) / "large", n))):
            seconds, peak, found = timed("mle", texts)
            rows.append([label, len(texts), seconds, f"{peak:.0f}", found.eligible])
            print(rows[-1], file=sys.stderr)
    print_table("The similarity report: one comparison of a class",
                ["class", "modules", "seconds (CPU)", "peak MiB (largest so far)", "pairs meeting the thresholds"],
                rows)
    print(f"\nload average when done: {', '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
