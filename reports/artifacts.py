"""Keeping a grading's artifacts on disk (for a resumed ``grade-all``): one ``.npz``, no pickle.

An artifact (see :func:`autograder.engine.keep_artifacts`) is
``{"test": str, "values": {key: ndarray | float | bool | str}, "errors": {key: str}}``
(and ``"reason"`` when it could not be read). Arrays go into the archive as
arrays, everything else into one JSON member; :func:`load` reads it back with
``allow_pickle=False``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

_META = "__meta__"


def save(path, artifacts):
    """Write ``artifacts`` (a Report's ``artifacts`` dict) to ``path`` (``.npz``) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays, meta = {}, {}
    for i, (name, entry) in enumerate((artifacts or {}).items()):
        m = {"name": str(name), "test": str(entry.get("test", "")), "errors": dict(entry.get("errors") or {}),
             "scalars": {}, "arrays": {}}
        if entry.get("reason"):
            m["reason"] = str(entry["reason"])
        for j, (key, value) in enumerate((entry.get("values") or {}).items()):
            if isinstance(value, np.ndarray):
                member = f"a{i}_{j}"
                arrays[member] = value
                m["arrays"][str(key)] = member
            elif isinstance(value, (bool, int, float, str)):
                m["scalars"][str(key)] = value
        meta[str(i)] = m
    arrays[_META] = np.array(json.dumps(meta, allow_nan=True))
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    os.replace(tmp, path)
    return path


def load(path):
    """The artifacts written by :func:`save` (``{}`` when the file is missing or unreadable)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data[_META][()]))
            out = {}
            for m in meta.values():
                values = dict(m["scalars"])
                values.update({key: data[member] for key, member in m["arrays"].items()})
                entry = {"test": m["test"], "values": values, "errors": m["errors"]}
                if "reason" in m:
                    entry["reason"] = m["reason"]
                out[m["name"]] = entry
            return out
    except (OSError, ValueError, KeyError, TypeError):
        return {}
