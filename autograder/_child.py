"""The sandboxed process that imports a submission and serves calls into it.

Started by :mod:`autograder.sandbox` as ``python -I -c ...``; never imported
by the grader itself. Order of events (all before any student code runs):

1. resource limits (address space, file size, core dumps, open files);
2. the libraries students may use are imported (NumPy, ``scipy.special``,
   ``scipy.linalg`` and common standard-library modules);
3. where the OS allows it: new PID, network and mount namespaces, and in the
   mount namespace an allow-listed root (:mod:`autograder._jail`): a fresh
   tmpfs holding only the interpreter, the allowed packages (``scipy/stats``
   empty), their shared libraries, a few devices, its own ``/proc`` and the
   capped working folder, ``/tmp`` and ``/dev/shm``; the old root is detached
   and every mount but those three is read-only. Without namespaces nothing is
   graded unless the grader was told ``--unisolated``;
4. as root: the process becomes a fresh unprivileged user (all capabilities
   gone, ``no_new_privs`` set, a process-count limit);
5. what the submission needs is checked to be reachable (else the grading
   stops with the reason: it is the machine's fault, not the student's);
6. an audit hook (it cannot be removed) refuses forbidden imports by name,
   signals and processes where no PID namespace contains them, network
   sockets, reading the private folders and writing outside the working
   directory (and the private /tmp and HOME);
7. the working directory is a fresh, empty temporary folder; a "ready" frame
   tells the grader that set-up is over. Nothing of the submission is known
   yet: its files come with the first request (``import``, whose time limit
   starts then), so a child can be set up before the grader knows which
   submission it will run (:func:`autograder.engine.grade`'s ``spare``).

Then it reads requests (plain-data frames, :mod:`autograder.wire`) and
answers each with plain data, a handle to an object kept here, or an error
description. Standard output and error go to a pipe the grader caps.

This module keeps :func:`main` (the order above) and steps 1 and 2; the rest
lives in modules named for what they hold, all imported with this one:
:mod:`autograder._isolation` (namespaces and privileges: steps 3-5),
:mod:`autograder._audit` (the audit hook: step 6) and :mod:`autograder._server`
(serving calls).
"""
from __future__ import annotations

import json
import os
import sys

# Every module of the kit the child needs is imported here, when ``main`` is imported: before
# the kit's folders leave sys.path and the allow-listed root (which holds no copy of the kit)
# replaces the machine's. A kit module imported later, from inside a function, would not be found.
from autograder import _jail, wire  # noqa: F401  (the child's root, built by _isolation; the frames)
from autograder._audit import _install_audit_hook
from autograder._isolation import _SetupError, _check_reachable, _die_with_parent, _drop_privileges, _isolate
from autograder._server import _Server


def _set_limits(cfg):
    import resource

    mem = cfg["memory_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = cfg["max_file_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def _preimport(scipy_too=True):
    import numpy  # noqa: F401
    import numpy.fft  # noqa: F401
    import numpy.linalg  # noqa: F401
    import numpy.random  # noqa: F401

    if scipy_too:
        import scipy.linalg  # noqa: F401
        import scipy.special  # noqa: F401

    for name in ("abc", "bisect", "collections", "contextlib", "copy", "dataclasses", "decimal",
                 "enum", "fractions", "functools", "heapq", "itertools", "math", "numbers",
                 "operator", "random", "statistics", "string", "time", "traceback", "types",
                 "typing", "warnings"):
        __import__(name)


def main():
    cfg = json.loads(sys.argv[1])
    rfd, wfd = cfg["rfd"], cfg["wfd"]
    from autograder import wire  # (before the kit's folders are covered)

    report = {}
    _die_with_parent()  # a grader that dies (killed, crashed) takes its sandbox with it
    try:
        for procs in cfg.get("cgroups", ()):  # first: everything after is counted (autograder.cgroup)
            try:
                with open(procs, "w") as f:
                    f.write(str(os.getpid()))
            except OSError as exc:
                raise _SetupError(f"the sandbox could not join its control group {procs}: {exc}") from None
        report["cgroup"] = "memory, processes, one CPU" if cfg.get("cgroups") else "none"
        _set_limits(cfg)
        _preimport(cfg.get("preimport_scipy", True))
        libc, contained, private = _isolate(cfg, report)
        if not contained:
            if not cfg.get("unisolated"):  # refused before anything else is tried (docs/GRADING.md)
                from autograder import _jail

                raise _SetupError(_jail.refusal(report.get("namespaces")))
            cfg["no_namespaces_reason"] = (
                f"this machine gives the sandbox no PID and mount namespaces: {report.get('namespaces')}")
        _drop_privileges(cfg, libc, contained, private)
        _check_reachable(cfg)
    except _SetupError as exc:
        wire.write_frame(wfd, wire.encode({"seq": 0, "setup_error": str(exc)}))
        os._exit(0)
    if "home" in private:
        os.environ["HOME"] = private["home"]
        os.environ["TMPDIR"] = "/tmp"
    os.chdir(cfg["workdir"])
    root = os.path.realpath(cfg["root"])
    venv = os.path.join(root, ".venv")

    def kit_folder(p):  # the kit's own folders leave sys.path; its virtualenv stays
        p = os.path.realpath(p or ".")
        return (p == root or p.startswith(root + os.sep)) and not p.startswith(venv + os.sep)

    sys.path[:] = [cfg["workdir"]] + [p for p in sys.path if not kit_folder(p)]
    for name in list(sys.modules):
        if any(name == f or name.startswith(f + ".") for f in cfg["forbidden"]):
            del sys.modules[name]
    _install_audit_hook(cfg, contained, private)
    report["contained"] = contained
    report["uid"] = os.getuid()
    wire.write_frame(wfd, wire.encode({"seq": 0, "ready": report}))
    server = _Server(cfg, rfd, wfd)
    try:
        server.serve()
    finally:
        os._exit(0)
