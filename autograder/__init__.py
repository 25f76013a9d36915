"""The kit's grading engine: ``python -m autograder grade | grade-all``.

Kept import-light on purpose: the sandboxed child imports this package
(for :mod:`autograder.wire`) before any student code runs.
"""
