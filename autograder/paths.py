"""Where the kit keeps things: one place, so a folder moves in one line.

Every module that needs a folder of the kit imports it from here rather than
counting ``Path(__file__).parents``. (Packages find their own data beside
themselves: ``datasets/`` its files, ``reports/`` its templates; a student's
handout carries ``datasets/`` without the engine.)
"""
from pathlib import Path

#: the kit's checkout (the folder holding ``autograder/``)
ROOT = Path(__file__).resolve().parents[1]
#: the reference solutions, one folder per assignment: ``solutions/<a>/<a>.py``
SOLUTIONS = ROOT / "solutions"
#: the hidden tests, one folder per assignment: ``hidden_tests/<a>/test_<part>.py``
HIDDEN_TESTS = ROOT / "hidden_tests"
#: what students get (generated from ``solutions/``): ``assignments/<a>/<a>.py``
STUDENT = ROOT / "assignments"
#: the shipped data, its loaders and checksums
DATASETS = ROOT / "datasets"
#: everything the kit's commands write by default
BUILD = ROOT / "build"
#: the grading engine's own pytest configuration
PYTEST_INI = ROOT / "autograder" / "grading.ini"


def reference_module(assignment):
    """The reference solution of ``assignment``: ``solutions/<a>/<a>.py``."""
    return SOLUTIONS / assignment / f"{assignment}.py"


def student_module(assignment):
    """The stub students fill in: ``assignments/<a>/<a>.py``."""
    return STUDENT / assignment / f"{assignment}.py"
