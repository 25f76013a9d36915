"""Run a submission in a child process and call into it with plain data.

The grader (the parent) never imports student code. A :class:`Session` owns
one child process (see :mod:`autograder._child` for what the child does to
itself before any student code runs) and restarts it when it dies, so a crash
in one graded call costs only the tests that make that call.

Guarantees per call: a wall-clock timeout (the child's whole process group
and every process of the sandbox's user or carrying its token are killed on
time-out), a reply bounded before it is decoded (:mod:`autograder.wire`'s
limits) and decoded within the call's deadline, results decoded as plain
data only, and a clear :class:`StudentCodeError` for everything that can go
wrong. Per grading: a wall-clock :class:`Budget` shared by all its sessions.
A sandbox that cannot be set up raises :class:`SandboxSetupError` (the
grading stops: it is the machine's fault, never the student's).
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from . import _jail, wire
from .cgroup import HEADROOM_MB, Cgroup
from .paths import ROOT



#: Modules the assignments forbid (docs/ASSIGNMENTS.md): the autograder compares
#: against their implementations of these very methods.
FORBIDDEN_IMPORTS = ("sklearn", "scipy.stats")

DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = 2048
OUTPUT_CAP = 16 * 1024
MAX_RESTARTS = 25
MAX_PROCESSES = 64  # per sandbox (RLIMIT_NPROC, and its control group's pids.max)
STARTUP_TIMEOUT = 20.0  # importing the module, counted from when its import starts
SETUP_TIMEOUT = 120.0  # the sandbox's own set-up (NumPy, SciPy, namespaces), before that


def unisolated_allowed():
    """True when the instructor said to grade even where student code cannot be isolated
    (``--unisolated``, or ``AUTOGRADER_UNISOLATED=1`` for the front doors)."""
    return os.environ.get("AUTOGRADER_UNISOLATED", "").lower() in ("1", "yes", "on", "true")


#: Said in every result graded without the allow-listed sandbox.
UNISOLATED = ("this machine gave the sandbox no namespaces ({why}), so the student's code could "
              "see the machine's files as an unprivileged user")


#: The child's allow-list, per interpreter (its real path): computed once per grader process, by
#: the first child (in its own process, while the grader collects the hidden tests; it sends the
#: list in its "ready" frame, written before any student code runs) and passed to every later one.
_ALLOW = {}


def _allow_list(python=None):
    """The allow-list of ``python`` (default: this interpreter), or None when not known yet."""
    return _ALLOW.get(os.path.realpath(python or sys.executable))


def namespaces_wanted():
    """False when ``AUTOGRADER_SANDBOX_NAMESPACES=off``: the kit's tests use it to
    check what holds on a machine without namespaces."""
    return os.environ.get("AUTOGRADER_SANDBOX_NAMESPACES", "").lower() not in ("off", "0", "no")


class SandboxSetupError(Exception):
    """The sandbox could not be set up (before any student code ran): the grader cannot run."""


class Budget:
    """The wall-clock budget of one grading, shared by all of its sessions."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def left(self):
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def message(self):
        return f"not run: the grading's time budget of {self.seconds:g} s was used up"


class StudentCodeError(Exception):
    """Something went wrong in (or because of) the student's code.

    ``str(error)`` is the feedback message, in the student's terms.
    ``kind`` is one of: exception, not_implemented, missing, syntax, import,
    forbidden_import, sandbox, exit, memory, warning, bad_return, timeout,
    crash, protocol.
    """

    def __init__(self, message, kind="exception", where=()):
        super().__init__(message)
        self.kind = kind
        self.where = list(where)


class RemoteObject:
    """An object living in the student process (an instance, a method...).

    Attribute reads and calls are forwarded; nothing else is. In particular
    it has no ``__eq__``, ``__array__`` or ``__float__`` of the student's.
    """

    __slots__ = ("_session", "_handle", "_generation", "_label")

    def __init__(self, session, handle, label):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_generation", session.generation)
        object.__setattr__(self, "_label", label)

    @property
    def type_name(self):
        return self._handle.type_name

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.request({"op": "getattr", "target": self._target(), "name": name},
                                     f"{self._label}.{name}")

    def __call__(self, *args, **kwargs):
        return self._session.request(
            {"op": "call", "target": self._target(), "name": None, "args": list(args),
             "kwargs": kwargs}, f"{self._label}(...)")

    def __setattr__(self, name, value):
        raise AttributeError("remote objects are read-only")

    def _target(self):
        self._session._ensure_started(self._label)  # a crash since: the restart happens first
        if self._generation != self._session.generation:
            raise StudentCodeError(
                f"{self._label} was lost: the process running your code was restarted after an "
                "earlier crash, so objects created before it are gone", "crash")
        return self._handle.id

    def __repr__(self):
        return f"<student {self.type_name} object>"


class StudentModule:
    """The proxy tests call: ``student.gaussian_mle(x)`` runs in the child."""

    def __init__(self, session):
        self._session = session

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        session = self._session

        def call(*args, **kwargs):
            return session.request({"op": "call", "target": None, "name": name,
                                    "args": list(args), "kwargs": kwargs}, f"{name}(...)")

        call.__name__ = name
        return call


#: fcntl's F_SETPIPE_SZ (Linux), and the pipe size asked for: arrays of several MiB (MNIST) cross
#: in 1 MiB steps instead of the default 64 KiB ones, a fraction of the context switches
F_SETPIPE_SZ, PIPE_SIZE = 1031, 1 << 20


def _widen(fd):
    """Ask for a larger pipe buffer; where the system refuses (its pipe-max-size, a user's pipe
    quota), the pipe keeps its size and the frames cross in smaller steps."""
    import fcntl

    try:
        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE)
    except OSError:
        pass


def _mentions_scipy(sources):
    """Whether the child should import SciPy's linalg and special during its set-up: unless the
    submission is known (a spare's is not) and never spells "scipy" (0.1 s less set-up)."""
    return not sources or any(b"scipy" in Path(src).read_bytes() for src in sources)


def _pick_sandbox_uid():
    """A uid no account and no running process uses, fresh for every Session (root only).

    Drawn at random from a range far above ordinary accounts, so two Sessions
    (in one grading, or in parallel gradings) never share one: killing one
    Session's strays by uid can never touch another's child.
    """
    in_use = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                in_use.add(os.stat(entry.path).st_uid)
            except OSError:
                continue
    while True:
        uid = 200_000 + secrets.randbelow(1_000_000_000)
        if uid in in_use:
            continue
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid


class Session:
    """One submission, one child process at a time (restarted on a crash)."""

    def __init__(self, module_name, sources, *, memory_mb=DEFAULT_MEMORY_MB, hidden=(),
                 python=None, budget=None, unisolated=None):
        self.module_name = module_name
        self.sources = [Path(s) for s in sources]
        self.memory_mb = memory_mb
        self.python = python or sys.executable
        self.timeout = DEFAULT_TIMEOUT
        self.warnings = []  # warnings the calls emitted (distinct texts), for the feedback's note
        self.generation = 0
        self.restarts = 0
        self.import_failure = None
        self.proc = None
        self.budget = budget or Budget(None)
        self.token = secrets.token_hex(16)
        self.as_root = os.geteuid() == 0
        self.uid = _pick_sandbox_uid() if self.as_root else None
        self.gid = self.uid
        self._tmp_base = Path(tempfile.mkdtemp(prefix="autograder-"))
        os.chmod(self._tmp_base, 0o755)
        self.hidden = self._safe_hidden(hidden)
        self.isolation = None  # what the child reported it could set up
        # grade where the child cannot be isolated only when told so (docs/GRADING.md, "Isolation")
        self.unisolated = unisolated_allowed() if unisolated is None else unisolated
        self.output = bytearray()
        self.output_dropped = 0
        self.events = []  # what happened (crashes, restarts), for the results' output
        self.unisolated_note = None  # set when the child ran without the allow-listed root
        self.cgroup = None
        self.namespaces = namespaces_wanted()
        self.adopted = False  # a spare that took its submission (adopt)
        self._seq = 0
        self._imported = False  # the running child has imported the module

    # -- lifecycle ------------------------------------------------------------
    def _safe_hidden(self, hidden):
        """The private folders that can be covered without hiding what the child needs.

        Never an ancestor of the kit, the interpreter or the sandbox's own
        temporary folder (as given and as resolved: a virtualenv may be a
        symlink); never a folder inside one already covered.
        """
        protected = set()
        for p in (ROOT, sys.prefix, sys.base_prefix, sys.exec_prefix, self._tmp_base):
            protected.add(Path(os.path.abspath(p)))
            protected.add(Path(p).resolve())
        keep = []
        for h in sorted({Path(h).resolve() for h in hidden if Path(h).is_dir()}, key=lambda p: len(p.parts)):
            if any(p == h or h in p.parents for p in protected):
                continue
            if any(k == h or k in h.parents for k in keep):
                continue
            keep.append(h)
        return [str(k) for k in keep]

    def is_spare_for(self, module_name, hidden, python=None, memory_mb=DEFAULT_MEMORY_MB):
        """Whether this session can run a grading of ``module_name`` that hides ``hidden``: a spare
        (:meth:`adopt`) whose child is alive and has had no request — so it has run nothing of
        any submission — with this module, interpreter, memory limit, isolation settings and the
        very same private folders (as this session reads them)."""
        return (not self.sources and self.generation == 1 and self.restarts == 0 and self._seq == 0
                and not self._imported and self.proc is not None and self.proc.poll() is None
                and self.module_name == module_name and self.memory_mb == memory_mb
                and os.path.realpath(self.python) == os.path.realpath(python or sys.executable)
                and self.unisolated == unisolated_allowed() and self.namespaces == namespaces_wanted()
                and self.hidden == self._safe_hidden(hidden))

    def adopt(self, sources, budget):
        """A spare takes its submission: started by :meth:`prestart` with no sources, it set itself
        up (namespaces, allow-listed root, privileges, audit hook) knowing nothing of any
        submission; the files go with its first request, the import, exactly as for a child
        started now. Check :meth:`is_spare_for` first."""
        if self.sources or self._seq:
            raise RuntimeError("only an unused spare session can take a submission")
        self.sources = [Path(s) for s in sources]
        self.budget = budget
        self.adopted = True

    def _close_private_folders(self):
        """Without mount namespaces, as root: permissions alone keep the child out.

        Done only where the child reported that it could not cover the
        private folders (a container that forbids mount namespaces), since it
        changes the instructor's checkout for good (group and other lose
        their access to the kit's private folders).
        """
        for h in self.hidden:
            try:
                mode = os.stat(h).st_mode & 0o777
                if mode & 0o077:
                    os.chmod(h, mode & 0o700)
            except OSError:
                continue

    def _start(self):
        self.generation += 1
        self._imported = False
        # empty: the submission's files come with the import request (_handshake)
        workdir = Path(tempfile.mkdtemp(prefix="work-", dir=self._tmp_base))
        if self.as_root:
            os.chown(workdir, self.uid, self.gid)
        os.chmod(workdir, 0o700)
        self.workdir = workdir
        new_root = self._tmp_base / f"root-{self.generation}"
        new_root.mkdir(mode=0o755)
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        for fd in (req_w, rep_w):
            _widen(fd)
        cfg = {
            "root": str(ROOT), "workdir": str(workdir), "module": self.module_name,
            "hidden": self.hidden, "forbidden": list(FORBIDDEN_IMPORTS),
            "memory_mb": self.memory_mb, "max_file_mb": 64, "max_processes": MAX_PROCESSES,
            "uid": self.uid, "gid": self.gid, "rfd": req_r, "wfd": rep_w,
            "namespaces": self.namespaces, "newroot": str(new_root), "unisolated": self.unisolated,
            # known from an earlier child of the same interpreter, else the child computes it
            "allow": _allow_list(self.python),
            "preimport_scipy": _mentions_scipy(self.sources),
        }
        # one control group for all the sandbox holds (root, or a delegated cgroup v2 subtree)
        self.cgroup = Cgroup.create(
            f"autograder-{self.token}-{self.generation}", processes=MAX_PROCESSES + 8,
            memory_mb=self.memory_mb + _jail.WORK_MB + 2 * _jail.SCRATCH_MB + HEADROOM_MB)
        cfg["cgroups"] = self.cgroup.procs if self.cgroup else []
        env = {
            "PATH": "/usr/bin:/bin", "HOME": str(workdir), "LANG": "C.UTF-8", "TMPDIR": str(workdir),
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
            "AUTOGRADER_SANDBOX_TOKEN": self.token,
        }
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if key in os.environ:
                env[key] = os.environ[key]
        boot = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
                "from autograder._child import main; main()")
        self.proc = subprocess.Popen(
            [self.python, "-I", "-c", boot, json.dumps(cfg)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(req_r, rep_w), env=env, cwd=str(workdir), start_new_session=True)
        os.close(req_r)
        os.close(rep_w)
        os.set_blocking(req_w, False)  # requests are written within the call's deadline
        self._req_w, self._rep_r = req_w, rep_r
        self._drain = threading.Thread(target=self._drain_output, args=(self.proc.stdout,),
                                       daemon=True)
        self._drain.start()

    def _drain_output(self, stream):
        while True:
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not chunk:
                return
            room = OUTPUT_CAP - len(self.output)
            if room > 0:
                self.output += chunk[:room]
            self.output_dropped += max(0, len(chunk) - max(room, 0))

    def _kill(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for fd in (self._req_w, self._rep_r):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._kill_strays()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        self._drain.join(timeout=2)
        self._last_status = proc.returncode

    def _kill_strays(self):
        """Kill grandchildren that left the process group (setsid, double fork)."""
        me = os.getpid()
        for _ in range(3):
            found = False
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit() or int(entry.name) == me:
                    continue
                try:
                    with open(f"/proc/{entry.name}/status", "rb") as f:
                        status = f.read()
                    if b"\nState:\tZ" in status:
                        continue  # already dead, waiting to be reaped by its parent
                    if self.as_root:
                        uid_line = next(ln for ln in status.splitlines() if ln.startswith(b"Uid:"))
                        ours = int(uid_line.split()[1]) == self.uid
                    else:
                        with open(f"/proc/{entry.name}/environ", "rb") as f:
                            ours = self.token.encode() in f.read()
                    if ours:
                        os.kill(int(entry.name), signal.SIGKILL)
                        found = True
                except (OSError, StopIteration, ValueError):
                    continue
            if not found:
                return
            time.sleep(0.05)

    def close(self):
        self._kill()
        shutil.rmtree(self._tmp_base, ignore_errors=True)

    # -- calls ----------------------------------------------------------------
    def prestart(self):
        """Start the child now, without waiting for it: its set-up (interpreter, NumPy, SciPy,
        namespaces, the allow-listed root) runs while the grader does its own work (collecting
        the hidden tests, computing a test's expected values). The first call waits for its
        "ready" frame, then imports the module, exactly as a child started by that call would."""
        if (self.proc is None and self.import_failure is None and self.budget.left() > 0
                and self.restarts < MAX_RESTARTS and self.generation == 0):
            self._start()

    def _ensure_started(self, label):
        if self.import_failure is not None:
            raise self.import_failure
        if self.proc is not None:
            if not self._imported:
                self._handshake()
            return
        if self.budget.left() <= 0:
            raise StudentCodeError(self.budget.message(), "budget")
        if self.restarts >= MAX_RESTARTS:
            raise StudentCodeError(
                f"not run: the process running your code crashed {MAX_RESTARTS} times, so the "
                "remaining checks were skipped", "crash")
        if self.generation > 0:
            self.restarts += 1
            self.events.append(f"restarted the process running your code before {label}")
        self._start()
        self._handshake()

    def _handshake(self):
        """Wait for the started child's "ready" frame, then import the module (its own time limit)."""
        self._await_ready()
        try:
            self._roundtrip({"op": "import", "files": self._files()}, "importing your module",
                            max(self.timeout, STARTUP_TIMEOUT))
        except StudentCodeError as exc:
            if exc.kind == "budget":
                self._kill()
                raise
            # deterministic: every later call would fail the same way, so remember it
            self.import_failure = StudentCodeError(
                f"your module could not be imported: {exc}",
                "import" if exc.kind == "exception" else exc.kind, exc.where)
            self._kill()
            raise self.import_failure from None
        self._imported = True

    def _files(self):
        """The submission's files as the import request carries them: ``{name: uint8 array}``
        (the first source is the module itself, under the module's name)."""
        return {(f"{self.module_name}.py" if i == 0 else src.name): np.frombuffer(src.read_bytes(), np.uint8)
                for i, src in enumerate(self.sources)}

    def _await_ready(self):
        """Wait for the child's "ready" frame: set-up is over, no student code ran yet.

        The import's time limit starts only then. Anything else (a set-up
        error, death, silence) is the machine's problem: SandboxSetupError.
        """
        try:
            reply = self._read_reply(time.monotonic() + SETUP_TIMEOUT)
        except (_Timeout, EOFError, OSError, wire.WireError) as exc:
            status = self._death_message("the sandbox's set-up")
            self._kill()
            printed = self.captured_output().strip()[-1500:]
            raise SandboxSetupError(
                f"the sandbox could not be set up ({type(exc).__name__}: {exc}; {status})"
                + (f":\n{printed}" if printed else "")) from None
        if not isinstance(reply, dict) or "ready" not in reply:
            self._kill()
            why = reply.get("setup_error") if isinstance(reply, dict) else None
            raise SandboxSetupError(why or f"the sandbox's set-up answered {reply!r:.200}")
        self.isolation = reply["ready"]
        allow = self.isolation.pop("allow", None)
        if allow is not None:  # the child computed it (no student code has run yet): kept for the next
            _ALLOW.setdefault(os.path.realpath(self.python), allow)
        if not self.isolation.get("contained"):
            why = self.isolation.get("namespaces") or "unknown"
            if not self.unisolated:
                self._kill()
                raise SandboxSetupError(_jail.refusal(why))
            self.unisolated_note = UNISOLATED.format(why=why)
            if self.as_root:
                self._close_private_folders()

    def request(self, msg, label):
        """Send one request; return its plain-data result (handles wrapped)."""
        self._ensure_started(label)
        result = self._roundtrip(msg, label, self.timeout)
        return self._wrap(result, label)

    def _wrap(self, value, label):
        if isinstance(value, wire.Handle):
            return RemoteObject(self, value, label.removesuffix("(...)"))
        if isinstance(value, list):
            return [self._wrap(v, label) for v in value]
        if isinstance(value, tuple):
            return tuple(self._wrap(v, label) for v in value)
        if isinstance(value, dict):
            return {k: self._wrap(v, label) for k, v in value.items()}
        return value

    def _encode_arg(self, obj):
        if isinstance(obj, RemoteObject):
            return wire.Handle(obj._target(), obj.type_name)
        raise wire.WireError(f"cannot send an object of type {type(obj).__name__}")

    def _roundtrip(self, msg, label, timeout):
        self._seq += 1
        seq = self._seq
        # the grader's own arrays, written as they are (no copy): nothing changes them meanwhile
        frame = wire.encode_parts({"seq": seq, **msg}, on_other=self._encode_arg)
        left = self.budget.left()
        if left <= 0:
            self._kill()
            raise StudentCodeError(self.budget.message(), "budget")
        by_budget = left < timeout
        deadline = time.monotonic() + min(timeout, left)
        try:
            try:
                wire.write_frame(self._req_w, frame, deadline)
            except TimeoutError:  # a child that stopped reading (SIGSTOP, a full pipe)
                raise _Timeout from None
            reply = self._read_reply(deadline)
        except _Timeout:
            self._kill()
            if by_budget:
                raise StudentCodeError(
                    f"{label} was stopped: the grading's time budget of {self.budget.seconds:g} s "
                    "was used up", "budget") from None
            raise StudentCodeError(
                f"{label} did not finish within {timeout:g} s (an infinite loop, or a very slow "
                "computation?)", "timeout") from None
        except (BrokenPipeError, EOFError, ConnectionError):
            message = self._death_message(label)
            self._kill()
            raise StudentCodeError(message, "crash") from None
        except wire.WireError as exc:
            self._kill()
            raise StudentCodeError(f"{label}: the answer could not be read ({exc}); did your "
                                   "code write into the grader's channel?", "protocol") from None
        if not isinstance(reply, dict) or reply.get("seq") != seq:
            self._kill()
            raise StudentCodeError(f"{label}: an unexpected message came back (did your code "
                                   "write into the grader's channel?)", "protocol")
        noted = reply.get("warnings")
        if isinstance(noted, list):
            for text in noted[:5]:
                if isinstance(text, str) and text[:300] not in self.warnings and len(self.warnings) < 5:
                    self.warnings.append(text[:300])
        if "error" in reply:
            raise self._error(reply["error"], label)
        return reply.get("ok")

    def _read_reply(self, deadline):
        """One frame from the child, refused by its prefix before its body is read.

        The body goes straight into one preallocated buffer (no copies), the
        header is checked by counting before it is parsed, and decoding
        counts against ``deadline`` like the reading does.
        """
        head = bytearray(16)
        self._read_into(head, deadline)
        total, hlen = wire._HEAD.unpack(head)
        wire.check_prefix(total, hlen)
        buf = bytearray(total)
        buf[:16] = head
        self._read_into(memoryview(buf)[16:], deadline)
        reply = wire.decode(buf)
        if time.monotonic() > deadline:
            raise _Timeout
        return reply

    def _read_into(self, view, deadline):
        view = memoryview(view)
        got = 0
        while got < len(view):
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Timeout
            ready, _, _ = select.select([self._rep_r], [], [], min(left, 1.0))
            if not ready:
                continue
            n = os.readv(self._rep_r, [view[got:got + (1 << 20)]])
            if not n:
                raise EOFError
            got += n

    def _death_message(self, label):
        proc = self.proc
        status = None
        if proc is not None:
            try:
                status = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                status = None
        if status is None:
            how = "stopped answering"
        elif status < 0:
            sig = signal.Signals(-status).name
            hint = {"SIGSEGV": " (a segmentation fault)", "SIGKILL": " (killed: out of memory?)",
                    "SIGXFSZ": " (it wrote a file larger than 64 MiB)",
                    "SIGABRT": " (aborted)"}.get(sig, "")
            how = f"was killed by {sig}{hint}"
        else:
            how = f"exited with status {status} (os._exit? sys.exit in a thread?)"
        return f"the process running your code {how} during {label}"

    def _error(self, err, label):
        kind, etype, message = err.get("kind"), err.get("type"), err.get("message", "")
        where = err.get("where") or []
        at = f" at {where[-1]}" if where else ""
        if kind == "missing":
            name = label.split("(")[0]
            if self.generation and "." not in name:
                text = f"{self.module_name}.py does not define {message!r}"
            else:
                text = f"{name.rsplit('.', 1)[0]} has no attribute {message!r}"
        elif kind == "not_implemented":
            text = f"{label.removesuffix('(...)')} is not implemented yet (it raises NotImplementedError)"
        elif kind == "forbidden_import":
            text = f"{label} failed: {message}"
        elif kind == "memory":
            text = (f"{label} ran out of memory (the limit is {self.memory_mb} MiB){at}: "
                    f"{message or 'MemoryError'}")
        elif kind == "bad_return":
            text = f"{label}: {message}"
        elif kind == "syntax":
            text = f"SyntaxError: {message}"
        elif kind == "exit":
            text = f"{label}: {message}{at}"
        else:
            text = f"{label} raised {etype}: {message}{at}"
        return StudentCodeError(text, kind, where)

    def captured_output(self):
        text = self.output.decode("utf-8", "replace")
        if self.output_dropped:
            text += f"\n[... {self.output_dropped} more bytes of output dropped]"
        return text


class _Timeout(Exception):
    pass
