"""The sandboxed child's file system: an allow-list, built fresh for every child.

The child does not see the machine minus a list of secrets; it sees a new,
empty root (a tmpfs) into which exactly these are placed:

========================  ===========================================  ==========
what                      where (the same path as on the machine)      access
========================  ===========================================  ==========
the interpreter           its executable, ``libpython``, the standard   read-only
                          library and ``lib-dynload`` (never a
                          ``site-packages`` or ``dist-packages`` inside)
the allowed packages      each installed top-level entry of the        read-only
                          distributions in :data:`ALLOWED_DISTRIBUTIONS`
                          and of what they require (``numpy``,
                          ``numpy.libs``, ``scipy``, ...); the forbidden
                          folders inside them (``scipy/stats``) empty
the shared libraries      each file the dynamic loader needs for the   read-only
                          above (found from the ELF headers'
                          ``DT_NEEDED``), the loader, ``ld.so.cache``
devices                   ``/dev/null``, ``zero``, ``full``,           as on the
                          ``random``, ``urandom``                       machine
``/proc``                 the child's own (its PID namespace only)
the working folder        :data:`WORK_MB` MiB and :data:`WORK_FILES`    writable
                          files at most (a tmpfs), holding only the
                          submission's files
``/tmp``, ``/dev/shm``    empty, :data:`SCRATCH_MB` MiB each            writable
========================  ===========================================  ==========

Nothing else exists there: no copy of the kit, no other interpreter's
packages, no results, no repository, no home, no other student. The old root
is detached (``pivot_root``), so no path and no ``..`` leads back to it.

:func:`allowed` computes the list (the grader may compute it once and pass it
on); :func:`build` runs in the child, in its new mount namespace, before any
student code. Both are plain functions of the interpreter that runs them.
"""
from __future__ import annotations

import os
import struct
import sys

#: What a submission may import (docs/ASSIGNMENTS.md: NumPy, scipy.special, scipy.linalg and the
#: standard library), with everything these require; matplotlib so that a module that draws
#: (a plotting helper beside the graded functions) still imports.
ALLOWED_DISTRIBUTIONS = ("numpy", "scipy", "matplotlib")
#: The working folder's caps (a tmpfs): a flood fills it, never the grader's disk.
WORK_MB = 64
WORK_FILES = 1000
#: ``/tmp`` and ``/dev/shm``: private, empty, capped the same way.
SCRATCH_MB = 64
SCRATCH_FILES = 1000
DEVICES = ("null", "zero", "full", "random", "urandom")
#: Inside the standard library's folder, never shown (another interpreter's packages live there).
SITE_FOLDERS = ("site-packages", "dist-packages")

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}


# ----------------------------------------------------------------------------
# what is allowed


def _distribution_closure(names):
    """The installed distributions ``names`` and everything they require (not extras)."""
    import re
    from importlib import metadata

    seen, todo = {}, list(names)
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = dist
        for req in dist.requires or []:
            if ";" in req and "extra" in req.split(";", 1)[1]:
                continue
            found = re.match(r"[A-Za-z0-9_.-]+", req)
            if found:
                todo.append(found.group(0))
    return list(seen.values())


def _package_entries(dists):
    """The top-level files and folders the distributions installed, as absolute paths."""
    entries = set()
    for dist in dists:
        base = os.path.abspath(str(dist.locate_file("")))
        for f in dist.files or []:
            top = f.parts[0]
            if top in ("..", "__pycache__") or top.endswith((".dist-info", ".egg-info", ".pth")):
                continue
            path = os.path.join(base, top)
            if os.path.lexists(path):
                entries.add(path)
    return entries


def _stdlib_folders():
    """The standard library's folders on ``sys.path`` (under the base prefixes, not site folders)."""
    bases = {os.path.abspath(p) for p in (sys.base_prefix, sys.base_exec_prefix)}
    out = []
    for p in sys.path:
        if not p or not os.path.isdir(p):
            continue
        p = os.path.abspath(p)
        if any(part in SITE_FOLDERS for part in p.split(os.sep)):
            continue
        if any(p == b or p.startswith(b.rstrip(os.sep) + os.sep) for b in bases):
            out.append(p)
    return out


def _elf(path):
    """``(interpreter, needed sonames, run paths)`` from an ELF64 little-endian file's headers.

    Anything else (a script, a 32-bit or big-endian object, a damaged file) gives nothing.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return None, [], []
            (phoff,) = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
            loads, dynamic, interp = [], None, None
            for i in range(phnum):
                p_type, _, offset, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", table, i * phentsize)
                if p_type == 1:
                    loads.append((vaddr, offset, filesz))
                elif p_type == 2:
                    dynamic = (offset, filesz)
                elif p_type == 3:
                    f.seek(offset)
                    interp = f.read(filesz).rstrip(b"\0").decode("utf-8", "replace")
            if dynamic is None:
                return interp, [], []
            f.seek(dynamic[0])
            data = f.read(dynamic[1])
            needed, runpaths, strtab, strsz = [], [], None, 0
            for off in range(0, len(data) - 15, 16):
                tag, val = struct.unpack_from("<qQ", data, off)
                if tag == 0:
                    break
                if tag == 1:
                    needed.append(val)
                elif tag == 5:
                    strtab = val
                elif tag == 10:
                    strsz = val
                elif tag in (15, 29):  # DT_RPATH, DT_RUNPATH
                    runpaths.append(val)
            where = next((strtab - v + o for v, o, n in loads if strtab is not None and v <= strtab < v + n), None)
            if where is None:
                return interp, [], []
            f.seek(where)
            strings = f.read(strsz)
    except (OSError, struct.error):
        return None, [], []

    def text(i):
        end = strings.find(b"\0", i)
        return strings[i:end if end >= 0 else len(strings)].decode("utf-8", "replace")

    return interp, [text(i) for i in needed], [d for r in runpaths for d in text(r).split(":") if d]


def _system_library_folders():
    """Where the dynamic loader looks when a library names no path of its own."""
    import sysconfig

    arch = sysconfig.get_config_var("MULTIARCH") or ""
    folders = []
    try:
        with open("/proc/self/maps") as f:  # where the libraries already loaded came from
            for line in f:
                path = line.split(maxsplit=5)[-1].strip()
                if path.startswith("/") and ".so" in os.path.basename(path):
                    folders.append(os.path.dirname(path))
    except OSError:
        pass
    for base in ("/lib", "/usr/lib", "/lib64", "/usr/lib64"):
        if arch:
            folders.append(f"{base}/{arch}")
        folders.append(base)
    out = []
    for d in folders:
        if d not in out and os.path.isdir(d):
            out.append(d)
    return out


def _shared_libraries(objects, inside):
    """Every shared library the loader would map for ``objects``, found outside ``inside``.

    Follows ``DT_NEEDED`` with the run paths (``$ORIGIN``) first, then the system's
    folders; libraries inside the allowed folders are there already.
    """
    system = _system_library_folders()
    found, todo, seen = set(), list(objects), set()
    while todo:
        obj = todo.pop()
        if obj in seen:
            continue
        seen.add(obj)
        interp, needed, runpaths = _elf(obj)
        if interp:
            found.add(interp)
        origin = os.path.dirname(obj)
        dirs = [r.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for r in runpaths] + system
        for name in needed:
            candidates = [name] if "/" in name else [os.path.join(d, name) for d in dirs]
            path = next((c for c in candidates if os.path.isfile(c)), None)
            if path is None:
                continue
            real = os.path.realpath(path)
            if not _under(real, inside):
                found.add(path)
            todo.append(real)
    return found


def _under(path, roots):
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def allowed(distributions=ALLOWED_DISTRIBUTIONS):
    """What the child's root holds, read-only: ``{"paths": [...], "forbidden_inside": [...]}``.

    ``paths`` are absolute paths as the interpreter uses them (symbolic links on
    the way are recreated in the child's root); files and folders alike.
    """
    folders = _stdlib_folders()
    packages = _package_entries(_distribution_closure(distributions))
    trees = [os.path.realpath(p) for p in [*folders, *packages]]
    objects = [os.path.realpath(sys.executable)]
    try:
        with open("/proc/self/maps") as f:  # libpython, when the interpreter links it
            objects += [ln.split(maxsplit=5)[-1].strip() for ln in f
                        if os.path.basename(ln.rstrip()).startswith("libpython")]
    except OSError:
        pass
    for tree in trees:
        if os.path.isfile(tree):
            continue
        for dirpath, dirnames, filenames in os.walk(tree):
            dirnames[:] = [d for d in dirnames if d not in SITE_FOLDERS]
            objects += [os.path.join(dirpath, n) for n in filenames if ".so" in n]
    libs = _shared_libraries(sorted(set(objects)), trees)
    paths = {*folders, *packages, sys.executable, *libs, *objects[:1]}
    paths.update(o for o in objects if not _under(os.path.realpath(o), trees))
    if os.path.isfile("/etc/ld.so.cache"):
        paths.add("/etc/ld.so.cache")
    inside = [os.path.join(f, s) for f in folders for s in SITE_FOLDERS if os.path.isdir(os.path.join(f, s))]
    return {"paths": sorted(paths), "covered": sorted(inside)}


def refusal(why):
    """Why nothing is graded where the child cannot be isolated, and what the instructor may do."""
    return (f"this machine cannot isolate student code (namespaces: {why}), so nothing was "
            "graded. Grade on a machine with user or mount namespaces, or, knowing that the "
            "student's code then sees the machine's files as an unprivileged user, pass "
            "--unisolated (AUTOGRADER_UNISOLATED=1): every result will say \"graded without isolation\"")


# ----------------------------------------------------------------------------
# building the root (in the child's own mount namespace)


def _mount(libc, source, target, fstype, flags, data=None):
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    if libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        import ctypes

        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def _place(libc, new_root, path, hops=0):
    """Make ``path`` exist in ``new_root`` as it does on the machine: the symbolic
    links on the way recreated, the last component bound (read-only later)."""
    if hops > 40:
        raise OSError(40, f"too many symbolic links on the way to {path}")
    parts = [p for p in os.path.normpath(path).split(os.sep) if p]
    cur = "/"
    for i, part in enumerate(parts):
        host = os.path.join(cur, part)
        inner = new_root + host
        if os.path.islink(host):
            target = os.readlink(host)
            if not os.path.lexists(inner):
                os.symlink(target, inner)
            rest = os.path.join(os.path.normpath(os.path.join(cur, target)), *parts[i + 1:])
            return _place(libc, new_root, rest, hops + 1)
        if i < len(parts) - 1:
            if not os.path.isdir(inner):
                os.mkdir(inner, 0o755)
            cur = host
            continue
        if os.path.ismount(inner) or (os.path.lexists(inner) and not os.path.isdir(host)):
            return  # already placed
        if os.path.isdir(host):
            os.makedirs(inner, 0o755, exist_ok=True)
        else:
            with open(inner, "wb"):
                pass
        _mount(libc, host, inner, None, MS_BIND)
        return


def work_folder(paths):
    """The working folder's path in the child's root: one no allowed path lies under."""
    for i in range(100):
        candidate = "/submission" + (f"-{i}" if i else "")
        if not any(_under(os.path.abspath(p), [candidate]) for p in paths):
            return candidate
    raise OSError("no free path for the working folder")


def build(libc, new_root, allow, *, forbidden=(), owner=None):
    """Fill the empty folder ``new_root`` (a fresh tmpfs is mounted on it) and switch to it.

    ``allow``: :func:`allowed`'s answer. The capped working folder starts empty: the
    submission's files arrive with the grader's ``import`` request
    (:meth:`autograder._server._Server.do_import`), so a child can be set up before the
    grader knows which submission it will run. ``forbidden``: folders inside the allowed
    packages that stay empty (``scipy/stats``). ``owner``: (uid, gid) of the working
    folder and the child's home (as root: the fresh sandbox user).
    Returns ``(work folder, {what is writable: path})``.
    Everything is placed while the machine's root is still visible; then the root
    moves there (``pivot_root``) and the old one is detached.
    """
    paths = allow["paths"]
    work = work_folder(paths)
    flags = MS_NOSUID | MS_NODEV
    _mount(libc, "tmpfs", new_root, "tmpfs", flags, "mode=0755,size=4m,nr_inodes=20000")
    for sub in ("proc", "dev", "tmp"):
        os.mkdir(new_root + "/" + sub, 0o755)
    uid_opts = f",uid={owner[0]},gid={owner[1]}" if owner else ""
    scratch = f"size={SCRATCH_MB}m,nr_inodes={SCRATCH_FILES}"
    _mount(libc, "tmpfs", new_root + "/tmp", "tmpfs", flags, f"mode=1777,{scratch}")
    _mount(libc, "tmpfs", new_root + "/dev", "tmpfs", MS_NOSUID, "mode=0755,size=64k")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            open(f"{new_root}/dev/{name}", "wb").close()
            _mount(libc, f"/dev/{name}", f"{new_root}/dev/{name}", None, MS_BIND)
    os.mkdir(new_root + "/dev/shm", 0o755)
    _mount(libc, "tmpfs", new_root + "/dev/shm", "tmpfs", flags, f"mode=1777,{scratch}")
    for path in paths:
        _place(libc, new_root, path)
    for folder in [*allow.get("covered", ()), *forbidden]:
        inner = new_root + folder
        if os.path.isdir(inner):
            _mount(libc, "tmpfs", inner, "tmpfs", MS_RDONLY | flags, "mode=000,size=4k,nr_inodes=1")
    os.makedirs(new_root + work, 0o755, exist_ok=True)
    _mount(libc, "tmpfs", new_root + work, "tmpfs", flags,
           f"mode=0700,size={WORK_MB}m,nr_inodes={WORK_FILES}{uid_opts}")
    home = new_root + "/tmp/.home"
    os.mkdir(home, 0o700)
    if owner:
        os.chown(home, *owner)
    _mount(libc, "proc", new_root + "/proc", "proc", MS_NOSUID | MS_NODEV | 8)  # 8: MS_NOEXEC
    _pivot(libc, new_root)
    return work, {"work": work, "tmp": "/tmp", "shm": "/dev/shm", "home": "/tmp/.home"}


def _pivot(libc, new_root):
    """The root becomes ``new_root``; the old root is detached, unreachable by any path."""
    import ctypes
    import platform

    os.chdir(new_root)
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None or libc.syscall(number, b".", b".") != 0:
        errno = ctypes.get_errno() if number is not None else 38
        raise OSError(errno, f"pivot_root: {os.strerror(errno)}")
    # the old root is now stacked on "/": detach it (every process of this namespace moved along)
    if libc.umount2(b".", MNT_DETACH) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"detaching the old root: {os.strerror(errno)}")
    os.chdir("/")


def read_only(libc, writable):
    """Every mount of this namespace read-only, but the ``writable`` folders.

    Flags the kernel locked on mounts bound from the machine (nosuid, nodev,
    noexec, atime) are kept, as a user namespace requires.
    """
    import ctypes

    keep = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: 8,
            os.ST_NOATIME: 1024, os.ST_NODIRATIME: 2048, os.ST_RELATIME: 1 << 21}
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4].encode().decode("unicode_escape") for line in f]
    for point in sorted(set(points), key=len):
        if point in writable or point.startswith("/proc/") or point == "/proc":
            continue
        try:
            flag = os.statvfs(point).f_flag
        except OSError:
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | sum(ms for st, ms in keep.items() if flag & st)
        if libc.mount(None, os.fsencode(point), None, flags, None) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"cannot make {point} read-only: {os.strerror(errno)}")
