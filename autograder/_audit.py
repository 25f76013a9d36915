"""The sandboxed child's audit hook: the Python-level guard, the first line, which gives the messages.

Step 6 of :mod:`autograder._child`'s order of events (:func:`_install_audit_hook`):
forbidden imports refused by name (a first entry on ``sys.meta_path`` and,
as the backstop, an audit hook, which cannot be removed); signals and
processes where no PID namespace contains them; network sockets; reading the
private folders; writing outside the working directory (and the private
/tmp and HOME). Also the one text of a forbidden import's refusal,
:func:`forbidden_import_message`, which ``python -m authoring`` copies into
every assignment's ``conftest.py``.

Runs only in the child, which imports it before anything is covered; never
imported by the grader. Standard library only.
"""
from __future__ import annotations

import os
import sys

class ForbiddenImportError(ImportError):
    """Raised when a submission imports a module the assignment forbids."""


def forbidden_import_message(name, forbidden):
    """The refusal of importing ``name`` when ``forbidden`` modules are refused, or None if allowed.

    The one text of the refusal: the sandbox raises it, and the public tests'
    ``conftest.py`` in every assignment folder (written by ``python -m authoring``
    from this function's source) raises the same, so a student reads it before submitting.
    """
    if not isinstance(name, str):
        return None
    for f in forbidden:
        if name == f or name.startswith(f + "."):
            # name what the student wrote, not a private submodule it pulled in
            shown = f if any(part.startswith("_") for part in name.split(".")) else name
            return (f"import of {shown!r} refused: this assignment may not use "
                    f"{' or '.join(forbidden)} (the autograder compares against them); "
                    "use NumPy, scipy.special and scipy.linalg")
    return None


class SandboxViolation(PermissionError):
    """Raised when a submission tries something the sandbox refuses."""


def _install_audit_hook(cfg, contained=False, private=None):
    """The Python-level guard: the first line, which gives the messages.

    ``contained``: the child runs in its own PID and mount namespaces, so
    processes it starts cannot escape them or read the hidden folders, and
    signals reach only its own processes: both are then allowed.
    ``private``: the private writable folders (/tmp, HOME...) besides the
    working directory.
    """
    workdir = os.path.realpath(cfg["workdir"])
    hidden = [os.path.realpath(p) for p in cfg["hidden"]]
    forbidden = tuple(cfg["forbidden"])
    writable = (workdir, *sorted(set((private or {}).values())))
    allowed_write = (*writable, "/dev/null")
    own_pid = os.getpid()
    realpath = os.path.realpath
    fspath = os.fspath
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    why = cfg.get("no_namespaces_reason") or "this machine gives the sandbox no PID and mount namespaces"
    uncontained = f": {why}, so processes could not be contained"
    refused_events = {
        "socket.connect": "using the network", "socket.bind": "using the network",
        "socket.sendto": "using the network", "socket.sendmsg": "using the network",
        "os.setuid": "changing user", "os.putenv": None,
    }
    if not contained:
        refused_events.update({
            "os.fork": "starting a process", "os.forkpty": "starting a process",
            "os.posix_spawn": "starting a process", "os.spawn": "starting a process",
            "os.exec": "starting a program", "os.system": "running a shell command",
            "subprocess.Popen": "starting a process", "pty.spawn": "starting a process",
        })
    path_events = {"os.remove", "os.rmdir", "os.rename", "os.replace", "os.truncate", "os.chmod",
                   "os.chown", "os.link", "os.symlink", "os.mkdir", "shutil.rmtree", "os.utime",
                   "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.move"}

    def under(path, roots):
        return any(path == r or path.startswith(r + os.sep) for r in roots)

    def resolve(p):
        if isinstance(p, int):
            return None
        try:
            return realpath(fspath(p))
        except (TypeError, ValueError):
            return None

    message = forbidden_import_message

    def refuse_forbidden(name):
        text = message(name, forbidden)
        if text is not None:
            raise ForbiddenImportError(text)

    class RefuseForbidden:
        """First on sys.meta_path: catches importlib.import_module and friends."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            refuse_forbidden(name)

    sys.meta_path.insert(0, RefuseForbidden)

    def hook(event, args):
        if event == "import":  # the backstop: an audit hook cannot be removed
            refuse_forbidden(args[0])
            return
        if event == "open":
            path = resolve(args[0])
            if path is None:
                return
            mode, flags = args[1], args[2] or 0
            if under(path, hidden):
                raise SandboxViolation(f"reading {args[0]!r} is not allowed while grading")
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags & write_flags)
            if writing and not under(path, allowed_write):
                raise SandboxViolation(
                    f"writing {args[0]!r} is not allowed: your code may only write files "
                    "in its working directory")
            return
        if event in ("os.listdir", "os.scandir"):
            path = resolve(args[0] if args and args[0] is not None else ".")
            if path is not None and under(path, hidden):
                raise SandboxViolation(f"listing {args[0]!r} is not allowed while grading")
            return
        if event in path_events:
            for a in args:
                if isinstance(a, (str, bytes, os.PathLike)):
                    path = resolve(a)
                    if path is not None and not under(path, writable):
                        raise SandboxViolation(
                            f"{event} on {a!r} is not allowed: your code may only change "
                            "files in its working directory")
            return
        if event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            if contained or (event == "os.kill" and args[0] == own_pid):
                return  # in its own PID namespace only its own processes can be reached
            raise SandboxViolation("sending signals to other processes is not allowed while grading")
        what = refused_events.get(event, False)
        if what:
            reason = uncontained if what.startswith(("starting", "running")) else ""
            raise SandboxViolation(f"{what} is not allowed while grading{reason}")

    sys.addaudithook(hook)
