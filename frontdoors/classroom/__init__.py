"""GitHub Classroom: the workflow template and the reporter's output."""
