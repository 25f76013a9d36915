"""The files that ship in ``datasets/``: one list of checksums, one check.

``SHA256SUMS`` (``sha256sum`` format) is the single source of the expected
checksums; every loader of a shipped file goes through :func:`shipped_file`,
so a missing, truncated or edited file is refused with a message saying how
to restore it, rather than silently giving different answers.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent


class ChecksumError(ValueError):
    """A data file's SHA-256 differs from the expected one (altered or truncated)."""


def sha256_of(path, chunk_size=1 << 20):
    """SHA-256 hex digest of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def expected_sums():
    """{file name: SHA-256} from ``SHA256SUMS``."""
    sums = {}
    for line in (DATA_DIR / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip().lstrip("*")] = digest
    return sums


def shipped_file(name, path=None):
    """Path of the shipped file ``name`` after checking its SHA-256.

    ``path`` overrides where the file is looked for (tests use it).
    """
    path = Path(path) if path is not None else DATA_DIR / name
    restore = f"restore it with `git checkout -- datasets/{name}`"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; it ships with the kit — {restore}.")
    got, expected = sha256_of(path), expected_sums()[name]
    if got != expected:
        raise ChecksumError(f"{path} has SHA-256 {got}, expected {expected}: the file was altered "
                            f"or truncated — {restore}; do not edit it.")
    return path
