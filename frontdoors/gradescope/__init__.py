"""Gradescope: the autograder zip (setup.sh, run_autograder) around the engine."""
