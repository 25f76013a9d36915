"""The file rules every front door relies on, written once.

Three rules, used by the engine, ``grade-all``, the CLI, the reports and the
LMS front doors (``tests/test_files.py`` tests them here, once):

- **Write whole or not at all** (:func:`write_atomic`, :func:`replacing`): the
  new content goes to a fresh temporary file in the destination's folder
  (``.<name>.<random>.tmp``, created with ``O_EXCL``, so no link there is
  followed), which then replaces the destination with one ``os.replace``. A
  crash mid-write leaves the old file whole; a failed write removes the
  temporary file. The file's mode is 0644.
- **Read only a regular file, under a cap** (:func:`read_regular`,
  :func:`sha256_regular`): opened with ``O_NOFOLLOW | O_NONBLOCK | O_NOCTTY``
  (a symbolic link is refused, a FIFO never blocks, a terminal is never
  taken), checked again with ``fstat`` after opening (still the regular file
  that ``lstat`` saw), and never more than the cap read. A refusal raises
  :class:`NotRead`, whose message names the file and says why (it is shown
  to students as it is).
- **Digest a folder without following links** (:func:`tree_digests`,
  :func:`tree_digest`): every entry's SHA-256 (or what it is: a link, a
  FIFO, a file over the cap), named by its path inside the folder; some
  folders and suffixes left out; at most a given number of entries looked at.

Standard library only; nothing here runs or imports student code.
``datasets/`` keeps its own checksum and download-then-replace: it ships in
the student handout, without the engine.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path

_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CHUNK = 1 << 20


# ----------------------------------------------------------------------------
# writing whole or not at all


@contextlib.contextmanager
def replacing(path, mode="w", *, encoding=None, errors=None, newline=None):
    """``with replacing(path) as f:`` — what is written to ``f`` replaces ``path`` when the block ends.

    ``mode`` is ``"w"`` (text, UTF-8 unless ``encoding`` says otherwise) or
    ``"wb"``. If the block raises, ``path`` is left as it was and the
    temporary file is removed. The folder must exist.
    """
    path = Path(path)
    if "b" in mode:
        encoding = errors = newline = None
    elif encoding is None:
        encoding = "utf-8"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding, errors=errors, newline=newline) as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path, data, *, encoding="utf-8", errors=None):
    """Replace ``path`` by ``data`` (``bytes``, or ``str`` written as ``encoding``) in one step; ``path``."""
    binary = isinstance(data, (bytes, bytearray, memoryview))
    with replacing(path, "wb" if binary else "w", encoding=encoding, errors=errors) as f:
        f.write(data)
    return Path(path)


# ----------------------------------------------------------------------------
# reading a regular file, under a cap


class NotRead(Exception):
    """A file that was not read. ``str()`` is a sentence naming it and saying why;
    ``short`` says what it is in a few words (``"a symbolic link"``, ``"70000000 bytes"``)."""

    def __init__(self, message, short):
        super().__init__(message)
        self.short = short


def kind(mode):
    """What an ``lstat`` mode is, in words (``"a symbolic link"``, ``"a FIFO (named pipe)"``, ...)."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def why_not(display, mode):
    """Why the entry ``display`` of ``lstat`` mode ``mode`` is not read (it is not a regular file)."""
    what = kind(mode)
    if what == "a symbolic link":
        return f"{display} is a symbolic link: submit the file itself, not a link to it"
    return f"{display} is {what}, not a regular file: submit the file itself"


def size_text(n):
    """``n`` bytes in words: ``"1.0 MiB"``, ``"12 bytes"``."""
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} bytes"


def _open_regular(name, cap, dir_fd, display, one_link):
    """A descriptor of the regular file ``name`` (in ``dir_fd``), at most ``cap`` bytes; raise :class:`NotRead`."""
    display = str(name) if display is None else display
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        raise NotRead(f"{display} could not be read ({exc.strerror})", f"unreadable: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise NotRead(why_not(display, st.st_mode), kind(st.st_mode))
    if st.st_size > cap:
        raise NotRead(f"{display} is {size_text(st.st_size)}, more than the {size_text(cap)} a file "
                      "may have: it was not read", f"{st.st_size} bytes")
    if one_link and st.st_nlink > 1:
        raise NotRead(f"{display} has other hard links: submit a plain copy of the file", "hard-linked")
    try:
        fd = os.open(name, _OPEN_FILE, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # it became a link since
            raise NotRead(why_not(display, stat.S_IFLNK), kind(stat.S_IFLNK)) from None
        raise NotRead(f"{display} could not be read ({exc.strerror})", f"unreadable: {exc.strerror}") from None
    try:
        fst = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise NotRead(f"{display} could not be read ({exc.strerror})", f"unreadable: {exc.strerror}") from None
    if not stat.S_ISREG(fst.st_mode) or (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
        os.close(fd)
        raise NotRead(f"{display} changed while it was being read: submit it again",
                      "not a regular file" if not stat.S_ISREG(fst.st_mode) else "changed while read")
    return fd


def _chunks(fd, cap, display):
    """The file's bytes in chunks; :class:`NotRead` once more than ``cap`` came (it grew)."""
    total = 0
    while True:
        chunk = os.read(fd, min(_CHUNK, cap + 1 - total))
        if not chunk:
            return
        total += len(chunk)
        if total > cap:
            raise NotRead(f"{display} is more than the {size_text(cap)} a file may have: it was not read",
                          f"more than {cap} bytes")
        yield chunk


def _reading(name, cap, dir_fd, display, one_link, use):
    display = str(name) if display is None else display
    fd = _open_regular(name, cap, dir_fd, display, one_link)
    try:
        return use(_chunks(fd, cap, display))
    except OSError as exc:
        raise NotRead(f"{display} could not be read ({exc.strerror})", f"unreadable: {exc.strerror}") from None
    finally:
        os.close(fd)


def read_regular(name, cap, *, dir_fd=None, display=None, one_link=False):
    """The bytes of the regular file ``name`` (relative to ``dir_fd`` if given), at most ``cap``.

    A link, FIFO, device, socket or folder, a file over ``cap`` (``one_link``:
    or with other hard links) and a file that changes into something else
    while it is opened raise :class:`NotRead`, whose message names it as
    ``display`` (default: ``name``). Never follows a link, never blocks.
    """
    return _reading(name, cap, dir_fd, display, one_link, b"".join)


def sha256_regular(name, cap, *, dir_fd=None, display=None):
    """SHA-256 (hex) of the regular file ``name``, read as :func:`read_regular` reads it; :class:`NotRead`."""
    def digest(chunks):
        h = hashlib.sha256()
        for chunk in chunks:
            h.update(chunk)
        return h.hexdigest()

    return _reading(name, cap, dir_fd, display, False, digest)


# ----------------------------------------------------------------------------
# digesting a folder


def tree_digests(top, *, suffixes=None, skip_suffixes=(), skip_dirs=(), max_entries=10_000,
                 max_bytes=64 << 20):
    """``{relative path: sha256, or "<what it is>"}`` of everything under ``top``, links not followed.

    For telling whether a folder changed: a file whose bytes change, a new,
    removed or renamed file, a file turned into a link or a FIFO all show. A
    link (to a file or a folder) is named ``"<a symbolic link>"``, never
    followed; a FIFO, socket or device by what it is; a file over
    ``max_bytes`` by its size, unhashed. Left out: folders named in
    ``skip_dirs`` (wherever they are), files whose name ends with one of
    ``skip_suffixes`` and, when ``suffixes`` is given, every file whose name
    ends with none of them. Past ``max_entries`` entries the walk stops, and
    the map says so under ``"..."``. ``{}`` when ``top`` is not a folder (or is a link).
    """
    out = {}
    top = Path(top)
    if not top.is_dir() or top.is_symlink():
        return out
    seen = 0
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs)
        for name in sorted(filenames) + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            seen += 1
            if seen > max_entries:
                out["..."] = f"<more than {max_entries} entries: the rest not looked at>"
                return out
            full = Path(dirpath) / name
            rel = full.relative_to(top).as_posix()
            if rel.endswith(tuple(skip_suffixes)) or (suffixes is not None and not rel.endswith(tuple(suffixes))):
                continue
            try:
                out[rel] = sha256_regular(full, max_bytes)
            except NotRead as exc:
                out[rel] = f"<{exc.short}>"
    return out


def tree_digest(top, **options):
    """One SHA-256 (hex) of :func:`tree_digests` ``(top, **options)``: it changes when any name or byte does."""
    h = hashlib.sha256(b"autograder-tree-v1\0")
    for rel, digest in sorted(tree_digests(top, **options).items()):
        h.update(f"{rel}\0{digest}\0".encode("utf-8", "surrogateescape"))
    return h.hexdigest()
