"""Plain-data messages between the grader and the sandboxed student process.

Nothing here ever unpickles or calls code of the other side: a message is a
JSON header plus raw array buffers, and decoding builds only ``None``, bools,
ints, floats, strings, lists, tuples, dicts, NumPy arrays of numbers and
:class:`Handle` references. So a value coming back from student code can
neither run code in the grader nor lie through ``__eq__``.

Frame layout (all integers little-endian)::

    u64 total length | u64 header length | header (UTF-8 JSON) | buffers...

In the header an array is ``{"@nd": [dtype, shape, offset, nbytes]}``, a
tuple ``{"@tuple": [...]}``, a dict with non-string keys
``{"@dict": [[k, v], ...]}``, a float that JSON cannot spell
``{"@float": "nan" | "inf" | "-inf"}``, a handle ``{"@handle": [id, type]}``.
"""
from __future__ import annotations

import json
import math
import os
import struct

import numpy as np

#: dtype kinds that may cross: bool, signed/unsigned int, float, complex.
ALLOWED_KINDS = frozenset("biufc")
#: Largest frame accepted (a hostile child could announce petabytes).
MAX_FRAME = 1 << 30
_HEAD = struct.Struct("<QQ")


class WireError(ValueError):
    """A value that cannot cross (not plain data), or a corrupt frame."""


class Handle:
    """A reference to an object that lives in the student process.

    Only its integer id and the name of its type cross the wire.
    """

    __slots__ = ("id", "type_name")

    def __init__(self, id, type_name):
        self.id = int(id)
        self.type_name = str(type_name)

    def __repr__(self):
        return f"<{self.type_name} object in the student process #{self.id}>"


# --------------------------------------------------------------------------
# encoding


def encode(obj, *, on_other=None):
    """Encode plain data into one frame (bytes).

    ``on_other(obj)`` is called for anything that is not plain data; it must
    return a replacement (plain data or a :class:`Handle`) or raise
    :class:`WireError`. Without it such objects raise :class:`WireError`.
    """
    buffers = []
    offset = [0]

    def enc(o, depth=0):
        if depth > 64:
            raise WireError("data nested more than 64 levels deep")
        if o is None or o is True or o is False:
            return o
        t = type(o)
        if t is int:
            return o
        if t is float:
            if math.isfinite(o):
                return o
            return {"@float": "nan" if math.isnan(o) else ("inf" if o > 0 else "-inf")}
        if t is str:
            return o
        if t is Handle:
            return {"@handle": [o.id, o.type_name]}
        if t is np.ndarray or (isinstance(o, np.generic) and not isinstance(o, np.object_)):
            arr = np.asarray(o)
            if arr.dtype.kind not in ALLOWED_KINDS:
                raise WireError(f"an array of dtype {arr.dtype} (only numbers cross)")
            arr = np.ascontiguousarray(arr)
            data = arr.tobytes()
            entry = {"@nd": [arr.dtype.str, list(arr.shape), offset[0], len(data)]}
            buffers.append(data)
            offset[0] += len(data)
            return entry
        if t is list:
            return [enc(x, depth + 1) for x in o]
        if t is tuple:
            return {"@tuple": [enc(x, depth + 1) for x in o]}
        if t is dict:
            if all(type(k) is str and not k.startswith("@") for k in o):
                return {k: enc(v, depth + 1) for k, v in o.items()}
            return {"@dict": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in o.items()]}
        if on_other is None:
            raise WireError(f"an object of type {type(o).__name__}")
        return enc(on_other(o), depth + 1)

    header = json.dumps(enc(obj), allow_nan=False, separators=(",", ":")).encode()
    body = b"".join(buffers)
    total = _HEAD.size + len(header) + len(body)
    if total > MAX_FRAME:
        raise WireError(f"the data is too large to send back ({total / 2**20:.0f} MiB)")
    return _HEAD.pack(total, len(header)) + header + body


# --------------------------------------------------------------------------
# decoding


def decode(frame):
    """Decode one frame built by :func:`encode` (never runs foreign code)."""
    if len(frame) < _HEAD.size:
        raise WireError("truncated frame")
    total, hlen = _HEAD.unpack_from(frame)
    if total != len(frame) or hlen > total - _HEAD.size:
        raise WireError("corrupt frame")
    try:
        header = json.loads(frame[_HEAD.size:_HEAD.size + hlen])
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(f"corrupt header: {exc}") from None
    body = memoryview(frame)[_HEAD.size + hlen:]

    def dec(o, depth=0):
        if depth > 66:
            raise WireError("data nested too deeply")
        if o is None or isinstance(o, (bool, int, float, str)):
            return o
        if isinstance(o, list):
            return [dec(x, depth + 1) for x in o]
        if not isinstance(o, dict):
            raise WireError("corrupt header")
        if len(o) == 1:
            (key, val), = o.items()
            if key == "@nd":
                return _decode_array(val, body)
            if key == "@tuple":
                return tuple(dec(x, depth + 1) for x in val)
            if key == "@dict":
                return {_hashable(dec(k, depth + 1)): dec(v, depth + 1) for k, v in val}
            if key == "@float":
                return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[val]
            if key == "@handle":
                return Handle(val[0], val[1])
        return {str(k): dec(v, depth + 1) for k, v in o.items()}

    try:
        return dec(header)
    except (KeyError, TypeError, IndexError) as exc:
        raise WireError(f"corrupt header: {exc!r}") from None


def _hashable(key):
    if isinstance(key, np.ndarray):
        return key.item() if key.ndim == 0 else tuple(key.tolist())
    if isinstance(key, list):
        return tuple(key)
    return key


def _decode_array(spec, body):
    dtype_str, shape, offset, nbytes = spec
    dtype = np.dtype(dtype_str)  # a dtype string never runs code
    if dtype.kind not in ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"refused dtype {dtype_str!r}")
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape) or int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != nbytes:
        raise WireError("array size does not match its shape")
    if offset < 0 or offset + nbytes > len(body):
        raise WireError("array buffer out of range")
    return np.frombuffer(body[offset:offset + nbytes], dtype=dtype).reshape(shape).copy()


# --------------------------------------------------------------------------
# framing over file descriptors


def read_frame(fd, deadline_check=None):
    """Read one whole frame from ``fd``; ``None`` at end of file.

    ``deadline_check()`` is called before every blocking read (it raises
    when time is up); the caller arranges that ``fd`` is readable.
    """
    head = _read_exact(fd, _HEAD.size, deadline_check)
    if head is None:
        return None
    total, _ = _HEAD.unpack(head)
    if total < _HEAD.size or total > MAX_FRAME:
        raise WireError(f"corrupt frame length {total}")
    rest = _read_exact(fd, total - _HEAD.size, deadline_check)
    if rest is None:
        return None
    return head + rest


def _read_exact(fd, n, deadline_check):
    chunks = []
    got = 0
    while got < n:
        if deadline_check is not None:
            deadline_check()
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_frame(fd, frame):
    view = memoryview(frame)
    while view:
        n = os.write(fd, view)
        view = view[n:]
