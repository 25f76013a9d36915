"""Old Faithful geyser data (R's ``datasets::faithful``), shipped with the kit.

272 eruptions of the Old Faithful geyser (Yellowstone National Park, USA),
two columns, both in minutes:

``eruptions``
    duration of the eruption;
``waiting``
    waiting time until the next eruption.

The table is the one in R's ``datasets`` package (source: W. Härdle, 1991,
*Smoothing Techniques with Implementation in S*; see also Azzalini & Bowman,
1990, *Applied Statistics* 39, 357–365). Provenance, licence and checksum are
in ``datasets/README.md``. The file ``old_faithful.csv`` beside this module is
read with NumPy only and its SHA-256 is checked on every load, so a modified
copy is refused rather than silently giving different answers.

Examples
--------
>>> X = load_old_faithful()
>>> X.shape
(272, 2)
>>> Z = load_old_faithful(standardize=True)   # each column mean 0, sd 1 (n-1)
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ._shipped import shipped_file

__all__ = ["load_old_faithful", "OLD_FAITHFUL_CSV"]

#: Path of the shipped CSV (header ``eruptions,waiting``, 272 data rows).
OLD_FAITHFUL_CSV = Path(__file__).resolve().parent / "old_faithful.csv"


_N_ROWS = 272
_HEADER = "eruptions,waiting"


def load_old_faithful(standardize=False):
    """Load the Old Faithful data as a float array.

    Parameters
    ----------
    standardize : bool, default=False
        If True, centre each column on its mean and divide it by its
        standard deviation with divisor n - 1 (R's ``scale``).

    Returns
    -------
    X : ndarray of shape (272, 2), dtype float64
        Column 0 is ``eruptions`` (eruption duration, minutes), column 1 is
        ``waiting`` (waiting time to the next eruption, minutes), in R's
        row order.

    Raises
    ------
    FileNotFoundError
        If ``old_faithful.csv`` is missing next to this module.
    ChecksumError
        If the file's SHA-256 differs from the one in ``SHA256SUMS`` (the
        file was altered).
    """
    raw = shipped_file(OLD_FAITHFUL_CSV.name, OLD_FAITHFUL_CSV).read_bytes()
    text = raw.decode("utf-8")
    header = text.split("\n", 1)[0].strip()
    if header != _HEADER:  # cannot happen with a matching checksum; kept as a guard
        raise ValueError(f"unexpected header {header!r} in {OLD_FAITHFUL_CSV}; expected {_HEADER!r}")
    X = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    if X.shape != (_N_ROWS, 2):
        raise ValueError(f"{OLD_FAITHFUL_CSV} holds an array of shape {X.shape}; expected ({_N_ROWS}, 2)")
    if standardize:
        X = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    return X
