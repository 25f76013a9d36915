"""Shipped data, loaders and the IDX parser (no network: the tests write their own files)."""
import gzip
import hashlib
import struct

import numpy as np
import pytest

import datasets
from datasets import mnist
from tests.conftest import ROOT

HERE = ROOT / "datasets"


def test_sha256sums_lists_every_shipped_data_file_and_matches():
    lines = (HERE / "SHA256SUMS").read_text().split("\n")
    sums = dict(reversed(line.split()) for line in lines if line.strip())
    shipped = {p.name for p in HERE.iterdir() if p.suffix in (".csv", ".npz")}
    assert set(sums) == shipped
    for name, digest in sums.items():
        assert hashlib.sha256((HERE / name).read_bytes()).hexdigest() == digest


def test_old_faithful_is_the_r_table():
    X = datasets.load_old_faithful()
    assert X.shape == (272, 2) and X.dtype == np.float64
    # R: colMeans(faithful), sapply(faithful, sd) — docs/FACTS.md
    np.testing.assert_allclose(X.mean(axis=0), [3.487783, 70.897059], atol=5e-7)
    np.testing.assert_allclose(X.std(axis=0, ddof=1), [1.141371, 13.594974], atol=5e-7)
    Z = datasets.load_old_faithful(standardize=True)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0, ddof=1), 1)


def test_mnist_subset_is_300_images_of_each_digit_and_the_held_out_200_more():
    images, labels = datasets.load_mnist_subset()
    assert images.shape == (3000, 784) and images.dtype == np.uint8
    assert np.array_equal(np.bincount(labels), np.full(10, 300))
    assert images.max() == 255 and images.min() == 0
    held, held_labels = datasets.load_mnist_heldout()
    assert held.shape == (2000, 784) and held.dtype == np.uint8
    assert np.array_equal(np.bincount(held_labels), np.full(10, 200))
    # no held-out image is among the public ones (the accuracy test's point)
    assert not set(map(bytes, held)) & set(map(bytes, images))


def test_the_two_parts_are_mlxtends_5000_split_as_carve_mnist_says():
    """Reassembled, they are the 5,000 (500 per digit, sorted by label); carved again with
    datasets/carve_mnist.py's rule they give the two files row for row."""
    from datasets.carve_mnist import carve

    images, labels = datasets.load_mnist_5k()
    assert images.shape == (5000, 784) and np.array_equal(labels, np.repeat(np.arange(10), 500))
    public, heldout = carve(images, labels)
    assert np.array_equal(images[public], datasets.load_mnist_subset()[0])
    assert np.array_equal(images[heldout], datasets.load_mnist_heldout()[0])


def test_an_altered_subset_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "mnist_3k.npz"
    bad.write_bytes((HERE / "mnist_3k.npz").read_bytes()[:-10])
    monkeypatch.setattr(mnist, "MNIST_SUBSET_PATH", bad)
    with pytest.raises(datasets.ChecksumError, match="git checkout"):
        datasets.load_mnist_subset()


def test_a_missing_held_out_file_says_it_ships_with_the_grader_only(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "MNIST_HELDOUT_PATH", tmp_path / "mnist_heldout.npz")
    with pytest.raises(FileNotFoundError, match="grader only"):
        datasets.load_mnist_heldout()


def _idx(array, code):
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype, code", [(np.uint8, 0x08), (np.int16, 0x0B), (np.float32, 0x0D)])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips(tmp_path, dtype, code, compress):
    arr = (np.arange(2 * 3 * 4) % 7).astype(dtype).reshape(2, 3, 4)
    raw = _idx(arr, code)
    path = tmp_path / "x.idx"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    out = datasets.read_idx(path)
    assert out.dtype == np.dtype(dtype) and np.array_equal(out, arr)


@pytest.mark.parametrize("raw, message", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "magic"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "type code"),
    (b"\x00\x00\x08\x02\x00\x00", "truncated"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "truncated or corrupt"),
])
def test_malformed_idx_files_give_clear_errors(tmp_path, raw, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=message):
        datasets.read_idx(path)


def test_full_mnist_missing_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="make mnist"):
        datasets.load_mnist("test", cache_dir=tmp_path)


def test_full_mnist_wrong_checksum_names_the_command(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"not mnist"))
    with pytest.raises(datasets.ChecksumError, match="make mnist"):
        datasets.load_mnist("test", cache_dir=tmp_path)


def test_full_mnist_loads_uncompressed_official_layout(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10000, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=10000).astype(np.uint8)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_idx(images, 0x08))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx(labels, 0x08))
    X, y = datasets.load_mnist("test", cache_dir=tmp_path)
    assert X.shape == (10000, 784) and X.dtype == np.uint8 and np.array_equal(X, images.reshape(10000, -1))
    assert np.array_equal(y, labels)
