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

# Limits of one message, checked before anything is decoded (a hostile child
# could announce petabytes, or send 100 MiB of ``[[],[],...]``, which
# ``json.loads`` would turn into gigabytes of Python lists).
#: Largest JSON header (the arrays' bytes are not in it).
MAX_HEADER_BYTES = 16 << 20
#: Largest total of array bytes in one message.
MAX_ARRAY_BYTES = 256 << 20
#: Most values (numbers, strings, lists, dicts, arrays...) in one header.
MAX_ELEMENTS = 1_000_000
#: Deepest nesting of lists, tuples and dicts.
MAX_DEPTH = 64
#: Largest frame accepted.
MAX_FRAME = 16 + MAX_HEADER_BYTES + MAX_ARRAY_BYTES
_HEAD = struct.Struct("<QQ")
#: JSON brackets per level of data: a tuple is ``{"@tuple": [...]}``, a dict with
#: non-string keys ``{"@dict": [[k, v], ...]}``.
_JSON_DEPTH = 3 * MAX_DEPTH + 4


def _mib(n):
    return f"{n / 2**20:.1f} MiB" if n < 10 * 2**20 else f"{n / 2**20:.0f} MiB"


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
    """Encode plain data into one frame (a ``bytearray``; each array's bytes copied once).

    :func:`encode_parts` gives the same frame as a list of buffers, the arrays' own (no copy).
    """
    head, arrays = encode_parts(obj, on_other=on_other)
    frame = bytearray(len(head) + sum(arr.nbytes for arr in arrays))
    frame[:len(head)] = head
    start = len(head)
    for arr in arrays:
        frame[start:start + arr.nbytes] = arr
        start += arr.nbytes
    return frame


def encode_parts(obj, *, on_other=None):
    """The frame of ``obj`` as ``(prefix and header: bytes, [each array's bytes: memoryview])``:
    written one after the other (:func:`write_frame`), they are :func:`encode`'s frame. The
    arrays' own buffers: they must not change before they are written.

    ``on_other(obj)`` is called for anything that is not plain data; it must
    return a replacement (plain data or a :class:`Handle`) or raise
    :class:`WireError`. Without it such objects raise :class:`WireError`.
    """
    buffers = []
    offset = [0]
    count = [0]

    def enc(o, depth=0):
        if depth > MAX_DEPTH:
            raise WireError(f"data nested more than {MAX_DEPTH} levels deep")
        count[0] += 1
        if count[0] > MAX_ELEMENTS:
            raise WireError(f"more than {MAX_ELEMENTS:,} values in one answer")
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
            if offset[0] + arr.nbytes > MAX_ARRAY_BYTES:
                raise WireError(f"more than {_mib(MAX_ARRAY_BYTES)} of arrays in one answer "
                                f"({_mib(offset[0] + arr.nbytes)} so far)")
            arr = np.ascontiguousarray(arr)
            entry = {"@nd": [arr.dtype.str, list(arr.shape), offset[0], arr.nbytes]}
            buffers.append(arr)
            offset[0] += arr.nbytes
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
    if len(header) > MAX_HEADER_BYTES:
        raise WireError(f"the data's description is {_mib(len(header))} (the limit is "
                        f"{_mib(MAX_HEADER_BYTES)}; return NumPy arrays rather than long lists)")
    total = _HEAD.size + len(header) + offset[0]
    return _HEAD.pack(total, len(header)) + header, [memoryview(arr).cast("B") for arr in buffers if arr.nbytes]


# --------------------------------------------------------------------------
# decoding


def check_prefix(total, hlen):
    """Refuse a frame by its 16-byte prefix alone, before reading the rest.

    Raises :class:`WireError` saying what was too large.
    """
    if total < _HEAD.size or hlen > total - _HEAD.size:
        raise WireError("corrupt frame")
    if hlen > MAX_HEADER_BYTES:
        raise WireError(f"its header is {_mib(hlen)} (the limit is {_mib(MAX_HEADER_BYTES)})")
    body = total - _HEAD.size - hlen
    if body > MAX_ARRAY_BYTES:
        raise WireError(f"it holds {_mib(body)} of arrays (the limit is {_mib(MAX_ARRAY_BYTES)} "
                        "per call)")


def check_header(header):
    """Refuse a JSON header by counting, before ``json.loads`` builds anything.

    Counts the values (commas and brackets outside strings) and the depth of
    nesting, in NumPy over the bytes, so the cost is a few passes of memory
    over at most :data:`MAX_HEADER_BYTES`. Raises :class:`WireError` saying
    what was too large.
    """
    if header.count(b"[") + header.count(b"{") <= _JSON_DEPTH and header.count(b",") < MAX_ELEMENTS:
        return  # nothing can be too deep or too many (strings included in the count)
    # blank out the strings: escaped backslashes and quotes first, then the quoted spans
    plain = header.replace(b"\\\\", b"  ").replace(b'\\"', b"  ")
    raw = np.frombuffer(plain, np.uint8)
    quotes = np.flatnonzero(raw == 0x22)
    if len(quotes) > 4 * MAX_ELEMENTS:
        raise WireError(f"its header holds more than {MAX_ELEMENTS:,} values")
    marks = np.zeros(len(raw) + 1, np.int8)
    marks[quotes[0::2]] += 1
    marks[quotes[1::2] + 1] -= 1
    inside = np.cumsum(marks[:-1], dtype=np.int8).astype(bool)
    del marks
    code = raw.copy()
    code[inside] = 0x20
    del inside
    opens = np.flatnonzero((code == 0x5B) | (code == 0x7B))
    elements = len(opens) + int(np.count_nonzero(code == 0x2C)) + 1
    if elements > MAX_ELEMENTS:
        raise WireError(f"its header holds about {elements:,} values (the limit is {MAX_ELEMENTS:,})")
    brackets = np.flatnonzero((code == 0x5B) | (code == 0x7B) | (code == 0x5D) | (code == 0x7D))
    steps = np.where((code[brackets] == 0x5B) | (code[brackets] == 0x7B), 1, -1).astype(np.int32)
    depth = int(np.cumsum(steps).max(initial=0))
    if depth > _JSON_DEPTH:
        raise WireError(f"its data is nested {depth:,} levels deep (the limit is {MAX_DEPTH})")


def decode(frame, *, copy=False):
    """Decode one frame built by :func:`encode` (never runs foreign code).

    Every limit is checked before decoding (:func:`check_prefix`,
    :func:`check_header`). Arrays are views of ``frame`` when it is writable
    (a ``bytearray``: no copy), else copies; no two share bytes (a forged frame
    whose arrays overlap is refused). ``copy=True``: always fresh arrays, aligned
    as NumPy allocates them (what the child hands a student: BLAS sums an array
    at an odd address in another order, and a one-pass covariance far from the
    origin then differs in every digit from the grader's own, aligned, copy).
    """
    if len(frame) < _HEAD.size:
        raise WireError("truncated frame")
    total, hlen = _HEAD.unpack_from(frame)
    if total != len(frame):
        raise WireError("corrupt frame")
    check_prefix(total, hlen)
    raw_header = bytes(memoryview(frame)[_HEAD.size:_HEAD.size + hlen])
    check_header(raw_header)
    try:
        header = json.loads(raw_header)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise WireError(f"corrupt header: {exc}") from None
    del raw_header
    body = memoryview(frame)[_HEAD.size + hlen:]
    end = [0]  # where the last array's bytes ended: each array lies after it (never two on the same bytes)

    def dec(o, depth=0):
        if depth > MAX_DEPTH + 2:
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
                arr = _decode_array(val, body, copy)
                if val[2] < end[0]:
                    raise WireError("arrays that share bytes")
                end[0] = val[2] + val[3]
                return arr
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
    except WireError:
        raise
    except (KeyError, TypeError, IndexError, ValueError, OverflowError, AttributeError) as exc:
        # whatever a crafted header makes the decoding raise is the reply's fault: a WireError
        raise WireError(f"corrupt header: {exc!r:.200}") from None


def _hashable(key):
    if isinstance(key, np.ndarray):
        return key.item() if key.ndim == 0 else tuple(key.tolist())
    if isinstance(key, list):
        return tuple(key)
    return key


def _decode_array(spec, body, copy=False):
    dtype_str, shape, offset, nbytes = spec
    dtype = np.dtype(dtype_str)  # a dtype string never runs code
    if dtype.kind not in ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"refused dtype {dtype_str!r}")
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape) or int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != nbytes:
        raise WireError("array size does not match its shape")
    if offset < 0 or offset + nbytes > len(body):
        raise WireError("array buffer out of range")
    arr = np.frombuffer(body[offset:offset + nbytes], dtype=dtype).reshape(shape)
    return arr if arr.flags.writeable and not copy else arr.copy()


# --------------------------------------------------------------------------
# framing over file descriptors


def read_frame(fd, deadline_check=None):
    """Read one whole frame from ``fd``; ``None`` at end of file.

    ``deadline_check()`` is called before every blocking read (it raises
    when time is up); the caller arranges that ``fd`` is readable.
    """
    head = bytearray(_HEAD.size)
    if not _read_into(fd, memoryview(head), deadline_check):
        return None
    total, hlen = _HEAD.unpack(head)
    check_prefix(total, hlen)
    frame = bytearray(total)  # read in place: decode's arrays are views of it, never copies
    frame[:_HEAD.size] = head
    if not _read_into(fd, memoryview(frame)[_HEAD.size:], deadline_check):
        return None
    return frame


def _read_into(fd, view, deadline_check):
    """Fill ``view`` from ``fd``; False at end of file."""
    got = 0
    while got < len(view):
        if deadline_check is not None:
            deadline_check()
        n = os.readv(fd, [view[got:got + (1 << 20)]])
        if not n:
            return False
        got += n
    return True


def write_frame(fd, frame, deadline=None):
    """Write one frame to ``fd``: :func:`encode`'s, or :func:`encode_parts`'s ``(head, arrays)``
    (written in turn, without joining them). With ``deadline`` (a ``time.monotonic()`` value)
    ``fd`` must be non-blocking: a reader that stops reading (a stopped child) raises
    :class:`TimeoutError` at the deadline instead of blocking the writer for ever."""
    import select
    import time

    head, arrays = frame if isinstance(frame, tuple) else (frame, [])
    for part in (head, *arrays):
        view = memoryview(part)
        while view:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the reader did not read in time")
                if not select.select([], [fd], [], min(left, 1.0))[1]:
                    continue
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                continue
            view = view[n:]
