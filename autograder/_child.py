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
7. the working directory is a fresh temporary folder holding only the
   submission; a "ready" frame tells the grader that set-up is over (the
   import's time limit starts then).

Then it reads requests (plain-data frames, :mod:`autograder.wire`) and
answers each with plain data, a handle to an object kept here, or an error
description. Standard output and error go to a pipe the grader caps.
"""
from __future__ import annotations

import json
import os
import sys

from autograder._jail import _mount  # the one mount helper (its error names the errno)


def _set_limits(cfg):
    import resource

    mem = cfg["memory_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = cfg["max_file_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def _preimport():
    import numpy  # noqa: F401
    import numpy.fft  # noqa: F401
    import numpy.linalg  # noqa: F401
    import numpy.random  # noqa: F401
    import scipy.linalg  # noqa: F401
    import scipy.special  # noqa: F401

    for name in ("abc", "bisect", "collections", "contextlib", "copy", "dataclasses", "decimal",
                 "enum", "fractions", "functools", "heapq", "itertools", "math", "numbers",
                 "operator", "random", "statistics", "string", "time", "traceback", "types",
                 "typing", "warnings"):
        __import__(name)


# ----------------------------------------------------------------------------
# namespaces and privileges (Linux; each step is skipped where not allowed)

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
    """The folders holding the forbidden packages (found without importing them)."""
    import importlib.util

    folders = []
    for name in forbidden:
        parent, _, last = name.rpartition(".")
        try:
            if parent:
                locations = [os.path.join(p, last) for p in sys.modules[parent].__path__]
            else:
                spec = importlib.util.find_spec(name)
                locations = list(spec.submodule_search_locations or []) if spec else []
        except (KeyError, ImportError, ValueError, AttributeError):
            continue
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


def _under(path, roots):
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _submission_files(workdir):
    """The grader's copies of the submission's files (regular files only), read before the switch."""
    files = {}
    for entry in os.scandir(workdir):
        if entry.is_file(follow_symlinks=False):
            with open(entry.path, "rb") as f:
                files[entry.name] = f.read()
    return files


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
    allow = cfg.get("allow") or _jail.allowed()
    forbidden = _forbidden_folders(cfg["forbidden"])
    files = _submission_files(cfg["workdir"])
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
        work, private = _jail.build(libc, cfg["newroot"], allow, files, forbidden=forbidden,
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


# ----------------------------------------------------------------------------
# the audit hook


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


# ----------------------------------------------------------------------------
# serving calls


#: errno values of a full working folder: no space, quota, file too large
_FULL = (28, 122, 27)


class _Server:
    def __init__(self, cfg, rfd, wfd):
        from autograder import wire

        self.wire = wire
        self.cfg = cfg
        self.rfd, self.wfd = rfd, wfd
        self.module = None
        self.objects = {}  # handle id -> object
        self.ids = {}  # id(object) -> handle id
        self.warned = []  # the current request's warnings (text), sent with its reply

    # -- conversions --------------------------------------------------------
    def handle_for(self, obj):
        key = id(obj)
        hid = self.ids.get(key)
        if hid is None:
            hid = len(self.objects) + 1
            self.objects[hid] = obj
            self.ids[key] = hid
        return self.wire.Handle(hid, type(obj).__name__)

    def to_plain(self, obj):
        """``on_other`` of :func:`wire.encode`: numbers, arrays or a handle."""
        import numbers

        import numpy as np

        if isinstance(obj, np.ndarray):
            arr = np.asarray(obj)
            if arr.dtype.kind == "O":
                try:
                    return arr.astype(float)
                except (TypeError, ValueError):
                    raise self.wire.WireError("an array of Python objects (not numbers)") from None
            if arr.dtype.kind not in self.wire.ALLOWED_KINDS:
                raise self.wire.WireError(f"an array of dtype {arr.dtype} (not numbers)")
            return np.array(arr)
        if isinstance(obj, bool):
            return bool(obj)
        if isinstance(obj, numbers.Integral):
            return int(obj)
        if isinstance(obj, numbers.Real):
            return float(obj)
        if isinstance(obj, numbers.Complex):
            return np.complex128(obj)
        if isinstance(obj, str):
            return str(obj)
        if isinstance(obj, (list, range)):
            return list(obj)
        if isinstance(obj, tuple):
            return tuple(obj)
        if isinstance(obj, dict):
            return dict(obj)
        return self.handle_for(obj)

    def from_plain(self, obj):
        wire = self.wire
        if isinstance(obj, wire.Handle):
            return self.objects[obj.id]
        if isinstance(obj, list):
            return [self.from_plain(x) for x in obj]
        if isinstance(obj, tuple):
            return tuple(self.from_plain(x) for x in obj)
        if isinstance(obj, dict):
            return {k: self.from_plain(v) for k, v in obj.items()}
        return obj

    # -- errors -------------------------------------------------------------
    def describe(self, exc, kind="exception"):
        import traceback

        workdir = os.path.realpath(self.cfg["workdir"])
        frames = []
        for fs in traceback.extract_tb(exc.__traceback__):
            fname = os.path.realpath(fs.filename) if fs.filename else ""
            if fname.startswith(workdir + os.sep):
                frames.append(f"{os.path.basename(fname)}, line {fs.lineno}, in {fs.name}"
                              + (f": {fs.line.strip()}" if fs.line else ""))
        message = str(exc)
        if isinstance(exc, SyntaxError):
            kind = "syntax"
            message = f"{exc.msg} ({os.path.basename(exc.filename or '')}, line {exc.lineno})"
            if exc.text:
                message += f": {exc.text.strip()}"
        elif isinstance(exc, ForbiddenImportError):
            kind = "forbidden_import"
        elif isinstance(exc, SandboxViolation):
            kind = "sandbox"
        elif isinstance(exc, NotImplementedError):
            kind = "not_implemented"
        elif isinstance(exc, SystemExit):
            kind = "exit"
            message = f"sys.exit({exc.code!r}) was called"
        elif isinstance(exc, MemoryError):
            kind = "memory"
        elif isinstance(exc, OSError) and exc.errno in _FULL:
            from autograder import _jail

            message += (f" (the working folder's quota is used up: {_jail.WORK_MB} MiB and "
                        f"{_jail.WORK_FILES} files in all, {self.cfg['max_file_mb']} MiB per file)")
        elif isinstance(exc, Warning):
            kind = "warning"
        return {"error": {"kind": kind, "type": type(exc).__name__, "message": message[:2000],
                          "where": frames[-3:]}}

    # -- requests -----------------------------------------------------------
    def do_import(self):
        import importlib.util

        name = self.cfg["module"]
        path = os.path.join(self.cfg["workdir"], name + ".py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        self.module = module
        return None

    def do(self, req):
        op = req["op"]
        if op == "import":
            return self.do_import()
        target = self.module if req.get("target") is None else self.objects[req["target"]]
        name = req.get("name")
        if op == "getattr":
            try:
                return getattr(target, name)
            except AttributeError:
                return {"@missing": name}
        if op == "call":
            if name is None:
                fn = target
            else:
                try:
                    fn = getattr(target, name)
                except AttributeError:
                    return {"@missing": name}
            args = self.from_plain(req.get("args", []))
            kwargs = self.from_plain(req.get("kwargs", {}))
            import warnings

            # warnings are recorded for the feedback (a note), never turned into errors
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                warnings.showwarning = self.note_warning
                return fn(*args, **kwargs)
        raise ValueError(f"unknown op {op!r}")

    def note_warning(self, message, category, filename, lineno, file=None, line=None):
        """``warnings.showwarning`` during a call: keep the first few, distinct, short."""
        if len(self.warned) >= 5:
            return
        try:
            text = f"{getattr(category, '__name__', 'Warning')}: {message}"[:300]
            workdir = os.path.realpath(self.cfg["workdir"])
            if filename and os.path.realpath(filename).startswith(workdir + os.sep):
                text += f" ({os.path.basename(filename)}, line {lineno})"
        except BaseException:  # noqa: BLE001 - a student Warning's __str__ may raise anything
            text = "a warning"
        if text not in self.warned:
            self.warned.append(text)

    def reply(self, seq, payload):
        wire = self.wire
        try:
            frame = wire.encode({"seq": seq, **payload}, on_other=self.to_plain)
        except BaseException as exc:  # noqa: BLE001 - student __array__ etc. may raise anything
            msg = str(exc) if isinstance(exc, wire.WireError) else f"{type(exc).__name__}: {exc}"
            frame = wire.encode({"seq": seq, "error": {
                "kind": "bad_return", "type": "BadReturn", "where": [],
                "message": f"the value returned is not plain data: {msg}"}})
        wire.write_frame(self.wfd, frame)

    def serve(self):
        wire = self.wire
        while True:
            frame = wire.read_frame(self.rfd)
            if frame is None:
                return
            req = wire.decode(frame)
            seq = req.get("seq")
            self.warned = []
            try:
                result = self.do(req)
                if isinstance(result, dict) and set(result) == {"@missing"}:
                    payload = {"error": {"kind": "missing", "type": "AttributeError", "where": [],
                                         "message": result["@missing"]}}
                else:
                    payload = {"ok": result}
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
                payload = self.describe(exc, "import" if req["op"] == "import" else "exception")
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                except BaseException:  # noqa: BLE001
                    pass
            self.reply(seq, {**payload, "warnings": self.warned} if self.warned else payload)


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
        _preimport()
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
