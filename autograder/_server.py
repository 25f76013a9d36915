"""The sandboxed child's server: it imports the submission and serves the grader's calls into it.

After set-up (:mod:`autograder._child`), :class:`_Server` reads request
frames (:mod:`autograder.wire`): ``import`` (the submission's files, written into the
empty working folder, and the module: once),
``getattr`` and ``call`` on the module or on an object kept here. Each
answer is plain data (numbers, strings, arrays of numbers, lists, tuples and
dicts of those), a handle to an object that stays in the child, or an error
description (its kind, type, message, and the submission's own frames), with
the warnings the call raised; nothing is pickled.

Runs only in the child, which imports it before anything is covered; never
imported by the grader.
"""
from __future__ import annotations

import os
import sys

from autograder._audit import ForbiddenImportError, SandboxViolation

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
    def do_import(self, files):
        """Write the submission's files (``{name: uint8 array}``, from the grader) into the empty
        working folder, then import the module. The child was set up without them (it may have
        been started before the grader knew which submission it would run)."""
        import importlib.util

        for fname, data in (files or {}).items():
            if not isinstance(fname, str) or os.sep in fname or fname.startswith(".") or not fname:
                raise ValueError(f"the grader sent a file named {fname!r}")
            with open(os.path.join(self.cfg["workdir"], fname), "xb") as f:
                f.write(data.tobytes())
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
            return self.do_import(req.get("files"))
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
            req = wire.decode(frame, copy=True)  # fresh, aligned arrays, as the student's NumPy makes
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
