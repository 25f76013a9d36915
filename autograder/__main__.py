import os
import sys

# One BLAS/OpenMP thread in the grader process, set before NumPy, SciPy or scikit-learn load their
# libraries (each reads this once, when loaded): the engine limits the grading to one thread
# (autograder/engine.py), and a library loaded later (SciPy's own OpenBLAS, scikit-learn's OpenMP)
# would otherwise start with one thread per core, which spins on a busy machine. Inherited by
# grade-all's worker processes; the sandboxed child sets its own.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

from . import cli  # noqa: E402

code = cli.main()
if cli.one_grading_done:
    # One submission graded, its results written (closed, renamed into place) and printed: the
    # process ends now rather than tearing NumPy, SciPy, scikit-learn and pytest down module by
    # module (0.1 s of every Gradescope submission). Its sandbox is gone already; nothing is
    # left for an exit handler.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what it would have shown is lost either way
            pass
    os._exit(code)
sys.exit(code)
