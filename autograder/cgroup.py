"""One control group per sandbox: a limit on everything its processes hold together.

The child's address-space limit (``RLIMIT_AS``) is per process. Memory no
single process maps escapes it: the pages of the child's tmpfs folders,
``memfd`` files never mapped, and what many processes hold together (64
processes × 2 GiB). A control group counts all of it: every process of the
sandbox, its tmpfs pages and its shared memory are charged to one group with

- ``memory``: the call's limit + the three tmpfs folders + :data:`HEADROOM_MB`
  (no swap beyond it); over it the kernel kills a process of the sandbox
  ("killed by SIGKILL (killed: out of memory?)"), never the grader;
- ``pids``: the sandbox's process limit + its init and the process outside
  (threads count too);
- ``cpu``: one core at most, so a sandbox that spins 60 processes cannot
  starve the gradings beside it.

Created by the grader (it needs write access to the cgroup file system: root,
or a delegated cgroup v2 subtree); the child joins it first thing, before any
student code. Where none can be created (a normal user without delegation)
the sandbox runs without one, and says so in its isolation report.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

BASE = Path("/sys/fs/cgroup")
#: Memory beyond the call's own limit: the interpreter's other processes (init, the process
#: outside the namespace) and the kernel's own accounting.
HEADROOM_MB = 512
CPU_PERIOD_US = 100_000
#: An empty group this old belongs to no live sandbox (a child joins its group at once).
STALE_S = 300
PREFIX = "autograder-"


def _own_path(controller):
    """This process's cgroup path for a v1 ``controller`` ("" for the v2 hierarchy)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(",") or (controller == "" and names == ""):
            return path.lstrip("/")
    return None


def _write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


class Cgroup:
    """The sandbox's control group(s): ``procs`` are the files the child writes its pid to."""

    def __init__(self, dirs):
        self.dirs = dirs

    @property
    def procs(self):
        return [str(d / "cgroup.procs") for d in self.dirs]

    @classmethod
    def create(cls, name, *, memory_mb, processes, cpus=1):
        """A new group (v2 where delegated, else v1's memory, pids and cpu), or None.

        Empty groups of sandboxes whose grader was killed (it could not remove them) are
        removed first, once they are :data:`STALE_S` seconds old.
        """
        memory = memory_mb << 20
        made = []
        sweep()
        try:
            v2 = BASE / (_own_path("") or "")
            if (BASE / "cgroup.controllers").exists() and {"memory", "pids"} <= set(
                    (v2 / "cgroup.subtree_control").read_text().split()):
                group = v2 / name
                group.mkdir()
                made.append(group)
                _write(group / "memory.max", memory)
                _write(group / "memory.swap.max", 0)
                _write(group / "pids.max", processes)
                if (group / "cpu.max").exists():
                    _write(group / "cpu.max", f"{cpus * CPU_PERIOD_US} {CPU_PERIOD_US}")
                return cls(made)
            for controller in ("memory", "pids", "cpu"):
                own = _own_path(controller)
                if own is None or not (BASE / controller).is_dir():
                    if controller == "cpu":
                        continue
                    raise OSError(f"no {controller} controller")
                group = BASE / controller / own / name
                group.mkdir()
                made.append(group)
                if controller == "memory":
                    _write(group / "memory.limit_in_bytes", memory)
                    if (group / "memory.memsw.limit_in_bytes").exists():
                        _write(group / "memory.memsw.limit_in_bytes", memory)
                elif controller == "pids":
                    _write(group / "pids.max", processes)
                else:
                    _write(group / "cpu.cfs_period_us", CPU_PERIOD_US)
                    _write(group / "cpu.cfs_quota_us", cpus * CPU_PERIOD_US)
            return cls(made)
        except OSError:
            cls(made).remove()
            return None

    def kill(self):
        """SIGKILL every process still in the group."""
        for d in self.dirs:
            try:
                pids = (d / "cgroup.procs").read_text().split()
            except OSError:
                continue
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, PermissionError, ValueError):
                    pass

    def remove(self):
        """Kill what is left and remove the group (its processes take a moment to go)."""
        for _ in range(50):
            self.kill()
            left = []
            for d in self.dirs:
                try:
                    d.rmdir()
                except FileNotFoundError:
                    continue
                except OSError:
                    left.append(d)
            self.dirs = left
            if not left:
                return
            time.sleep(0.05)


def sweep(now=None, prefix=PREFIX):
    """Remove the empty ``autograder-*`` groups older than :data:`STALE_S` seconds
    (left by graders that were killed), in every hierarchy this process can write.

    ``now`` and ``prefix`` are for the kit's own test, which sweeps with a clock moved forward:
    it names its own groups (a longer ``prefix``), so a group another grader has just made for a
    child that is still starting is never swept.
    """
    if not prefix.startswith(PREFIX):
        raise ValueError(f"a sweep removes only the kit's groups: prefix must start with {PREFIX!r}")
    now = time.time() if now is None else now
    parents = {BASE / (_own_path("") or "")}
    parents.update(BASE / c / (_own_path(c) or "") for c in ("memory", "pids", "cpu"))
    for parent in parents:
        try:
            entries = list(parent.glob(prefix + "*"))
        except OSError:
            continue
        for group in entries:
            try:
                if now - group.stat().st_mtime < STALE_S or (group / "cgroup.procs").read_text().strip():
                    continue
                group.rmdir()
            except OSError:
                continue
