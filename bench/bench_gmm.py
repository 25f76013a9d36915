"""Benchmark: one EM iteration of the reference ``GaussianMixtureEM`` against
``sklearn.mixture.GaussianMixture`` (full covariances).

Usage (from the repository root)::

    .venv/bin/python bench/bench_gmm.py [--threads 1] [--iters 4] [--repeat 3] [--quick]

Method
------
For every (N, d, K) the data are N samples of a random K-component mixture
(``datasets/synthetic.py``, separation 2). Both implementations start from
the same point — uniform weights, K random rows as means, the data
covariance for every component (scikit-learn gets
``precisions_init = inv(covariances)``) — with ``tol=0`` so neither stops
early. Each is fitted with ``max_iter=k`` and with ``max_iter=1``; the time
per iteration is

    (T(max_iter=k) - T(max_iter=1)) / (k - 1),

which cancels everything that is not an EM iteration (input validation,
initialisation from the given parameters, scikit-learn's final E-step). Each
T is the best of ``--repeat`` runs, the four fits of a row being interleaved
(ref k, sklearn k, ref 1, sklearn 1) so that a burst of load on a shared
machine hits both sides alike. ``max abs param diff`` is the largest absolute
difference between the two implementations' weights, means and covariances
after the k iterations (the same arithmetic done in another order).

BLAS runs single-threaded by default (``--threads 1``: the variables below
are set before NumPy is imported) because on a shared 2-core machine
multi-threaded BLAS timings are dominated by other processes; pass
``--threads 0`` to leave the library defaults.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

_THREAD_VARS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (0 = library default); default 1")
    parser.add_argument("--iters", type=int, default=4,
                        help="k in (T(k) - T(1)) / (k - 1); default 4")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per timing (the best is kept); default 3")
    parser.add_argument("--quick", action="store_true",
                        help="only N = 1e4 (a few seconds)")
    return parser.parse_args(argv)


ARGS = _parse_args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.threads > 0:
    for _var in _THREAD_VARS:
        os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread settings)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, best_time, load_reference, print_table  # noqa: E402

sys.path.insert(0, str(ROOT))
from datasets.synthetic import random_gmm, sample_gmm  # noqa: E402

SIZES_N = (10_000, 100_000)
SIZES_D = (2, 10, 50)
SIZES_K = (3, 10)


def _problem(n_samples, n_features, n_components, seed=0):
    """Data and a common starting point (weights, means, covariances)."""
    weights, means, covariances = random_gmm(
        n_components, n_features, covariance_type="full", separation=2.0, rng=seed
    )
    X, _ = sample_gmm(n_samples, weights, means, covariances, rng=seed + 1)
    rng = np.random.default_rng(seed + 2)
    w0 = np.full(n_components, 1.0 / n_components)
    m0 = X[rng.choice(n_samples, n_components, replace=False)]
    c0 = np.repeat(np.cov(X.T).reshape(1, n_features, n_features), n_components, axis=0)
    return X, w0, m0, c0


def bench_row(ref, n_samples, n_features, n_components, iters=4, repeat=3):
    """Seconds per EM iteration of the reference and of scikit-learn, and the
    largest parameter difference after ``iters`` iterations."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    X, w0, m0, c0 = _problem(n_samples, n_features, n_components)
    p0 = np.linalg.inv(c0)

    def fit_ref(max_iter):
        return ref.GaussianMixtureEM(
            n_components, covariance_type="full", tol=0.0, max_iter=max_iter,
            weights_init=w0, means_init=m0, covariances_init=c0,
        ).fit(X)

    def fit_sk(max_iter):
        return GaussianMixture(
            n_components, covariance_type="full", tol=0.0, max_iter=max_iter,
            weights_init=w0, means_init=m0, precisions_init=p0,
        ).fit(X)

    best = {key: float("inf") for key in ("ref_k", "sk_k", "ref_1", "sk_1")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit_ref(1), fit_sk(1)  # warm-up (imports, caches)
        for _ in range(repeat):  # interleaved: load bursts hit both sides
            best["ref_k"] = min(best["ref_k"], best_time(lambda: fit_ref(iters), repeat=1))
            best["sk_k"] = min(best["sk_k"], best_time(lambda: fit_sk(iters), repeat=1))
            best["ref_1"] = min(best["ref_1"], best_time(lambda: fit_ref(1), repeat=1))
            best["sk_1"] = min(best["sk_1"], best_time(lambda: fit_sk(1), repeat=1))
        a, b = fit_ref(iters), fit_sk(iters)
    ref_s = max(best["ref_k"] - best["ref_1"], 0.0) / (iters - 1)
    sk_s = max(best["sk_k"] - best["sk_1"], 0.0) / (iters - 1)
    diff = max(
        np.max(np.abs(a.weights_ - b.weights_)),
        np.max(np.abs(a.means_ - b.means_)),
        np.max(np.abs(a.covariances_ - b.covariances_)),
    )
    return ref_s, sk_s, diff


def main(args):
    ref = load_reference("gmm")
    threads = "library default" if args.threads <= 0 else args.threads
    sizes_n = SIZES_N[:1] if args.quick else SIZES_N
    rows = []
    for n_samples in sizes_n:
        for n_features in SIZES_D:
            for n_components in SIZES_K:
                ref_s, sk_s, diff = bench_row(
                    ref, n_samples, n_features, n_components, args.iters, args.repeat
                )
                ratio = ref_s / sk_s if sk_s > 0 else float("nan")
                rows.append([
                    f"{n_samples:,}", n_features, n_components,
                    f"{ref_s:.4f}", f"{sk_s:.4f}", f"{ratio:.2f}", f"{diff:.1e}",
                ])
                print(f"  N={n_samples} d={n_features} K={n_components}: ratio {ratio:.2f}",
                      file=sys.stderr, flush=True)
    print_table(
        f"gmm: one EM iteration, full covariances (BLAS threads: {threads}; "
        f"(T(max_iter={args.iters}) - T(max_iter=1)) / {args.iters - 1}, best of {args.repeat})",
        ["N", "d", "K", "reference s/iter", "sklearn s/iter", "ratio", "max abs param diff"],
        rows,
    )


if __name__ == "__main__":
    main(ARGS)
