"""The hidden tests: one folder per assignment, one module per graded part.

``hidden_tests/<a>/test_<part>.py`` grades part ``<part>`` of assignment
``<a>``; each test carries its points (``@points``), the spec it grades and the
mistakes it names. The engine (``python -m autograder grade``) runs them; a
student never sees them (nor can the student's code read them while graded).
"""
