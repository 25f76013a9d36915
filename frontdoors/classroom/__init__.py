"""GitHub Classroom: the student template (public tests only) and the collection of each commit at the deadline."""
