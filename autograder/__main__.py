import os
import sys

# One BLAS/OpenMP thread in the grader process, set before NumPy, SciPy or scikit-learn load their
# libraries (each reads this once, when loaded): the engine limits the grading to one thread
# (autograder/engine.py), and a library loaded later (SciPy's own OpenBLAS, scikit-learn's OpenMP)
# would otherwise start with one thread per core, which spins on a busy machine. Inherited by
# grade-all's worker processes; the sandboxed child sets its own.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

from .cli import main  # noqa: E402

sys.exit(main())
