"""The sandboxed child's namespaces and privileges (Linux; each step is skipped where not allowed).

Steps 3 to 5 of :mod:`autograder._child`'s order of events: new PID,
network, mount, IPC, UTS and cgroup namespaces and, in the mount namespace,
the allow-listed root (:func:`_isolate`, building it with
:mod:`autograder._jail`); the fresh unprivileged user, ``no_new_privs``, the
process-count limit and no capabilities (:func:`_drop_privileges`); and the
check that what the submission needs is still reachable
(:func:`_check_reachable`). A set-up that fails raises :class:`_SetupError`:
the grading stops with the reason (the machine's fault, not the student's).

Runs only in the child, which imports it before anything is covered; never
imported by the grader.
"""
from __future__ import annotations

import os
import sys

from autograder._jail import _mount  # the one mount helper (its error names the errno)


CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
#: System V IPC and POSIX message queues, the host name, the cgroup view: the child's own, freed
#: with its last process (shared memory left by one grading can never be read by another)
CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP = 0x08000000, 0x04000000, 0x02000000
PR_SET_PDEATHSIG = 1
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 1024, 2048, 4096, 8192, 16384, 1 << 18
MS_RELATIME = 1 << 21
PR_SET_NO_NEW_PRIVS = 38


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _wait(pid):
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue


def _die_with_parent():
    import signal

    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1 and os.getpid() != 1:  # the parent died before the call
        os._exit(1)


def _enter_pid_namespace():
    """Fork into the new PID namespace: a minimal init as PID 1, the server as PID 2.

    The process outside the namespace and the init inside both wait and end
    the way the server ended, so the grader still sees a segfault as a
    segfault. From inside, no process of the grader is visible or can be
    signalled; the server, not being PID 1, receives signals normally; and
    when it ends, init ends and the kernel kills whatever it left behind.
    """
    import signal

    outside = os.fork()
    if outside:
        status = _wait(outside)
        code = os.waitstatus_to_exitcode(status)
        if 128 < code <= 128 + 64:  # init's way of saying "killed by signal code-128"
            sig = code - 128
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        os._exit(code)
    _die_with_parent()  # init: when the process outside goes, the whole namespace goes
    server = os.fork()
    if server:
        code = os.waitstatus_to_exitcode(_wait(server))
        os._exit(128 - code if code < 0 else code)  # PID 1 cannot kill itself by a signal


def _forbidden_folders(forbidden):
    """The folders holding the forbidden packages (``scipy.stats``: ``<scipy's folder>/stats``),
    found without importing them, whether or not their parent package was imported (the set-up
    imports SciPy only for a submission that spells it)."""
    import importlib.util

    folders = []
    for name in forbidden:
        parent, _, last = name.rpartition(".")
        try:
            # the package's folders (scipy's for scipy.stats): find_spec imports nothing of a
            # top-level package, and reads an imported one's __path__
            spec = importlib.util.find_spec(parent or name)
            roots = list(spec.submodule_search_locations or []) if spec else []
        except (ImportError, ValueError, AttributeError):
            continue
        locations = [os.path.join(p, last) for p in roots] if parent else roots
        folders.extend(os.path.realpath(p) for p in locations if os.path.isdir(p))
    return folders


def _needed_paths(cfg):
    """What the sandboxed interpreter must still reach: its own folders, its
    import path (the kit's folders excepted: their modules are loaded) and the
    working directory."""
    root = os.path.realpath(cfg["root"])
    venv = os.path.join(root, ".venv")
    needed = {sys.base_prefix, sys.prefix, sys.exec_prefix, cfg["workdir"]}
    for p in sys.path:
        if not p or not os.path.isdir(p):
            continue
        real = os.path.realpath(p)
        if (real == root or real.startswith(root + os.sep)) and not (
                real == venv or real.startswith(venv + os.sep)):
            continue
        needed.add(p)
    import numpy
    import scipy

    for mod in (numpy, scipy):
        needed.add(os.path.dirname(os.path.dirname(mod.__file__)))
    return sorted({os.path.realpath(p) for p in needed})


def _isolate(cfg, report):
    """PID, network and mount namespaces; the allow-listed root (:mod:`autograder._jail`).

    Returns ``(libc, contained?, {what is private and writable: path})``; when
    contained, ``cfg["workdir"]`` is the working folder inside the new root.
    """
    from autograder import _jail

    libc = _libc()
    root = os.geteuid() == 0
    flags = (CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
             | CLONE_NEWCGROUP | (0 if root else CLONE_NEWUSER))
    uid, gid = os.getuid(), os.getgid()
    if not cfg.get("namespaces", True):
        report["namespaces"] = "turned off (AUTOGRADER_SANDBOX_NAMESPACES=off)"
        return libc, False, {}
    # everything the new root holds is decided and read while the machine's root is visible
    allow = cfg.get("allow")
    if not allow:  # the grader does not know it yet: computed here, and sent back in "ready"
        allow = report["allow"] = _jail.allowed()
    forbidden = _forbidden_folders(cfg["forbidden"])
    if libc.unshare(flags) != 0:
        import ctypes

        why = os.strerror(ctypes.get_errno())
        # maybe only the network namespace is allowed
        if libc.unshare(CLONE_NEWNET | (0 if root else CLONE_NEWUSER)) == 0:
            report["network"] = "isolated"
        report["namespaces"] = f"unavailable ({why})"
        return libc, False, {}
    if not root:
        try:
            with open("/proc/self/setgroups", "w") as f:
                f.write("deny")
            with open("/proc/self/uid_map", "w") as f:
                f.write(f"{uid} {uid} 1")
            with open("/proc/self/gid_map", "w") as f:
                f.write(f"{gid} {gid} 1")
        except OSError:
            pass
    # every process of this namespace (the two below included) has "/" as its root and working
    # folder, so that pivot_root moves them all to the new root: none keeps a way to the old one
    os.chdir("/")
    _enter_pid_namespace()
    owner = (cfg["uid"], cfg["gid"]) if root and cfg.get("uid") is not None else None
    try:
        _mount(libc, None, "/", None, MS_REC | MS_PRIVATE, None)
        work, private = _jail.build(libc, cfg["newroot"], allow, forbidden=forbidden,
                                    owner=owner)
    except OSError as exc:
        report["namespaces"] = f"building the allow-listed root failed: {exc}"
        raise _SetupError(f"the sandbox could not be set up ({exc})") from None
    import importlib

    importlib.invalidate_caches()
    cfg["workdir"] = work
    report["namespaces"] = "pid, network, mount, ipc, uts, cgroup"
    report["root"] = "allow-listed (pivot_root)"
    report["hidden_libraries"] = forbidden
    return libc, True, private


class _SetupError(Exception):
    """The sandbox could not be set up: the grading stops (the machine's fault, not the student's)."""


def _drop_privileges(cfg, libc, have_mount_ns, private):
    import resource

    from autograder import _jail

    writable = {private[k] for k in ("work", "tmp", "shm") if k in private}
    if have_mount_ns:
        _jail.read_only(libc, writable)
    if os.geteuid() == 0 and cfg.get("uid") is not None:
        os.setgroups([])
        os.setgid(cfg["gid"])
        os.setuid(cfg["uid"])
    if have_mount_ns or os.getuid() != 0 and cfg.get("uid") is not None:
        # as root a fresh uid: the count is the sandbox's own; in a user namespace the
        # kernel counts per namespace (Linux >= 5.14)
        n = cfg["max_processes"]
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
        except (ValueError, OSError):
            pass
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if os.geteuid() != 0:
        # inside a user namespace we may still hold capabilities there: drop them
        import ctypes

        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

        class Data(ctypes.Structure):
            _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                        ("inheritable", ctypes.c_uint32)]

        header = Header(0x20080522, 0)
        data = (Data * 2)()
        libc.capset(ctypes.byref(header), data)


def _check_reachable(cfg):
    """Stop with the reason when this user cannot reach what the submission needs.

    As root without mount namespaces, the fresh unprivileged user relies on
    ordinary permissions: a kit (or interpreter) under a folder others cannot
    enter (``mktemp -d``, mode 0700) would make every import fail and every
    submission score 0. That is the machine's fault: the grading stops.
    """
    for path in [cfg["workdir"], *_needed_paths(cfg)]:
        try:
            os.listdir(path)
        except OSError as exc:
            blocked, cur = path, "/"
            for part in path.split(os.sep)[1:]:
                cur = os.path.join(cur, part)
                if not os.access(cur, os.X_OK):
                    blocked = cur
                    break
            raise _SetupError(
                f"the sandboxed user (uid {os.getuid()}) cannot reach {path} ({exc.strerror}; "
                f"blocked at {blocked}, mode {_mode(blocked)}). Keep the kit and its Python in "
                "folders other users may enter (chmod o+x on the parents), or grade on a system "
                "with mount namespaces") from None


def _mode(path):
    try:
        return oct(os.stat(path).st_mode & 0o7777)
    except OSError:
        return "unknown"
