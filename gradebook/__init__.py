"""The instructor's side of a gradebook: grades back into the LMS, and late work.

Built on the engine's results and, like ``reports/``, never imported by it:
``grade-all --export / --policy`` runs ``python -m gradebook`` on the results
folder in a process of its own (:mod:`gradebook.__main__`).

- :mod:`gradebook.lms`: the gradebook in the file Canvas, Moodle or Blackboard imports,
  keyed by the identity the LMS gave each student in the bulk download;
- :mod:`gradebook.policy`: a late policy (deadline, time zone, extensions, grace, a
  penalty per started day or hour) and the evidence of each submission's time.
"""
