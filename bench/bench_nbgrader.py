"""`nbgrader autograde` time per student: the kit's snapshot grader against a kernel per notebook.

    python bench/bench_nbgrader.py [--students N] [--rounds R] [--assignment mle]

One course (built as `make nbgrader` builds it) with N submissions (the
reference, the stub and catalogued mistakes, in turn) is autograded R times
in each of two ways, alternately, in the same run:

- **kit**: the course's config as written — no kernel; GradeSnapshot grades
  a snapshot of each submission once in the sandbox (frontdoors/nbgrader/autograde.py);
- **kernel**: nbgrader's own pipeline, as the kit did before: nbgrader's
  ``Execute`` runs every cell of the notebook in a plain ipykernel (as the
  instructor) and the first autograder cell grades the module in the sandbox.

Prints a Markdown table: wall time of one `nbgrader autograde <a> --force`
for the class, per student, and the ratio. Numbers are same-run: on a busy
machine both slow down.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, print_table  # noqa: E402

sys.path.insert(0, str(ROOT))
from authoring.notebooks import write_kernelspec  # noqa: E402
from frontdoors.nbgrader import course as nbcourse  # noqa: E402
from samples.submissions import apply, catalogue, reference_source, stub_source  # noqa: E402

#: nbgrader_config_local.py of the "kernel" way: nbgrader's default preprocessors (Execute) and a
#: plain ipykernel kernelspec (the course's own kernel refuses to run under autograde).
KERNEL_MODE = '''\
import os
from nbgrader.converters import Autograde
c.Autograde.autograde_preprocessors = Autograde.class_traits()["autograde_preprocessors"].default()
c.Execute.timeout = 900
os.environ["JUPYTER_PATH"] = {jupyter!r} + os.pathsep + os.environ.get("JUPYTER_PATH", "")
'''


def submissions(assignment, n):
    bugs = catalogue(assignment)
    texts = [reference_source(assignment), stub_source(assignment)]
    texts += [apply(assignment, b) for b in bugs]
    return [texts[i % len(texts)] for i in range(n)]


def build(root, assignment, n, seed):
    nbcourse.build_course(root, [assignment], seed=seed, log=lambda *_: None)
    for i, text in enumerate(submissions(assignment, n)):
        dest = root / "submitted" / f"s{i:03d}" / assignment
        shutil.copytree(root / "release" / assignment, dest)
        (dest / f"{assignment}.py").write_text(text, encoding="utf-8")
    write_kernelspec(root.parent / "plain-jupyter")


def autograde(root, assignment, mode):
    local = root / "nbgrader_config_local.py"
    if mode == "kernel":
        local.write_text(KERNEL_MODE.format(jupyter=str(root.parent / "plain-jupyter")))
    elif local.exists():
        local.unlink()
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOGRADER_SEED", "PYTHONPATH", "JUPYTER_PATH")}
    start = time.perf_counter()
    nbcourse.nbgrader(root, "autograde", assignment, "--force", env=env)
    return time.perf_counter() - start


def totals(root, assignment):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(assignment)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="mle")
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args(argv)
    times = {"kit": [], "kernel": []}
    scores = {}
    with tempfile.TemporaryDirectory(prefix="bench-nbgrader-") as tmp:
        root = Path(tmp) / "course"
        build(root, args.assignment, args.students, args.seed)
        for _ in range(args.rounds):
            for mode in ("kit", "kernel"):
                times[mode].append(autograde(root, args.assignment, mode))
                scores[mode] = totals(root, args.assignment)
    rows = []
    for mode, label in (("kernel", "kernel per notebook (nbgrader's Execute, before)"),
                        ("kit", "snapshot graded in the sandbox, no kernel (now)")):
        best, med = min(times[mode]), statistics.median(times[mode])
        rows.append([label, f"{best:.1f}", f"{med:.1f}", f"{best / args.students:.1f}",
                     f"{med / args.students:.1f}"])
    print_table(f"`nbgrader autograde {args.assignment} --force`, {args.students} students, {args.rounds} rounds "
                f"(load average {os.getloadavg()[0]:.1f})", ["way", "class best (s)", "class median (s)", "per student best (s)", "per student median (s)"],
                rows)
    ratio = statistics.median(times["kernel"]) / statistics.median(times["kit"])
    print(f"\nkit / kernel: {ratio:.2f}x faster (medians); same totals: {scores['kit'] == scores['kernel']}")
    print(json.dumps({"times": times, "scores": scores}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
