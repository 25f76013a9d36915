"""Kernel density estimation with an isotropic Gaussian kernel.

Assignment ``kde``. Given training rows ``x_1..x_n`` (n_samples, n_features)
and a bandwidth ``h``, the kernel density estimate is

    p_hat(x) = (1/n) sum_i N(x; x_i, h^2 I),

a mixture of n Gaussians of standard deviation ``h`` in every dimension, one
centred on each training row. The module evaluates it (``gaussian_kde_logpdf``),
proposes rule-of-thumb bandwidths (``scott_bandwidth``,
``silverman_bandwidth``), scores a bandwidth by the leave-one-out
log-likelihood (``loo_log_likelihood``), picks the best of several
(``select_bandwidth``) and draws samples from ``p_hat`` (``kde_sample``).

Everything is computed in log space (log-sum-exp), so a query far from every
training row gets a finite (very negative) log-density instead of -inf, and in
blocks, so the memory used does not grow with n_samples * n_queries.

Conventions: inputs are array-likes; a 1-D array where ``X`` is expected means
``n_features = 1``. Scalars are returned as Python floats.

Allowed imports: NumPy, ``scipy.special``, ``scipy.linalg`` and the standard
library (no scikit-learn, no ``scipy.stats``).
"""
import math

import numpy as np

LOG_2PI = math.log(2.0 * math.pi)

# Entries of the (queries x training rows) matrix computed at once:
# 2**16 float64 = 512 KiB, which stays in the CPU's L2 cache through the
# block's passes (product, clip, max, shift, exp, sum). It also keeps
# each matrix product (d + 2 inner columns) small enough that, for small d,
# OpenBLAS runs it on one thread: splitting so little work over threads costs
# more than it saves, a lot more when the cores are busy.
_BLOCK_SIZE = 2**16
# Training rows per block (at most): 8 query rows x 8192 training rows. More
# training rows are processed in chunks combined by a running log-sum-exp.
_MAX_TRAIN_BLOCK = 2**13


# ---------------------------------------------------------------------------
# Input validation (plain helpers, not graded)
# ---------------------------------------------------------------------------

def _as_2d(X, name="X"):
    """Return ``X`` as a finite (n_samples, n_features) float array.

    A 1-D array means one feature: shape (n,) becomes (n, 1).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, np.newaxis]
    if X.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, n_features), got shape {X.shape}; "
            f"a single point of d features is X[np.newaxis, :] (shape (1, d))."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinity; remove those rows.")
    return X


def _check_bandwidth(bandwidth):
    """Return ``bandwidth`` as a float, raising unless it is positive and finite."""
    h = float(bandwidth)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(
            f"bandwidth must be a positive finite number (the kernel's standard "
            f"deviation), got {bandwidth!r}."
        )
    return h


def _check_train_query(X_train, X_query):
    """Return both arrays as 2-D float arrays with the same number of features."""
    X_train = _as_2d(X_train, "X_train")
    X_query = _as_2d(X_query, "X_query")
    if X_train.shape[0] == 0:
        raise ValueError("X_train is empty; pass at least one training row.")
    if X_train.shape[1] != X_query.shape[1]:
        raise ValueError(
            f"X_train has {X_train.shape[1]} feature(s) but X_query has "
            f"{X_query.shape[1]}; both must be (n, d) with the same d "
            f"(a single query point is X_query[np.newaxis, :])."
        )
    return X_train, X_query


# ---------------------------------------------------------------------------
# The blocked log-sum-exp of the kernel
# ---------------------------------------------------------------------------

def _augment(Z, sq_column):
    """Rows ``[z, -||z||^2 / 2, 1]`` (``sq_column=1``) or ``[z, 1, -||z||^2 / 2]`` (2).

    For a query row ``a = [q, 1, -||q||^2/2]`` and a training row
    ``b = [x, -||x||^2/2, 1]``, ``a . b = q.x - ||x||^2/2 - ||q||^2/2
    = -||q - x||^2 / 2``: one matrix product gives a whole block of
    exponents.
    """
    ### BEGIN SOLUTION
    n_rows, n_features = Z.shape
    out = np.empty((n_rows, n_features + 2))
    out[:, :n_features] = Z
    half_sq = -0.5 * np.einsum("ij,ij->i", Z, Z)
    if sq_column == 1:
        out[:, n_features] = half_sq
        out[:, n_features + 1] = 1.0
    else:
        out[:, n_features] = 1.0
        out[:, n_features + 1] = half_sq
    return out
    ### END SOLUTION


def _log_kernel_sums(X_train, X_query, bandwidth, exclude_self=False):
    """Blocked ``log sum_i exp(-||q - x_i||^2 / (2 h^2))`` for every query row q.

    The data are centred (on the training mean) and divided by h, so that
    ``-||q - x||^2 / (2 h^2) = -||q' - x'||^2 / 2``. The squared distances
    of a block come from one matrix product (``||q'||^2 + ||x'||^2 - 2 q'.x'``,
    see ``_augment``), clipped at 0 (rounding can make them slightly
    negative). Each block holds at most ``_BLOCK_SIZE`` entries; the
    log-sum-exp over training rows is accumulated block by block:
    with ``M`` the largest exponent so far and ``S = sum exp(e - M)``,

        M' = max(M, max_block e),  S' = S exp(M - M') + sum_block exp(e - M').

    Parameters
    ----------
    X_train : ndarray of shape (n_samples, n_features)
    X_query : ndarray of shape (n_queries, n_features)
    bandwidth : float
    exclude_self : bool
        If True, ``X_query`` is ``X_train`` and the term ``i = j`` (a row
        with itself) is left out of row ``j``'s sum (leave-one-out).

    Returns
    -------
    log_sums : ndarray of shape (n_queries,)
    """
    ### BEGIN SOLUTION
    n_samples = X_train.shape[0]
    n_queries = X_query.shape[0]
    centre = X_train.mean(axis=0)
    train = _augment((X_train - centre) / bandwidth, sq_column=1).T.copy()  # (d+2, n)
    query = _augment((X_query - centre) / bandwidth, sq_column=2)  # (m, d+2)

    train_block = min(n_samples, _MAX_TRAIN_BLOCK)
    query_block = max(1, _BLOCK_SIZE // train_block)
    log_sums = np.empty(n_queries)
    buffer = np.empty(query_block * train_block)
    for q0 in range(0, n_queries, query_block):
        q1 = min(q0 + query_block, n_queries)
        running_max = np.full(q1 - q0, -np.inf)
        running_sum = np.zeros(q1 - q0)
        for t0 in range(0, n_samples, train_block):
            t1 = min(t0 + train_block, n_samples)
            expo = buffer[: (q1 - q0) * (t1 - t0)].reshape(q1 - q0, t1 - t0)
            np.matmul(query[q0:q1], train[:, t0:t1], out=expo)  # -||q - x||^2 / 2
            np.minimum(expo, 0.0, out=expo)  # a squared distance is >= 0
            if exclude_self:
                lo, hi = max(q0, t0), min(q1, t1)
                if lo < hi:
                    diag = np.arange(lo, hi)
                    expo[diag - q0, diag - t0] = -np.inf
            new_max = np.maximum(running_max, expo.max(axis=1))
            # A row whose terms are all -inf so far keeps a sum of 0.
            shift = np.where(np.isfinite(new_max), new_max, 0.0)
            expo -= shift[:, np.newaxis]
            with np.errstate(under="ignore"):  # far terms underflowing to 0 is fine
                np.exp(expo, out=expo)
                running_sum *= np.exp(running_max - shift)
            running_sum += expo.sum(axis=1)
            running_max = new_max
        log_sums[q0:q1] = running_max + np.log(running_sum)
    return log_sums
    ### END SOLUTION


# ---------------------------------------------------------------------------
# Graded functions
# ---------------------------------------------------------------------------

def gaussian_kde_logpdf(X_train, X_query, bandwidth):
    """Log of the Gaussian kernel density estimate at each query row.

    ``log p_hat(q) = log[(1/n) sum_i N(q; x_i, h^2 I)]
    = logsumexp_i(-||q - x_i||^2 / (2 h^2)) - log n - (d/2) log(2 pi h^2)``.

    Computed with log-sum-exp (finite even for a query far from every
    training row) and in blocks (memory independent of n * m; no
    (n, m, d) array).

    Parameters
    ----------
    X_train : array-like of shape (n_samples, n_features)
        Training rows (kernel centres). A 1-D array means n_features = 1.
    X_query : array-like of shape (n_queries, n_features)
        Points where the density is evaluated.
    bandwidth : float
        h > 0, the kernel's standard deviation in every dimension.

    Returns
    -------
    log_density : ndarray of shape (n_queries,)
    """
    ### BEGIN SOLUTION
    X_train, X_query = _check_train_query(X_train, X_query)
    h = _check_bandwidth(bandwidth)
    n_samples, n_features = X_train.shape
    log_norm = math.log(n_samples) + 0.5 * n_features * (LOG_2PI + 2.0 * math.log(h))
    return _log_kernel_sums(X_train, X_query, h) - log_norm
    ### END SOLUTION


def _mean_std(X):
    """sigma_bar = sqrt(mean over features of the sample variance (divisor n - 1))."""
    ### BEGIN SOLUTION
    return float(np.sqrt(np.mean(np.var(X, axis=0, ddof=1))))
    ### END SOLUTION


def _check_rule_of_thumb_input(X):
    """Return ``X`` as (n_samples, n_features) with at least two rows."""
    X = _as_2d(X)
    if X.shape[0] < 2:
        raise ValueError(
            f"a rule-of-thumb bandwidth needs at least 2 samples (the variance "
            f"uses divisor n - 1), got {X.shape[0]}."
        )
    return X


def scott_bandwidth(X):
    """Scott's rule of thumb for the bandwidth.

    ``h = sigma_bar * n^(-1 / (d + 4))`` with
    ``sigma_bar = sqrt((1/d) sum_j s_j^2)``, ``s_j^2`` the sample variance
    (divisor n - 1) of feature j. In 1-D this is the kernel standard
    deviation of ``scipy.stats.gaussian_kde(x, "scott")``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        At least two rows. A 1-D array means n_features = 1.

    Returns
    -------
    bandwidth : float
        (0.0 when every feature is constant.)
    """
    ### BEGIN SOLUTION
    X = _check_rule_of_thumb_input(X)
    n_samples, n_features = X.shape
    return _mean_std(X) * n_samples ** (-1.0 / (n_features + 4))
    ### END SOLUTION


def silverman_bandwidth(X):
    """Silverman's rule of thumb for the bandwidth.

    ``h = sigma_bar * (n (d + 2) / 4)^(-1 / (d + 4))``, ``sigma_bar`` as in
    ``scott_bandwidth``. In 1-D this is the kernel standard deviation of
    ``scipy.stats.gaussian_kde(x, "silverman")``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        At least two rows. A 1-D array means n_features = 1.

    Returns
    -------
    bandwidth : float
        (0.0 when every feature is constant.)
    """
    ### BEGIN SOLUTION
    X = _check_rule_of_thumb_input(X)
    n_samples, n_features = X.shape
    factor = (n_samples * (n_features + 2) / 4.0) ** (-1.0 / (n_features + 4))
    return _mean_std(X) * factor
    ### END SOLUTION


def loo_log_likelihood(X, bandwidth):
    """Mean leave-one-out log-likelihood of a bandwidth.

    ``(1/n) sum_i log[(1/(n-1)) sum_{j != i} N(x_i; x_j, h^2 I)]``: each
    row is scored by the density estimated from the other n - 1 rows (a
    row at the same place as another still counts that other row).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        At least two rows. A 1-D array means n_features = 1.
    bandwidth : float
        h > 0.

    Returns
    -------
    loo : float
    """
    ### BEGIN SOLUTION
    X = _as_2d(X)
    h = _check_bandwidth(bandwidth)
    n_samples, n_features = X.shape
    if n_samples < 2:
        raise ValueError(
            f"leave-one-out needs at least 2 samples, got {n_samples}."
        )
    log_sums = _log_kernel_sums(X, X, h, exclude_self=True)
    log_norm = math.log(n_samples - 1) + 0.5 * n_features * (LOG_2PI + 2.0 * math.log(h))
    return float(np.mean(log_sums) - log_norm)
    ### END SOLUTION


def select_bandwidth(X, candidates):
    """The candidate bandwidth with the largest leave-one-out log-likelihood.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        At least two rows. A 1-D array means n_features = 1.
    candidates : array-like of shape (n_candidates,)
        Positive bandwidths to try.

    Returns
    -------
    bandwidth : float
        ``argmax_h loo_log_likelihood(X, h)`` over the candidates; on an
        exact tie, the earliest candidate in the given order.
    """
    ### BEGIN SOLUTION
    candidates = np.asarray(candidates, dtype=float).ravel()
    if candidates.size == 0:
        raise ValueError("candidates is empty; pass at least one bandwidth.")
    scores = [loo_log_likelihood(X, h) for h in candidates]
    return float(candidates[int(np.argmax(scores))])  # argmax: first maximum
    ### END SOLUTION


def kde_sample(X_train, bandwidth, n_samples, rng=None):
    """Draw samples from the kernel density estimate.

    Each sample picks a training row uniformly at random and adds
    N(0, h^2 I) noise: ``x = x_I + h * eps``, ``I ~ Uniform{1..n}``,
    ``eps ~ N(0, I_d)``.

    Parameters
    ----------
    X_train : array-like of shape (n_train, n_features)
        A 1-D array means n_features = 1.
    bandwidth : float
        h > 0.
    n_samples : int
        Number of samples to draw (>= 0).
    rng : None, int or numpy.random.Generator
        Source of randomness (``np.random.default_rng(rng)``).

    Returns
    -------
    samples : ndarray of shape (n_samples, n_features)
    """
    ### BEGIN SOLUTION
    X_train = _as_2d(X_train, "X_train")
    h = _check_bandwidth(bandwidth)
    n_train, n_features = X_train.shape
    if n_train == 0:
        raise ValueError("X_train is empty; pass at least one training row.")
    if int(n_samples) != n_samples or n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative integer, got {n_samples!r}.")
    n_samples = int(n_samples)
    rng = np.random.default_rng(rng)
    rows = rng.integers(n_train, size=n_samples)
    return X_train[rows] + h * rng.standard_normal((n_samples, n_features))
    ### END SOLUTION
