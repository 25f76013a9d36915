"""nbgrader: the course builder and what its autograder cells call."""
