"""Gaussian mixture models fitted by expectation-maximisation (EM).

Assignment ``gmm``. Notation and array shapes follow scikit-learn
(``sklearn/mixture/_gaussian_mixture.py``):

- ``X``: (n_samples, n_features) — n samples of dimension d; a 1-D array
  means d = 1;
- ``weights``: (n_components,) — the mixing weights pi_k, summing to 1;
- ``means``: (n_components, n_features) — the component means mu_k;
- ``covariances``: (n_components, n_features, n_features) for ``"full"``,
  (n_components, n_features) for ``"diag"`` (the variances of each feature),
  (n_components,) for ``"spherical"`` (one variance per component);
- ``resp``: (n_samples, n_components) — the responsibilities
  r_ik = P(component k | x_i), each row summing to 1.

The mixture density is p(x) = sum_k pi_k N(x; mu_k, Sigma_k). Everything
that can underflow is computed in log space; no covariance matrix is ever
inverted: log-densities use the Cholesky factor U_k of the precision
(Sigma_k^{-1} = U_k U_k^T, U_k = L_k^{-T} from Sigma_k = L_k L_k^T by a
triangular solve), as scikit-learn does.

Allowed imports: NumPy, ``scipy.special``, ``scipy.linalg`` and the standard
library (``sklearn`` and ``scipy.stats`` are refused by the autograder).
"""
import math

import numpy as np
from scipy.linalg import cholesky, solve_triangular
from scipy.special import logsumexp

COVARIANCE_TYPES = ("full", "diag", "spherical")

_CHOLESKY_ERROR = (
    "Fitting the mixture model failed because some components have an "
    "ill-defined covariance (not positive definite: for instance a component "
    "that holds a single sample or collapsed samples). Increase reg_covar, "
    "decrease the number of components, or scale the input data."
)

# Number of float64 entries of the (rows, K*d) block used by the "full"
# log-density (16 MiB): bounds memory for any n_samples.
_BLOCK_SIZE = 1 << 21


###############################################################################
# Input validation (plain checks, not part of the exercise)


def _check_X(X, name="X"):
    """Return ``X`` as a 2-D float64 array; a 1-D array becomes (n, 1)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, np.newaxis]
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (n_samples, n_features) or a 1-D array "
            f"(n_samples,); got an array of shape {X.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} holds no samples (shape {X.shape})")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values; remove or impute them")
    return X


def _check_covariance_type(covariance_type):
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type must be one of {COVARIANCE_TYPES}, got {covariance_type!r}"
        )


def _check_means(means, n_features):
    """Return ``means`` as (n_components, n_features); (K,) is accepted when d = 1."""
    means = np.asarray(means, dtype=np.float64)
    if means.ndim == 1 and n_features == 1:
        means = means[:, np.newaxis]
    if means.ndim != 2 or means.shape[1] != n_features:
        raise ValueError(
            f"means must have shape (n_components, {n_features}) for data with "
            f"{n_features} feature(s); got shape {means.shape}"
        )
    return means


def _check_covariances(covariances, covariance_type, n_components, n_features):
    """Return ``covariances`` in scikit-learn's shape for ``covariance_type``.

    With d = 1, (K,) is accepted for "full" (as (K, 1, 1)) and "diag" (as (K, 1)).
    """
    covariances = np.asarray(covariances, dtype=np.float64)
    expected = {
        "full": (n_components, n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]
    if n_features == 1 and covariances.shape == (n_components,):
        covariances = covariances.reshape(expected)
    if covariances.shape != expected:
        raise ValueError(
            f"{covariance_type!r} covariances must have shape {expected}; "
            f"got shape {covariances.shape}"
        )
    if not np.all(np.isfinite(covariances)):
        raise ValueError("covariances contain NaN or infinite values")
    return covariances


def _check_weights(weights, n_components):
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    if weights.shape != (n_components,):
        raise ValueError(f"weights must have shape ({n_components},); got {weights.shape}")
    if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"weights must be non-negative and sum to 1; got {weights}")
    return weights


def _check_soft_kmeans_args(X, n_clusters, beta, init_centers, max_iter, tol):
    """``(X, n_clusters, beta, init_centers or None)`` checked for :func:`soft_kmeans`."""
    X = _check_X(X)
    n_samples, n_features = X.shape
    n_clusters = int(n_clusters)
    if not 1 <= n_clusters <= n_samples:
        raise ValueError(
            f"n_clusters must be between 1 and n_samples = {n_samples}; got {n_clusters}"
        )
    beta = float(beta)
    if not (np.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a positive finite number; got {beta}")
    if int(max_iter) < 0 or not tol >= 0:
        raise ValueError(f"max_iter and tol must be non-negative; got {max_iter} and {tol}")
    if init_centers is not None:
        init_centers = _check_means(init_centers, n_features).copy()
        if init_centers.shape[0] != n_clusters or not np.all(np.isfinite(init_centers)):
            raise ValueError(
                f"init_centers must be finite, of shape ({n_clusters}, {n_features}); "
                f"got shape {init_centers.shape}"
            )
    return X, n_clusters, beta, init_centers


def _check_resp(resp, n_samples):
    resp = np.asarray(resp, dtype=np.float64)
    if resp.ndim == 1:
        resp = resp[:, np.newaxis]
    if resp.ndim != 2 or resp.shape[0] != n_samples:
        raise ValueError(
            f"resp must have shape (n_samples, n_components) = ({n_samples}, K); "
            f"got {resp.shape}"
        )
    return resp


###############################################################################
# k-means (used to initialise EM)


def _kmeans_plusplus(X, n_clusters, rng):
    """Choose initial centres by k-means++ (D² sampling).

    The first centre is a row of ``X`` drawn uniformly; each next one is a row
    drawn with probability proportional to its squared distance to the
    nearest centre chosen so far (rows already chosen have probability 0, so
    the centres are distinct rows whenever ``X`` has enough distinct rows).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    rng : numpy.random.Generator

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    """
    ### BEGIN SOLUTION
    n_samples = X.shape[0]
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.integers(n_samples)
    closest_sq = np.sum((X - X[indices[0]]) ** 2, axis=1)
    for c in range(1, n_clusters):
        total = closest_sq.sum()
        if total > 0:
            indices[c] = rng.choice(n_samples, p=closest_sq / total)
        else:  # fewer distinct rows than clusters: any row not taken yet
            indices[c] = rng.choice(np.setdiff1d(np.arange(n_samples), indices[:c]))
        np.minimum(closest_sq, np.sum((X - X[indices[c]]) ** 2, axis=1), out=closest_sq)
    return X[indices].copy()
    ### END SOLUTION


def _assign_labels(X, centers):
    """Label of the nearest centre of each row (the first one on a tie).

    ||x - c||² = ||x||² - 2 x·c + ||c||², and ||x||² is the same for every
    centre, so the argmin of ||c||² - 2 x·c is computed (one matrix product).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype int
    """
    ### BEGIN SOLUTION
    scores = X @ (-2.0 * centers.T)
    scores += np.einsum("kj,kj->k", centers, centers)
    return np.argmin(scores, axis=1)
    ### END SOLUTION


def _update_centers(X, labels, centers):
    """Mean of the rows of each cluster; an empty cluster keeps its centre.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labels : ndarray of shape (n_samples,), dtype int
    centers : ndarray of shape (n_clusters, n_features)
        The current centres (kept for empty clusters).

    Returns
    -------
    new_centers : ndarray of shape (n_clusters, n_features)
    """
    ### BEGIN SOLUTION
    n_clusters, n_features = centers.shape
    counts = np.bincount(labels, minlength=n_clusters)
    sums = np.stack(
        [np.bincount(labels, weights=X[:, j], minlength=n_clusters) for j in range(n_features)],
        axis=1,
    )
    new_centers = centers.copy()
    nonempty = counts > 0
    new_centers[nonempty] = sums[nonempty] / counts[nonempty, np.newaxis]
    return new_centers
    ### END SOLUTION


def kmeans(X, n_clusters, init_centers=None, max_iter=300, rng=None):
    """Cluster ``X`` with Lloyd's k-means algorithm.

    Each round assigns every row to its nearest centre (Euclidean distance,
    the first centre on a tie), then moves every centre to the mean of its
    rows (an empty cluster keeps its previous centre). The algorithm stops
    when a round changes no label, or after ``max_iter`` rounds; the returned
    labels are always those of the nearest returned centre.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    n_clusters : int
        Number of clusters K, 1 <= K <= n_samples.
    init_centers : array-like of shape (n_clusters, n_features), optional
        Starting centres. If None, K distinct rows of ``X`` are chosen by
        k-means++ with ``rng``.
    max_iter : int, default=300
        Maximum number of rounds.
    rng : None, int or numpy.random.Generator, default=None
        Only used when ``init_centers`` is None.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,), dtype int
        ``labels[i]`` is the index of the centre nearest to ``X[i]``.

    Notes
    -----
    With ``init_centers`` given, the result equals
    ``sklearn.cluster.KMeans(n_clusters, init=init_centers, n_init=1, tol=0,
    algorithm="lloyd", max_iter=max_iter).fit(X)`` (``cluster_centers_``,
    ``labels_``) whenever no cluster becomes empty (scikit-learn moves an
    empty cluster's centre to a far-away point instead of keeping it).
    """
    ### BEGIN SOLUTION
    X = _check_X(X)
    n_samples, n_features = X.shape
    n_clusters = int(n_clusters)
    if not 1 <= n_clusters <= n_samples:
        raise ValueError(
            f"n_clusters must be between 1 and n_samples = {n_samples}; got {n_clusters}"
        )
    # Work on centred data (as scikit-learn does): the distances are the same,
    # and the expansion ||c||² - 2 x·c loses less precision.
    X_mean = X.mean(axis=0)
    Xc = X - X_mean
    if init_centers is None:
        centers = _kmeans_plusplus(Xc, n_clusters, np.random.default_rng(rng))
    else:
        centers = _check_means(init_centers, n_features)
        if centers.shape[0] != n_clusters:
            raise ValueError(
                f"init_centers must have shape ({n_clusters}, {n_features}); "
                f"got {centers.shape}"
            )
        centers = centers - X_mean

    labels_old = None
    converged = False
    for _ in range(int(max_iter)):
        labels = _assign_labels(Xc, centers)
        centers = _update_centers(Xc, labels, centers)
        if labels_old is not None and np.array_equal(labels, labels_old):
            converged = True
            break
        labels_old = labels
    if not converged:  # the centres moved after the last assignment
        labels = _assign_labels(Xc, centers)
    return centers + X_mean, labels
    ### END SOLUTION


###############################################################################
# Gaussian log-densities


def _compute_precision_cholesky(covariances, covariance_type):
    """Cholesky factors of the precision matrices Sigma_k^{-1}.

    "full": with the Cholesky factorisation Sigma_k = L_k L_k^T (L_k lower
    triangular), U_k = L_k^{-T} is upper triangular and
    Sigma_k^{-1} = U_k U_k^T. U_k^T is obtained by the triangular solve
    L_k V = I; Sigma_k itself is never inverted.
    "diag" / "spherical": 1 / sqrt(sigma²).

    Parameters
    ----------
    covariances : ndarray
        (K, d, d) for "full", (K, d) for "diag", (K,) for "spherical".
    covariance_type : {"full", "diag", "spherical"}

    Returns
    -------
    precisions_chol : ndarray, same shape as ``covariances``

    Raises
    ------
    ValueError
        If a covariance is not positive definite (the message suggests
        increasing ``reg_covar``).
    """
    ### BEGIN SOLUTION
    if covariance_type == "full":
        n_components, n_features, _ = covariances.shape
        precisions_chol = np.empty_like(covariances)
        identity = np.eye(n_features)
        for k in range(n_components):
            try:
                cov_chol = cholesky(covariances[k], lower=True, check_finite=False)
            except np.linalg.LinAlgError:
                raise ValueError(_CHOLESKY_ERROR) from None
            precisions_chol[k] = solve_triangular(
                cov_chol, identity, lower=True, check_finite=False
            ).T
        return precisions_chol
    if np.any(covariances <= 0.0):
        raise ValueError(_CHOLESKY_ERROR)
    return 1.0 / np.sqrt(covariances)
    ### END SOLUTION


def _compute_log_det_cholesky(precisions_chol, covariance_type, n_features):
    """log det U_k = -1/2 log|Sigma_k|, from the precision Cholesky factors.

    sum_j log (U_k)_jj for "full", sum_j log(1/sigma_kj) for "diag",
    d log(1/sigma_k) for "spherical".

    Parameters
    ----------
    precisions_chol : ndarray
        Output of :func:`_compute_precision_cholesky`.
    covariance_type : {"full", "diag", "spherical"}
    n_features : int

    Returns
    -------
    log_det_chol : ndarray of shape (n_components,)
    """
    ### BEGIN SOLUTION
    if covariance_type == "full":
        return np.sum(np.log(np.diagonal(precisions_chol, axis1=1, axis2=2)), axis=1)
    if covariance_type == "diag":
        return np.sum(np.log(precisions_chol), axis=1)
    return n_features * np.log(precisions_chol)
    ### END SOLUTION


def _estimate_mahalanobis(X, means, precisions_chol, covariance_type):
    """Squared Mahalanobis distances ||U_k^T (x_i - mu_k)||², shape (n, K).

    (x_i - mu_k)^T Sigma_k^{-1} (x_i - mu_k) = ||U_k^T (x_i - mu_k)||². The
    data and the means are first centred on the data mean (this changes
    nothing mathematically and keeps the expansions below accurate).

    - "full": U_k^T (x - mu_k) = U_k^T x - U_k^T mu_k, and the U_k^T x of all
      components are one matrix product [U_1 ... U_K]^T x, done on blocks of
      rows to bound memory;
    - "diag": sum_j (x_j² - 2 x_j mu_kj + mu_kj²) / sigma_kj², three matrix
      products;
    - "spherical": (||x||² - 2 x·mu_k + ||mu_k||²) / sigma_k².

    The result is stored component-major (Fortran order), so that sums and
    maxima over components (the log-sum-exp of the E-step) and the columns
    used by the M-step are contiguous in memory.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means : ndarray of shape (n_components, n_features)
    precisions_chol : ndarray
        Output of :func:`_compute_precision_cholesky`.
    covariance_type : {"full", "diag", "spherical"}

    Returns
    -------
    maha : ndarray of shape (n_samples, n_components), Fortran-ordered
    """
    ### BEGIN SOLUTION
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    shift = X.mean(axis=0)
    means = means - shift
    if covariance_type == "full":
        maha_t = np.empty((n_components, n_samples))
        # Rows k*d .. k*d+d-1 hold U_k^T; mean_prec holds U_k^T mu_k.
        prec_t = np.swapaxes(precisions_chol, 1, 2).reshape(-1, n_features)
        mean_prec = np.einsum("kij,kj->ki", np.swapaxes(precisions_chol, 1, 2), means)
        mean_prec = mean_prec.reshape(-1, 1)
        block = max(1, _BLOCK_SIZE // (n_components * n_features))
        for start in range(0, n_samples, block):
            rows = slice(start, start + block)
            y = prec_t @ (X[rows] - shift).T  # (K d, rows)
            y -= mean_prec
            np.square(y, out=y)
            np.sum(y.reshape(n_components, n_features, -1), axis=1, out=maha_t[:, rows])
        return maha_t.T
    X = X - shift
    precisions = precisions_chol**2
    if covariance_type == "diag":
        maha_t = precisions @ (X * X).T
        maha_t -= 2.0 * ((means * precisions) @ X.T)
        maha_t += np.sum(means**2 * precisions, axis=1)[:, np.newaxis]
        return maha_t.T
    maha_t = means @ X.T
    maha_t *= -2.0
    maha_t += np.einsum("ij,ij->i", X, X)
    maha_t += np.einsum("kj,kj->k", means, means)[:, np.newaxis]
    maha_t *= precisions[:, np.newaxis]
    return maha_t.T
    ### END SOLUTION


def log_gaussian_prob(X, means, covariances, covariance_type="full"):
    """Log-density of every sample under every component.

    log N(x_i; mu_k, Sigma_k) = -1/2 [d log(2 pi) + log|Sigma_k|
    + (x_i - mu_k)^T Sigma_k^{-1} (x_i - mu_k)], computed through the
    Cholesky factor of the precision (Sigma_k is never inverted):
    -1/2 log|Sigma_k| = log det U_k and the quadratic form is
    ||(x_i - mu_k)^T U_k||².

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    means : array-like of shape (n_components, n_features)
    covariances : array-like
        (n_components, n_features, n_features) for "full",
        (n_components, n_features) for "diag", (n_components,) for "spherical".
    covariance_type : {"full", "diag", "spherical"}, default="full"

    Returns
    -------
    log_prob : ndarray of shape (n_samples, n_components)

    Raises
    ------
    ValueError
        If a covariance is not positive definite.
    """
    ### BEGIN SOLUTION
    X = _check_X(X)
    _check_covariance_type(covariance_type)
    n_features = X.shape[1]
    means = _check_means(means, n_features)
    covariances = _check_covariances(covariances, covariance_type, means.shape[0], n_features)
    precisions_chol = _compute_precision_cholesky(covariances, covariance_type)
    log_det_chol = _compute_log_det_cholesky(precisions_chol, covariance_type, n_features)
    log_prob = _estimate_mahalanobis(X, means, precisions_chol, covariance_type)
    log_prob += n_features * math.log(2.0 * math.pi)
    log_prob *= -0.5
    log_prob += log_det_chol
    return log_prob
    ### END SOLUTION


def _normalize_log_prob(weighted_log_prob):
    """Log-sum-exp over components, and the normalised probabilities.

    With a_ik = log pi_k + log N(x_i; mu_k, Sigma_k) and m_i = max_k a_ik:
    log p(x_i) = m_i + log sum_k exp(a_ik - m_i) (no overflow, no underflow
    of the largest term), and resp_ik = exp(a_ik - m_i) / sum_j exp(a_ij - m_i).

    Parameters
    ----------
    weighted_log_prob : ndarray of shape (n_samples, n_components)
        Overwritten (it becomes ``resp``).

    Returns
    -------
    log_prob_norm : ndarray of shape (n_samples,)
        log p(x_i).
    resp : ndarray of shape (n_samples, n_components)
        Rows sum to 1.
    """
    ### BEGIN SOLUTION
    row_max = np.max(weighted_log_prob, axis=1)
    row_max[~np.isfinite(row_max)] = 0.0
    resp = weighted_log_prob
    resp -= row_max[:, np.newaxis]
    np.exp(resp, out=resp)
    total = np.sum(resp, axis=1)
    resp /= total[:, np.newaxis]
    with np.errstate(divide="ignore"):
        log_prob_norm = np.log(total)
    log_prob_norm += row_max
    return log_prob_norm, resp
    ### END SOLUTION


###############################################################################
# E-step and M-step


def e_step(X, weights, means, covariances, covariance_type="full"):
    """Expectation step: responsibilities and the log-likelihood.

    With a_ik = log pi_k + log N(x_i; mu_k, Sigma_k):

    - log p(x_i) = logsumexp_k a_ik;
    - resp_ik = exp(a_ik - log p(x_i)) (rows sum to 1);
    - log_likelihood = sum_i log p(x_i) (the total, not the mean).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    weights : array-like of shape (n_components,)
    means : array-like of shape (n_components, n_features)
    covariances : array-like
        Shape as in :func:`log_gaussian_prob`.
    covariance_type : {"full", "diag", "spherical"}, default="full"

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components)
    log_likelihood : float
    """
    ### BEGIN SOLUTION
    weighted_log_prob = log_gaussian_prob(X, means, covariances, covariance_type)
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    if weights.shape != (weighted_log_prob.shape[1],):
        raise ValueError(
            f"weights must have shape ({weighted_log_prob.shape[1]},) like the means; "
            f"got {weights.shape}"
        )
    with np.errstate(divide="ignore"):  # a zero weight gives log 0 = -inf
        weighted_log_prob += np.log(weights)
    log_prob_norm, resp = _normalize_log_prob(weighted_log_prob)
    return resp, float(np.sum(log_prob_norm))
    ### END SOLUTION


def _estimate_gaussian_covariances_full(X, resp, nk, means, reg_covar):
    """Full covariances: sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + reg_covar I.

    Written as W_k W_k^T / N_k with the (d, n) matrix
    W_k = [sqrt(r_ik) (x_i - mu_k)]_i (one symmetric rank-n update per
    component). The data are used transposed, (d, n), so that subtracting
    the mean and scaling by sqrt(r_ik) run along contiguous rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    resp : ndarray of shape (n_samples, n_components)
    nk : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    reg_covar : float

    Returns
    -------
    covariances : ndarray of shape (n_components, n_features, n_features)
    """
    ### BEGIN SOLUTION
    n_components, n_features = means.shape
    covariances = np.empty((n_components, n_features, n_features))
    X_t = np.ascontiguousarray(X.T)
    sqrt_resp = np.sqrt(resp)
    weighted = np.empty_like(X_t)
    for k in range(n_components):
        np.subtract(X_t, means[k, :, np.newaxis], out=weighted)
        weighted *= sqrt_resp[:, k]
        np.matmul(weighted, weighted.T, out=covariances[k])
        covariances[k] /= nk[k]
        covariances[k].flat[:: n_features + 1] += reg_covar
    return covariances
    ### END SOLUTION


def _estimate_gaussian_covariances_diag(X, resp, nk, means, reg_covar):
    """Diagonal covariances: sum_i r_ik (x_ij - mu_kj)² / N_k + reg_covar.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    resp : ndarray of shape (n_samples, n_components)
    nk : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    reg_covar : float

    Returns
    -------
    covariances : ndarray of shape (n_components, n_features)
    """
    ### BEGIN SOLUTION
    n_components, n_features = means.shape
    covariances = np.empty((n_components, n_features))
    X_t = np.ascontiguousarray(X.T)
    diff = np.empty_like(X_t)
    for k in range(n_components):
        np.subtract(X_t, means[k, :, np.newaxis], out=diff)
        np.square(diff, out=diff)
        np.matmul(diff, resp[:, k], out=covariances[k])
    covariances /= nk[:, np.newaxis]
    covariances += reg_covar
    return covariances
    ### END SOLUTION


def _estimate_gaussian_covariances_spherical(X, resp, nk, means, reg_covar):
    """Spherical variances: the mean over features of the diagonal covariances.

    sigma²_k = (1/d) sum_j [sum_i r_ik (x_ij - mu_kj)² / N_k] + reg_covar.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    resp : ndarray of shape (n_samples, n_components)
    nk : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    reg_covar : float

    Returns
    -------
    covariances : ndarray of shape (n_components,)
    """
    ### BEGIN SOLUTION
    return _estimate_gaussian_covariances_diag(X, resp, nk, means, reg_covar).mean(axis=1)
    ### END SOLUTION


def m_step(X, resp, covariance_type="full", reg_covar=1e-6):
    """Maximisation step: the parameters that maximise the expected log-likelihood.

    - N_k = sum_i resp_ik + 10 eps (eps the float64 machine epsilon);
    - weight pi_k = N_k / sum_j N_j;
    - mean mu_k = sum_i resp_ik x_i / N_k;
    - "full": Sigma_k = sum_i resp_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + reg_covar I;
    - "diag": the diagonal of that matrix (reg_covar added);
    - "spherical": the mean of the diagonal entries (reg_covar added).

    Like scikit-learn, N_k gets 10 machine epsilons added so that a component
    with no responsibility gets mean 0 and covariance reg_covar I instead of
    0/0 (NaN).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    resp : array-like of shape (n_samples, n_components)
    covariance_type : {"full", "diag", "spherical"}, default="full"
    reg_covar : float, default=1e-6
        Non-negative regularisation added to the variances.

    Returns
    -------
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray
        (K, d, d) for "full", (K, d) for "diag", (K,) for "spherical".
    """
    ### BEGIN SOLUTION
    X = _check_X(X)
    _check_covariance_type(covariance_type)
    resp = _check_resp(resp, X.shape[0])
    if reg_covar < 0:
        raise ValueError(f"reg_covar must be non-negative; got {reg_covar}")
    nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps
    means = (resp.T @ X) / nk[:, np.newaxis]
    estimate = {
        "full": _estimate_gaussian_covariances_full,
        "diag": _estimate_gaussian_covariances_diag,
        "spherical": _estimate_gaussian_covariances_spherical,
    }[covariance_type]
    covariances = estimate(X, resp, nk, means, reg_covar)
    weights = nk / nk.sum()
    return weights, means, covariances
    ### END SOLUTION


###############################################################################
# Soft k-means


def soft_kmeans(X, n_clusters, beta, init_centers=None, max_iter=300, tol=1e-6, rng=None):
    """Soft k-means: EM with equal weights and one shared spherical variance.

    Each round computes the responsibilities

        r_ik = softmax_k(-beta ||x_i - mu_k||²)
             = exp(-beta ||x_i - mu_k||²) / sum_j exp(-beta ||x_i - mu_j||²)

    in log space (subtract each row's largest exponent, or use
    ``scipy.special.logsumexp``: far from every centre every exp() underflows
    to 0), then moves every centre to the responsibility-weighted mean

        mu_k = sum_i r_ik x_i / sum_i r_ik

    (a cluster whose total responsibility sum_i r_ik is 0 keeps its centre).
    These responsibilities are exactly those of :func:`e_step` for a mixture
    with equal weights pi_k = 1/K and spherical covariances sigma² I with
    sigma² = 1/(2 beta): log pi_k, the normalising constant and sigma² are the
    same for every component and cancel in the softmax, and
    ||x - mu||² / (2 sigma²) = beta ||x - mu||². As beta -> infinity the
    responsibilities become the one-hot labels of the nearest centre: k-means.

    The loop stops when no centre coordinate moved by more than ``tol``
    (max_k,j |mu_kj(new) - mu_kj(old)| <= tol), or after ``max_iter`` rounds.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    n_clusters : int
        Number of clusters K, 1 <= K <= n_samples.
    beta : float
        The stiffness beta > 0 (an inverse temperature).
    init_centers : array-like of shape (n_clusters, n_features), optional
        Starting centres. If None, K distinct rows of ``X`` drawn with ``rng``.
    max_iter : int, default=300
        Maximum number of rounds (with 0: the start and its responsibilities).
    tol : float, default=1e-6
    rng : None, int or numpy.random.Generator, default=None
        Only used when ``init_centers`` is None.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    resp : ndarray of shape (n_samples, n_clusters)
        The responsibilities of the returned centres; each row sums to 1.
    """
    ### BEGIN SOLUTION
    X, n_clusters, beta, centers = _check_soft_kmeans_args(
        X, n_clusters, beta, init_centers, max_iter, tol
    )
    if centers is None:
        rows = np.random.default_rng(rng).choice(X.shape[0], size=n_clusters, replace=False)
        centers = X[rows]
    weights = np.full(n_clusters, 1.0 / n_clusters)
    variances = np.full(n_clusters, 0.5 / beta)  # sigma² = 1/(2 beta)
    for _ in range(int(max_iter)):
        resp, _ = e_step(X, weights, centers, variances, "spherical")
        totals = resp.sum(axis=0)
        moved = totals > 0
        new_centers = centers.copy()
        new_centers[moved] = (resp[:, moved].T @ X) / totals[moved, np.newaxis]
        shift = np.max(np.abs(new_centers - centers))
        centers = new_centers
        if shift <= tol:
            break
    resp, _ = e_step(X, weights, centers, variances, "spherical")
    return centers, resp
    ### END SOLUTION


###############################################################################
# Model selection


def n_parameters(n_components, n_features, covariance_type="full"):
    """Number of free parameters of a Gaussian mixture.

    p = (K - 1) weights + K d means + covariance entries:
    K d (d + 1) / 2 ("full"), K d ("diag") or K ("spherical").

    Parameters
    ----------
    n_components : int
    n_features : int
    covariance_type : {"full", "diag", "spherical"}, default="full"

    Returns
    -------
    p : int
        For example K = 2, d = 2, "full": 1 + 4 + 6 = 11.
    """
    ### BEGIN SOLUTION
    _check_covariance_type(covariance_type)
    K, d = int(n_components), int(n_features)
    cov_params = {"full": K * d * (d + 1) // 2, "diag": K * d, "spherical": K}[covariance_type]
    return (K - 1) + K * d + cov_params
    ### END SOLUTION


def select_n_components(X, candidates, criterion="bic", random_state=None, X_val=None):
    """The number of components with the lowest BIC or AIC, or the best held-out likelihood.

    Fits ``GaussianMixtureEM(n_components=K, random_state=random_state)``
    (full covariances, other parameters at their defaults) on ``X`` for every
    K in ``candidates`` and returns the K whose fit has

    - ``criterion="bic"`` / ``"aic"``: the lowest ``bic(X)`` / ``aic(X)``;
    - ``criterion="validation"``: the largest total log-likelihood of the
      held-out data, sum_i log p(x_val_i) over the rows of ``X_val`` (the
      fit never sees ``X_val``).

    On an exact tie, the earliest candidate.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
        The training data.
    candidates : iterable of int
    criterion : {"bic", "aic", "validation"}, default="bic"
    random_state : None, int or numpy.random.Generator, default=None
    X_val : array-like of shape (n_val, n_features) or (n_val,), optional
        The held-out data; required with ``criterion="validation"``.

    Returns
    -------
    n_components : int

    Raises
    ------
    ValueError
        For an unknown criterion, or ``criterion="validation"`` without ``X_val``.
    """
    ### BEGIN SOLUTION
    if criterion not in ("bic", "aic", "validation"):
        raise ValueError(f"criterion must be 'bic', 'aic' or 'validation'; got {criterion!r}")
    if criterion == "validation" and X_val is None:
        raise ValueError("criterion='validation' needs the held-out data: pass X_val")
    X = _check_X(X)
    candidates = [int(k) for k in candidates]
    if not candidates:
        raise ValueError("candidates is empty; give at least one number of components")
    best_k = best_value = None
    for k in candidates:
        model = GaussianMixtureEM(n_components=k, random_state=random_state).fit(X)
        if criterion == "validation":  # the largest held-out log-likelihood wins
            value = float(np.sum(model.score_samples(X_val)))
            better = best_value is None or value > best_value
        else:  # the lowest criterion wins
            value = model.bic(X) if criterion == "bic" else model.aic(X)
            better = best_value is None or value < best_value
        if better:  # strict: on an exact tie the earliest candidate stays
            best_k, best_value = k, value
    return best_k
    ### END SOLUTION


###############################################################################
# The estimator


class GaussianMixtureEM:
    """Gaussian mixture fitted by expectation-maximisation.

    Parameters
    ----------
    n_components : int, default=1
        Number of components K.
    covariance_type : {"full", "diag", "spherical"}, default="full"
    tol : float, default=1e-3
        EM stops when the change of the mean log-likelihood per sample,
        |ll_t - ll_{t-1}| / n, is below ``tol``.
    reg_covar : float, default=1e-6
        Added to the variances in every M-step.
    max_iter : int, default=100
        Maximum number of EM iterations.
    init_params : {"kmeans", "random"}, default="kmeans"
        Initial responsibilities: one-hot labels of :func:`kmeans`, or
        uniform random rows normalised to sum to 1.
    weights_init : array-like of shape (n_components,), optional
    means_init : array-like of shape (n_components, n_features), optional
    covariances_init : array-like, optional
        Given initial parameters replace those computed from the initial
        responsibilities. With all three given no initialisation is run.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the model's generator, created once in :meth:`fit` and used by
        the initialisation and by :meth:`sample`.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        (K, d, d), (K, d) or (K,) depending on ``covariance_type``.
    converged_ : bool
    n_iter_ : int
        Number of EM iterations run.
    log_likelihood_history_ : list of float
        ll_t = sum_i log p(x_i) with the parameters *before* the M-step of
        iteration t (the value the stopping rule uses), t = 1..n_iter_.
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        covariances_init=None,
        random_state=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.covariances_init = covariances_init
        self.random_state = random_state

    def _check_params(self, X):
        """Validate the hyper-parameters against the data ``X`` (n, d)."""
        n_samples = X.shape[0]
        if not 1 <= int(self.n_components) <= n_samples:
            raise ValueError(
                f"n_components must be between 1 and n_samples = {n_samples}; "
                f"got {self.n_components}"
            )
        _check_covariance_type(self.covariance_type)
        if self.tol < 0:
            raise ValueError(f"tol must be non-negative; got {self.tol}")
        if self.reg_covar < 0:
            raise ValueError(f"reg_covar must be non-negative; got {self.reg_covar}")
        if int(self.max_iter) < 0:
            raise ValueError(f"max_iter must be non-negative; got {self.max_iter}")
        if self.init_params not in ("kmeans", "random"):
            raise ValueError(
                f"init_params must be 'kmeans' or 'random'; got {self.init_params!r}"
            )

    def _check_is_fitted(self):
        if not hasattr(self, "means_"):
            raise RuntimeError(
                "This GaussianMixtureEM instance is not fitted yet; call fit(X) first."
            )

    def _initialize(self, X):
        """Initial (weights, means, covariances) for EM.

        Responsibilities from ``init_params`` ("kmeans": one-hot labels of
        :func:`kmeans` with the model's generator; "random": uniform random
        rows normalised to sum to 1), then :func:`m_step` on them; then each
        of ``weights_init``, ``means_init``, ``covariances_init`` that is
        given replaces the computed value.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)

        Returns
        -------
        weights, means, covariances
        """
        ### BEGIN SOLUTION
        n_samples, n_features = X.shape
        K = int(self.n_components)
        given = [self.weights_init, self.means_init, self.covariances_init]
        if any(v is None for v in given):
            if self.init_params == "kmeans":
                _, labels = kmeans(X, K, rng=self._rng)
                resp = np.zeros((n_samples, K))
                resp[np.arange(n_samples), labels] = 1.0
            else:
                resp = self._rng.uniform(size=(n_samples, K))
                resp /= resp.sum(axis=1, keepdims=True)
            weights, means, covariances = m_step(X, resp, self.covariance_type, self.reg_covar)
        if self.weights_init is not None:
            weights = _check_weights(self.weights_init, K)
        if self.means_init is not None:
            means = _check_means(self.means_init, n_features)
            if means.shape[0] != K:
                raise ValueError(f"means_init must have shape ({K}, {n_features}); got {means.shape}")
        if self.covariances_init is not None:
            covariances = _check_covariances(
                self.covariances_init, self.covariance_type, K, n_features
            )
        return weights, means, covariances
        ### END SOLUTION

    def fit(self, X):
        """Fit the mixture to ``X`` by EM.

        For t = 1..max_iter: ``resp, ll_t = e_step(X, params)``;
        ``params = m_step(X, resp)``; stop with ``converged_ = True`` when
        |ll_t - ll_{t-1}| / n < tol (ll_0 = -inf).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)

        Returns
        -------
        self : GaussianMixtureEM
        """
        ### BEGIN SOLUTION
        X = _check_X(X)
        self._check_params(X)
        n_samples = X.shape[0]
        self._rng = np.random.default_rng(self.random_state)
        weights, means, covariances = self._initialize(X)

        history = []
        converged = False
        prev_ll = -np.inf
        for _ in range(int(self.max_iter)):
            resp, ll = e_step(X, weights, means, covariances, self.covariance_type)
            weights, means, covariances = m_step(X, resp, self.covariance_type, self.reg_covar)
            history.append(float(ll))
            if abs(ll - prev_ll) / n_samples < self.tol:
                converged = True
                break
            prev_ll = ll

        self.weights_ = weights
        self.means_ = means
        self.covariances_ = covariances
        self.converged_ = converged
        self.n_iter_ = len(history)
        self.log_likelihood_history_ = history
        return self
        ### END SOLUTION

    def _estimate_weighted_log_prob(self, X):
        """log pi_k + log N(x_i; mu_k, Sigma_k), shape (n_samples, n_components)."""
        ### BEGIN SOLUTION
        self._check_is_fitted()
        log_prob = log_gaussian_prob(X, self.means_, self.covariances_, self.covariance_type)
        with np.errstate(divide="ignore"):
            log_prob += np.log(self.weights_)
        return log_prob
        ### END SOLUTION

    def predict_proba(self, X):
        """Posterior probability of each component for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            Rows sum to 1.
        """
        ### BEGIN SOLUTION
        self._check_is_fitted()
        resp, _ = e_step(X, self.weights_, self.means_, self.covariances_, self.covariance_type)
        return resp
        ### END SOLUTION

    def predict(self, X):
        """Most probable component of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int
        """
        ### BEGIN SOLUTION
        return np.argmax(self._estimate_weighted_log_prob(X), axis=1)
        ### END SOLUTION

    def score_samples(self, X):
        """Log-density log p(x_i) = logsumexp_k [log pi_k + log N(x_i; mu_k, Sigma_k)].

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        ### BEGIN SOLUTION
        return logsumexp(self._estimate_weighted_log_prob(X), axis=1)
        ### END SOLUTION

    def score(self, X):
        """Mean log-density (1/n) sum_i log p(x_i).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)

        Returns
        -------
        score : float
        """
        ### BEGIN SOLUTION
        return float(np.mean(self.score_samples(X)))
        ### END SOLUTION

    def sample(self, n_samples=1):
        """Draw samples from the fitted mixture.

        The number of samples of each component is one multinomial draw
        (n_samples, weights_); component k's samples are mu_k + L_k e with
        e ~ N(0, I) and L_k the Cholesky factor of Sigma_k. Samples are
        grouped by component (as scikit-learn's). Uses the generator created
        in :meth:`fit`, so a model fitted with an int ``random_state`` gives
        the same samples for the same sequence of calls.

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        z : ndarray of shape (n_samples,), dtype int
            The component of each sample.
        """
        ### BEGIN SOLUTION
        self._check_is_fitted()
        n_samples = int(n_samples)
        if n_samples < 1:
            raise ValueError(f"n_samples must be >= 1; got {n_samples}")
        n_features = self.means_.shape[1]
        weights = self.weights_ / self.weights_.sum()
        counts = self._rng.multinomial(n_samples, weights)
        if self.covariance_type == "full":
            cov_chol = np.linalg.cholesky(self.covariances_)  # Sigma_k = L_k L_k^T
        else:
            cov_chol = np.sqrt(self.covariances_)
        blocks = []
        for k, count in enumerate(counts):
            noise = self._rng.standard_normal(size=(count, n_features))
            if self.covariance_type == "full":
                blocks.append(self.means_[k] + noise @ cov_chol[k].T)
            else:
                blocks.append(self.means_[k] + noise * cov_chol[k])
        X = np.concatenate(blocks, axis=0)
        z = np.repeat(np.arange(len(counts)), counts)
        return X, z
        ### END SOLUTION

    def _n_parameters(self):
        return n_parameters(self.n_components, self.means_.shape[1], self.covariance_type)

    def bic(self, X):
        """Bayesian information criterion: -2 sum_i log p(x_i) + p log n.

        p = :func:`n_parameters`; lower is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)

        Returns
        -------
        bic : float
        """
        ### BEGIN SOLUTION
        X = _check_X(X)
        return float(-2.0 * np.sum(self.score_samples(X)) + self._n_parameters() * np.log(X.shape[0]))
        ### END SOLUTION

    def aic(self, X):
        """Akaike information criterion: -2 sum_i log p(x_i) + 2 p.

        p = :func:`n_parameters`; lower is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)

        Returns
        -------
        aic : float
        """
        ### BEGIN SOLUTION
        return float(-2.0 * np.sum(self.score_samples(X)) + 2.0 * self._n_parameters())
        ### END SOLUTION
