"""Benchmark: the reference ``gaussian_kde_logpdf`` against scikit-learn and SciPy.

    .venv/bin/python bench/bench_kde.py

For n = 10^4 and 10^5 training rows, m = 10^4 queries, d = 1 and 2 (standard
normal data, Scott's bandwidth h from the reference's ``scott_bandwidth``):

- reference: ``kde.gaussian_kde_logpdf(X, Q, h)``;
- scikit-learn: ``KernelDensity(kernel="gaussian", bandwidth=h).fit(X).score_samples(Q)``
  at its exact default (atol = rtol = 0), fit included;
- SciPy: ``scipy.stats.gaussian_kde(X.T, bw_method).logpdf(Q.T)``, fit included.
  In 1-D ``bw_method = h / std(x, ddof=1)`` gives the same kernel; in 2-D SciPy
  uses its default (Scott's factor times the full data covariance, so its
  kernel is close to, not equal to, h^2 I on this data).

Ratios below 1 mean the reference is faster. Peak memory is the reference's,
traced by ``tracemalloc`` in a separate run. scikit-learn and SciPy take
seconds to a minute per call, so they are timed once (repeat=1); the
reference is timed best of 3 (n = 10^4) or 2 (n = 10^5). The whole run needs
about 2.6 minutes of CPU, over 90 % of it in scikit-learn and SciPy (about
4 minutes of wall time when other jobs share the 2 cores).
"""
from __future__ import annotations

import numpy as np
from scipy.stats import gaussian_kde
from sklearn.neighbors import KernelDensity

from common import best_time, load_reference, peak_mib, print_table

N_QUERIES = 10_000
CASES = [(10_000, 1), (100_000, 1), (10_000, 2), (100_000, 2)]


def main():
    kde = load_reference("kde")
    rng = np.random.default_rng(0)
    rows, notes = [], []
    for n, d in CASES:
        X = rng.standard_normal((n, d))
        Q = rng.standard_normal((N_QUERIES, d))
        h = kde.scott_bandwidth(X)

        out = {}  # the last result of each method, compared below (no extra run)

        def run_ref():
            out["ref"] = kde.gaussian_kde_logpdf(X, Q, h)

        def run_sklearn():
            kd = KernelDensity(kernel="gaussian", bandwidth=h).fit(X)
            out["sklearn"] = kd.score_samples(Q)

        if d == 1:
            bw_method = h / np.std(X[:, 0], ddof=1)
        else:
            bw_method = None  # SciPy's default (Scott x data covariance)

        def run_scipy():
            out["scipy"] = gaussian_kde(X.T, bw_method=bw_method).logpdf(Q.T)

        t_ref = best_time(run_ref, repeat=3 if n <= 10_000 else 2)
        t_sk = best_time(run_sklearn, repeat=1)  # seconds per call
        t_sp = best_time(run_scipy, repeat=1)
        peak = peak_mib(run_ref)

        got, sk, sp = out["ref"], out["sklearn"], out["scipy"]
        above = sk > -10
        diff_sk = np.max(np.abs(got - sk)[above]) if above.any() else float("nan")
        diff_sp = np.max(np.abs(got - sp))
        notes.append(
            f"n={n}, d={d}, h={h:.4g}: max |ref - sklearn| where sklearn > -10 = "
            f"{diff_sk:.1e}; max |ref - scipy| = {diff_sp:.1e}"
            + ("" if d == 1 else " (different kernel: SciPy's default bandwidth)")
        )
        rows.append([
            f"{n:.0e}".replace("+0", ""), d,
            f"{t_ref:.2f}", f"{t_sk:.2f}", f"{t_ref / t_sk:.2f}",
            f"{t_sp:.2f}" + ("" if d == 1 else " (default bw)"), f"{t_ref / t_sp:.2f}",
            f"{peak:.1f}",
        ])
        print(f"done n={n} d={d}", flush=True)

    print_table(
        f"gaussian_kde_logpdf, m = {N_QUERIES} queries (times in seconds)",
        ["n", "d", "reference s", "sklearn s", "ref/sklearn", "scipy s", "ref/scipy",
         "reference peak MiB"],
        rows,
    )
    print()
    for line in notes:
        print(f"- {line}")


if __name__ == "__main__":
    main()
