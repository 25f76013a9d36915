"""Synthetic Gaussian mixtures with known parameters and known components.

Two functions, used by the hidden tests, the benchmarks and the notebooks:

- :func:`random_gmm` draws the parameters of a Gaussian mixture, in
  scikit-learn's shapes, with well-conditioned covariances and means kept a
  chosen number of standard deviations apart;
- :func:`sample_gmm` draws samples from a mixture *and* the component each
  sample came from, so a test can compare a fit with the truth.

Parameter shapes (``n_components`` = K, ``n_features`` = d):

- ``"full"``: weights (K,), means (K, d), covariances (K, d, d);
- ``"diag"``: weights (K,), means (K, d), covariances (K, d) (variances);
- ``"spherical"``: weights (K,), means (K, d), covariances (K,) (one
  variance per component).

Examples
--------
>>> weights, means, covariances = random_gmm(3, 2, separation=4.0, rng=0)
>>> X, z = sample_gmm(500, weights, means, covariances, rng=1)
>>> X.shape, z.shape
((500, 2), (500,))
"""
from __future__ import annotations

import numpy as np

__all__ = ["random_gmm", "sample_gmm"]

_COVARIANCE_TYPES = ("full", "diag", "spherical")


def _check_covariance_type(covariance_type):
    if covariance_type not in _COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type must be one of {_COVARIANCE_TYPES}, got {covariance_type!r}"
        )


def random_gmm(
    n_components,
    n_features,
    *,
    covariance_type="full",
    separation=3.0,
    min_weight=None,
    variance_range=(0.5, 2.0),
    rng=None,
):
    """Draw the parameters of a random Gaussian mixture.

    Parameters
    ----------
    n_components : int
        Number of components K (>= 1).
    n_features : int
        Dimension d (>= 1).
    covariance_type : {"full", "diag", "spherical"}, default="full"
        Shape of the returned covariances (scikit-learn's conventions).
    separation : float, default=3.0
        Every pair of means is at least ``separation * s_max`` apart
        (Euclidean distance), where ``s_max`` is the largest standard
        deviation of any component in any direction (the square root of the
        largest covariance eigenvalue). About 2 gives overlapping
        components, 4 or more well-separated ones; 0 puts no constraint on
        the means.
    min_weight : float or None, default=None
        Smallest mixing weight. Weights are ``min_weight + (1 - K*min_weight)
        * Dirichlet(2, ..., 2)``. None means ``0.5 / K`` (no component gets
        less than half its uniform share).
    variance_range : (float, float), default=(0.5, 2.0)
        Every covariance eigenvalue (variance along a principal axis) is
        drawn uniformly in this range, so each covariance's condition number
        is at most ``variance_range[1] / variance_range[0]`` (4 by default).
    rng : None, int or numpy.random.Generator, default=None
        Source of randomness (passed to :func:`numpy.random.default_rng`).

    Returns
    -------
    weights : ndarray of shape (n_components,)
        Positive, sum to 1.
    means : ndarray of shape (n_components, n_features)
        Pairwise distances >= ``separation * s_max``.
    covariances : ndarray
        (K, d, d) symmetric positive definite matrices ``Q diag(lam) Q^T``
        with a random rotation Q for ``"full"``; (K, d) variances for
        ``"diag"``; (K,) variances for ``"spherical"``.

    Notes
    -----
    Means are drawn one at a time from N(0, c^2 I) and redrawn while closer
    than the required distance to an earlier mean; the spread c starts at
    ``separation * s_max * K^(1/d) / sqrt(2 d)`` (two such draws lie about
    ``c sqrt(2 d)`` apart, so the closest pair is typically not much farther
    than required, in any dimension) and grows by half after every 100
    rejected draws, so the loop always ends.
    """
    rng = np.random.default_rng(rng)
    _check_covariance_type(covariance_type)
    n_components = int(n_components)
    n_features = int(n_features)
    if n_components < 1 or n_features < 1:
        raise ValueError(
            f"n_components and n_features must be >= 1, got {n_components} and {n_features}"
        )
    if separation < 0:
        raise ValueError(f"separation must be >= 0, got {separation}")
    low, high = (float(v) for v in variance_range)
    if not 0 < low <= high:
        raise ValueError(f"variance_range must satisfy 0 < low <= high, got {variance_range}")
    if min_weight is None:
        min_weight = 0.5 / n_components
    if not 0 <= min_weight * n_components <= 1:
        raise ValueError(f"min_weight must lie in [0, 1/n_components], got {min_weight}")

    # Mixing weights: a floor plus a Dirichlet share of the rest.
    weights = min_weight + (1.0 - n_components * min_weight) * rng.dirichlet(
        np.full(n_components, 2.0)
    )
    weights /= weights.sum()

    # Covariances with eigenvalues in [low, high].
    if covariance_type == "full":
        eigenvalues = rng.uniform(low, high, size=(n_components, n_features))
        gauss = rng.standard_normal(size=(n_components, n_features, n_features))
        q, r = np.linalg.qr(gauss)
        q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]  # Haar rotation
        covariances = (q * eigenvalues[:, None, :]) @ np.swapaxes(q, 1, 2)
        covariances = 0.5 * (covariances + np.swapaxes(covariances, 1, 2))
        largest_variance = eigenvalues.max()
    elif covariance_type == "diag":
        covariances = rng.uniform(low, high, size=(n_components, n_features))
        largest_variance = covariances.max()
    else:
        covariances = rng.uniform(low, high, size=n_components)
        largest_variance = covariances.max()

    # Means at least min_dist apart.
    min_dist = separation * np.sqrt(largest_variance)
    spread = (
        max(min_dist, np.sqrt(largest_variance))
        * n_components ** (1.0 / n_features)
        / np.sqrt(2.0 * n_features)
    )
    means = np.empty((n_components, n_features))
    for k in range(n_components):
        rejected = 0
        while True:
            candidate = spread * rng.standard_normal(n_features)
            if k == 0 or np.min(np.linalg.norm(means[:k] - candidate, axis=1)) >= min_dist:
                break
            rejected += 1
            if rejected % 100 == 0:
                spread *= 1.5
        means[k] = candidate
    return weights, means, covariances


def sample_gmm(n_samples, weights, means, covariances, covariance_type="full", rng=None):
    """Draw samples from a Gaussian mixture, with the component of each.

    Parameters
    ----------
    n_samples : int
        Number of samples n.
    weights : array-like of shape (n_components,)
        Mixing weights (non-negative, summing to 1).
    means : array-like of shape (n_components, n_features)
    covariances : array-like
        (K, d, d) for ``"full"``, (K, d) for ``"diag"``, (K,) for
        ``"spherical"``; positive definite.
    covariance_type : {"full", "diag", "spherical"}, default="full"
    rng : None, int or numpy.random.Generator, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The samples, in random order.
    z : ndarray of shape (n_samples,), dtype int
        ``z[i]`` is the component that ``X[i]`` was drawn from.

    Notes
    -----
    The component counts are one multinomial draw (n, weights); component
    k's samples are ``means[k] + L_k e`` with ``L_k`` the Cholesky factor of
    its covariance and ``e ~ N(0, I)``; finally the rows are shuffled (so
    any prefix of ``X`` is itself a sample of the mixture).
    """
    rng = np.random.default_rng(rng)
    _check_covariance_type(covariance_type)
    weights = np.asarray(weights, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    covariances = np.asarray(covariances, dtype=np.float64)
    if means.ndim != 2:
        raise ValueError(f"means must have shape (n_components, n_features), got {means.shape}")
    n_components, n_features = means.shape
    expected = {
        "full": (n_components, n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]
    if weights.shape != (n_components,):
        raise ValueError(f"weights must have shape ({n_components},), got {weights.shape}")
    if covariances.shape != expected:
        raise ValueError(
            f"{covariance_type!r} covariances must have shape {expected}, got {covariances.shape}"
        )
    if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0):
        raise ValueError("weights must be non-negative and sum to 1")

    counts = rng.multinomial(int(n_samples), weights / weights.sum())
    z = np.repeat(np.arange(n_components), counts)
    noise = rng.standard_normal(size=(int(n_samples), n_features))
    X = np.empty_like(noise)
    start = 0
    for k, count in enumerate(counts):
        block = slice(start, start + count)
        if covariance_type == "full":
            chol = np.linalg.cholesky(covariances[k])
            X[block] = means[k] + noise[block] @ chol.T
        elif covariance_type == "diag":
            X[block] = means[k] + noise[block] * np.sqrt(covariances[k])
        else:
            X[block] = means[k] + noise[block] * np.sqrt(covariances[k])
        start += count
    order = rng.permutation(int(n_samples))
    return X[order], z[order]


def random_spd(rng, n_features, cond=10.0, scale=1.0):
    """A random symmetric positive definite matrix with condition number ``cond``.

    Eigenvectors from the QR factor of a Gaussian matrix; eigenvalues spaced
    geometrically from 1 to ``cond``, times a random factor in [0.5, 2] and
    ``scale``.
    """
    rng = np.random.default_rng(rng)
    q, _ = np.linalg.qr(rng.normal(size=(n_features, n_features)))
    eig = np.geomspace(1.0, cond, n_features) * rng.uniform(0.5, 2.0) * scale
    return (q * eig) @ q.T
