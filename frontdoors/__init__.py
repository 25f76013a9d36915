"""Front doors: one per LMS (nbgrader, Gradescope, GitHub Classroom), each a thin layer over :mod:`autograder`."""
