"""Maximum likelihood estimation for simple densities.

Assignment ``mle``. Each estimator returns the parameters that maximise the
likelihood of the data, each log-likelihood the natural log of the density of
the whole sample under given parameters:

- Bernoulli: ``bernoulli_mle``, ``bernoulli_log_likelihood``;
- 1-D Gaussian: ``gaussian_mle``, ``gaussian_log_likelihood``;
- multivariate Gaussian: ``mvn_mle``, ``mvn_logpdf`` (per sample, through a
  Cholesky factor, never an explicit inverse);
- spherical Gaussian (covariance ``var * I``): ``spherical_mle``,
  ``spherical_log_likelihood``;
- a Gaussian mixture whose component labels are known:
  ``labeled_mixture_mle``;
- the KL divergence that maximum likelihood minimises: ``gaussian_kl`` (the
  closed form between two Gaussians, through Cholesky factors) and
  ``monte_carlo_kl`` (its Monte-Carlo estimate from samples).

Conventions: inputs are array-likes; a 1-D array where ``X`` (n_samples,
n_features) is expected means ``n_features = 1``. Variances and covariances
are the maximum likelihood ones (divisor ``n``, not ``n - 1``). Scalars are
returned as Python floats.

Allowed imports: NumPy, ``scipy.special``, ``scipy.linalg`` and the standard
library (no scikit-learn, no ``scipy.stats``).
"""
import math

import numpy as np
from scipy import linalg
from scipy.special import xlog1py, xlogy

LOG_2PI = math.log(2.0 * math.pi)


# ---------------------------------------------------------------------------
# Input validation (plain helpers, not graded)
# ---------------------------------------------------------------------------

def _as_1d(x, name="x"):
    """Return ``x`` as a non-empty 1-D float array (a column (n, 1) is flattened)."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        x = x.reshape(1)
    elif x.ndim == 2 and x.shape[1] == 1:
        x = x.ravel()
    elif x.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of samples, got shape {x.shape}; "
            f"pass one value per sample (use x.ravel() for a column)."
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty; pass at least one sample.")
    return x


def _as_2d(X, name="X"):
    """Return ``X`` as a non-empty (n_samples, n_features) float array.

    A 1-D array means one feature: shape (n,) becomes (n, 1).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 0:
        X = X.reshape(1, 1)
    elif X.ndim == 1:
        X = X[:, np.newaxis]
    elif X.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, n_features), got shape {X.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty; pass at least one sample (row).")
    return X


def _check_binary(x, name="x"):
    """Raise unless every entry of ``x`` is 0 or 1."""
    if not np.all((x == 0) | (x == 1)):
        raise ValueError(
            f"{name} must contain only 0 and 1 (Bernoulli outcomes); "
            f"binarise it first, e.g. (x > 0.5).astype(int)."
        )


def _check_var(var, name="var"):
    """Return ``var`` as a float, raising unless it is positive and finite."""
    var = float(var)
    if not (np.isfinite(var) and var > 0):
        raise ValueError(f"{name} must be a positive finite number, got {var}.")
    return var


def _as_mean(mean, n_features):
    """Return ``mean`` as a (n_features,) array (a scalar is allowed when d = 1)."""
    mean = np.asarray(mean, dtype=float)
    if mean.ndim == 0 and n_features == 1:
        mean = mean.reshape(1)
    if mean.shape != (n_features,):
        raise ValueError(
            f"mean must have shape ({n_features},) to match X with {n_features} "
            f"feature(s), got shape {mean.shape}."
        )
    return mean


def _as_cov(cov, n_features):
    """Return ``cov`` as a (n_features, n_features) array.

    As in ``scipy.stats.multivariate_normal``, a scalar ``c`` means ``c * I``
    and a 1-D array of length ``n_features`` the diagonal of the covariance.
    """
    cov = np.asarray(cov, dtype=float)
    if cov.ndim == 0:
        cov = cov * np.eye(n_features)
    elif cov.ndim == 1 and cov.shape[0] == n_features:
        cov = np.diag(cov)
    if cov.shape != (n_features, n_features):
        raise ValueError(
            f"cov must have shape ({n_features}, {n_features}) to match X with "
            f"{n_features} feature(s), got shape {cov.shape}."
        )
    return cov


def _as_gaussian(mean, cov, name):
    """Return ``(mean (d,), cov (d, d))`` of one Gaussian (scalars mean d = 1).

    As in ``mvn_logpdf``, a scalar ``cov`` means ``cov * I`` and a 1-D array
    the diagonal.
    """
    mean = np.asarray(mean, dtype=float)
    if mean.ndim == 0:
        mean = mean.reshape(1)
    if mean.ndim != 1:
        raise ValueError(f"mean_{name} must be a vector of shape (n_features,), got shape {mean.shape}.")
    try:
        cov = _as_cov(cov, mean.shape[0])
    except ValueError:
        raise ValueError(
            f"cov_{name} must have shape ({mean.shape[0]}, {mean.shape[0]}) to match mean_{name}, "
            f"got shape {np.shape(cov)}."
        ) from None
    return mean, cov


def _check_labels(z, n_components, n_samples):
    """Return ``(z, n_components)`` with ``z`` as (n_samples,) integer labels in 0..K-1."""
    n_components = int(n_components)
    if n_components < 1:
        raise ValueError(f"n_components must be at least 1, got {n_components}.")
    z = np.asarray(z)
    if z.ndim != 1 or z.shape[0] != n_samples:
        raise ValueError(
            f"z must hold one label per row of X: expected shape ({n_samples},), "
            f"got {z.shape}."
        )
    if z.dtype.kind not in "biuf" or not np.all(np.mod(z, 1) == 0):
        raise ValueError("z must hold integer component labels.")
    if z.size and (z.min() < 0 or z.max() >= n_components):
        raise ValueError(
            f"z must hold labels in 0..{n_components - 1} (n_components="
            f"{n_components}), got labels from {z.min()} to {z.max()}."
        )
    return z.astype(np.intp), n_components


# ---------------------------------------------------------------------------
# Bernoulli
# ---------------------------------------------------------------------------

def bernoulli_mle(x):
    """Maximum likelihood estimate of a Bernoulli parameter.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Outcomes, each 0 or 1.

    Returns
    -------
    theta : float
        ``theta = (1/n) sum_i x_i``, the fraction of ones.
    """
    ### BEGIN SOLUTION
    x = _as_1d(x)
    _check_binary(x)
    return float(np.mean(x))
    ### END SOLUTION


def bernoulli_log_likelihood(x, theta):
    """Log-likelihood of 0/1 outcomes under a Bernoulli(theta) model.

    ``sum_i x_i log(theta) + (1 - x_i) log(1 - theta)`` with the convention
    ``0 * log 0 = 0``: ``theta = 0`` or ``theta = 1`` is allowed, and the
    result is ``-inf`` exactly when a sample is impossible (a 1 with
    ``theta = 0`` or a 0 with ``theta = 1``). No warning is emitted.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        Outcomes, each 0 or 1.
    theta : float
        P(x = 1), in [0, 1].

    Returns
    -------
    log_likelihood : float
        The total (not the mean) over the samples; may be ``-inf``.
    """
    ### BEGIN SOLUTION
    x = _as_1d(x)
    _check_binary(x)
    theta = float(theta)
    if not 0.0 <= theta <= 1.0:
        raise ValueError(f"theta must lie in [0, 1], got {theta}.")
    # xlogy(a, b) = a*log(b) and xlog1py(a, b) = a*log1p(b), both 0 when a == 0.
    terms = xlogy(x, theta) + xlog1py(1.0 - x, -theta)
    return float(np.sum(terms))
    ### END SOLUTION


# ---------------------------------------------------------------------------
# Univariate Gaussian
# ---------------------------------------------------------------------------

def gaussian_mle(x):
    """Maximum likelihood estimates of a 1-D Gaussian's mean and variance.

    Parameters
    ----------
    x : array-like of shape (n_samples,)

    Returns
    -------
    mean : float
        ``mean = (1/n) sum_i x_i``.
    var : float
        ``var = (1/n) sum_i (x_i - mean)^2`` (divisor n: the MLE, not the
        unbiased n - 1).
    """
    ### BEGIN SOLUTION
    x = _as_1d(x)
    mean = np.mean(x)
    var = np.mean((x - mean) ** 2)
    return float(mean), float(var)
    ### END SOLUTION


def gaussian_log_likelihood(x, mean, var):
    """Log-likelihood of 1-D samples under N(mean, var).

    ``sum_i log N(x_i; mean, var)
    = -n/2 log(2 pi var) - sum_i (x_i - mean)^2 / (2 var)``.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
    mean : float
    var : float
        Variance (not the standard deviation), > 0.

    Returns
    -------
    log_likelihood : float
        The total over the samples.
    """
    ### BEGIN SOLUTION
    x = _as_1d(x)
    mean = float(mean)
    var = _check_var(var)
    n_samples = x.shape[0]
    sq = np.sum((x - mean) ** 2)
    return float(-0.5 * n_samples * (LOG_2PI + math.log(var)) - 0.5 * sq / var)
    ### END SOLUTION


# ---------------------------------------------------------------------------
# Multivariate Gaussian
# ---------------------------------------------------------------------------

def mvn_mle(X):
    """Maximum likelihood estimates of a multivariate Gaussian.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A 1-D array means n_features = 1.

    Returns
    -------
    mean : ndarray of shape (n_features,)
        ``mean = (1/n) sum_i x_i``.
    cov : ndarray of shape (n_features, n_features)
        ``cov = (1/n) sum_i (x_i - mean)(x_i - mean)^T`` (divisor n).
    """
    ### BEGIN SOLUTION
    X = _as_2d(X)
    n_samples = X.shape[0]
    mean = X.mean(axis=0)
    diff = X - mean
    cov = diff.T @ diff / n_samples
    return mean, cov
    ### END SOLUTION


def mvn_logpdf(X, mean, cov):
    """Log-density of each row of ``X`` under N(mean, cov).

    ``log N(x; mu, S) = -1/2 [d log(2 pi) + log det S + (x - mu)^T S^{-1} (x - mu)]``

    computed through the Cholesky factor ``S = L L^T``: with
    ``z = L^{-1} (x - mu)`` (a triangular solve), the quadratic form is
    ``||z||^2`` and ``log det S = 2 sum_j log L_jj``. No inverse is formed.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A 1-D array means n_features = 1.
    mean : array-like of shape (n_features,)
    cov : array-like of shape (n_features, n_features)
        Symmetric positive definite. As in ``scipy.stats.multivariate_normal``,
        a scalar ``c`` means ``c * I`` and a 1-D array the diagonal.

    Returns
    -------
    logpdf : ndarray of shape (n_samples,)
    """
    ### BEGIN SOLUTION
    X = _as_2d(X)
    n_features = X.shape[1]
    mean = _as_mean(mean, n_features)
    cov = _as_cov(cov, n_features)
    try:
        chol = linalg.cholesky(cov, lower=True)
    except linalg.LinAlgError:
        raise ValueError(
            "cov is not symmetric positive definite (its Cholesky factorisation "
            "failed); add a small multiple of the identity to its diagonal."
        ) from None
    z = linalg.solve_triangular(chol, (X - mean).T, lower=True)  # (d, n)
    maha = np.sum(z**2, axis=0)
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    return -0.5 * (n_features * LOG_2PI + log_det + maha)
    ### END SOLUTION


# ---------------------------------------------------------------------------
# Spherical Gaussian
# ---------------------------------------------------------------------------

def spherical_mle(X):
    """Maximum likelihood estimates of a spherical Gaussian N(mean, var * I).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A 1-D array means n_features = 1.

    Returns
    -------
    mean : ndarray of shape (n_features,)
        ``mean = (1/n) sum_i x_i``.
    var : float
        ``var = sum_i ||x_i - mean||^2 / (n d)``, one variance shared by all
        features.
    """
    ### BEGIN SOLUTION
    X = _as_2d(X)
    mean = X.mean(axis=0)
    var = np.mean((X - mean) ** 2)  # the mean over all n*d entries
    return mean, float(var)
    ### END SOLUTION


def spherical_log_likelihood(X, mean, var):
    """Log-likelihood of the rows of ``X`` under N(mean, var * I).

    ``sum_i log N(x_i; mean, var I)
    = -n d/2 log(2 pi var) - sum_i ||x_i - mean||^2 / (2 var)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A 1-D array means n_features = 1.
    mean : array-like of shape (n_features,)
    var : float
        The shared variance, > 0.

    Returns
    -------
    log_likelihood : float
        The total over the samples.
    """
    ### BEGIN SOLUTION
    X = _as_2d(X)
    n_samples, n_features = X.shape
    mean = _as_mean(mean, n_features)
    var = _check_var(var)
    sq = np.sum((X - mean) ** 2)
    return float(
        -0.5 * n_samples * n_features * (LOG_2PI + math.log(var)) - 0.5 * sq / var
    )
    ### END SOLUTION


# ---------------------------------------------------------------------------
# Gaussian mixture with known labels
# ---------------------------------------------------------------------------

def labeled_mixture_mle(X, z, n_components):
    """Maximum likelihood Gaussian mixture when every sample's component is known.

    With ``n_k`` the number of samples with ``z_i = k``:
    ``weight_k = n_k / n``, ``mean_k = (1/n_k) sum_{i: z_i = k} x_i`` and
    ``cov_k = (1/n_k) sum_{i: z_i = k} (x_i - mean_k)(x_i - mean_k)^T``
    (divisor n_k, no regularisation).

    An empty component (no sample has ``z_i = k``) gets ``weight_k = 0`` and,
    since its mean and covariance are undefined (0/0), a mean and a
    covariance of zeros. No error, no NaN.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A 1-D array means n_features = 1.
    z : array-like of shape (n_samples,)
        Integer component labels in ``{0, ..., n_components - 1}``.
    n_components : int
        K, the number of components (labels need not all occur).

    Returns
    -------
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray of shape (n_components, n_features, n_features)
    """
    ### BEGIN SOLUTION
    X = _as_2d(X)
    n_samples, n_features = X.shape
    z, n_components = _check_labels(z, n_components, n_samples)
    counts = np.bincount(z, minlength=n_components)  # n_k
    weights = counts / n_samples
    means = np.zeros((n_components, n_features))
    covariances = np.zeros((n_components, n_features, n_features))
    for k in range(n_components):
        if counts[k] == 0:
            continue  # empty component: weight 0, mean and covariance zeros
        Xk = X[z == k]
        means[k] = Xk.mean(axis=0)
        diff = Xk - means[k]
        covariances[k] = diff.T @ diff / counts[k]
    return weights, means, covariances
    ### END SOLUTION


# ---------------------------------------------------------------------------
# Maximum likelihood minimises the KL divergence
# ---------------------------------------------------------------------------

def gaussian_kl(mean_p, cov_p, mean_q, cov_q):
    """KL divergence KL(p || q) between two multivariate Gaussians.

    With p = N(mu_p, S_p), q = N(mu_q, S_q) in d dimensions,

    ``KL(p || q) = 1/2 [ tr(S_q^{-1} S_p) + (mu_q - mu_p)^T S_q^{-1} (mu_q - mu_p)
    - d + log det S_q - log det S_p ]``,

    the expectation under p of ``log p(x) - log q(x)``: never negative, 0
    exactly when p = q, and not symmetric (KL(p || q) != KL(q || p) in
    general).

    Computed from the Cholesky factors ``S_p = L_p L_p^T`` and
    ``S_q = L_q L_q^T``: ``tr(S_q^{-1} S_p) = ||L_q^{-1} L_p||_F^2`` (the
    squared Frobenius norm of a triangular solve), the quadratic form is
    ``||L_q^{-1} (mu_q - mu_p)||^2``, and ``log det S = 2 sum_j log L_jj``.
    No inverse and no determinant is formed: both lose digits or under- and
    overflow (det S of a 200 x 200 covariance easily exceeds 1e308).

    Parameters
    ----------
    mean_p : array-like of shape (n_features,), or a float
        The mean of p; a float means n_features = 1.
    cov_p : array-like of shape (n_features, n_features), or a float
        The covariance of p, symmetric positive definite; a float is the
        variance (not the standard deviation) when n_features = 1.
    mean_q : array-like of shape (n_features,), or a float
        The mean of q.
    cov_q : array-like of shape (n_features, n_features), or a float
        The covariance of q, symmetric positive definite.

    Returns
    -------
    kl : float
        KL(p || q) in nats (natural logs), >= 0.
    """
    ### BEGIN SOLUTION
    mean_p, cov_p = _as_gaussian(mean_p, cov_p, "p")
    mean_q, cov_q = _as_gaussian(mean_q, cov_q, "q")
    n_features = mean_p.shape[0]
    if mean_q.shape[0] != n_features:
        raise ValueError(
            f"p and q must have the same dimension: mean_p has {n_features} feature(s), "
            f"mean_q {mean_q.shape[0]}."
        )
    try:
        chol_p = linalg.cholesky(cov_p, lower=True)
        chol_q = linalg.cholesky(cov_q, lower=True)
    except linalg.LinAlgError:
        raise ValueError(
            "cov_p and cov_q must be symmetric positive definite (a Cholesky "
            "factorisation failed); add a small multiple of the identity to the diagonal."
        ) from None
    # tr(S_q^{-1} S_p) = ||L_q^{-1} L_p||_F^2 and (mu_q - mu_p)^T S_q^{-1} (mu_q - mu_p) = ||z||^2
    a = linalg.solve_triangular(chol_q, chol_p, lower=True)
    z = linalg.solve_triangular(chol_q, mean_q - mean_p, lower=True)
    trace = np.sum(a**2)
    maha = np.sum(z**2)
    log_det_p = 2.0 * np.sum(np.log(np.diag(chol_p)))
    log_det_q = 2.0 * np.sum(np.log(np.diag(chol_q)))
    return float(0.5 * (trace + maha - n_features + log_det_q - log_det_p))
    ### END SOLUTION


def monte_carlo_kl(log_p, log_q):
    """Monte-Carlo estimate of KL(p || q) from samples drawn from p.

    ``KL(p || q) = E_p[log p(x) - log q(x)]``; with samples x_1, ..., x_n
    drawn from p, the estimate is the sample mean

    ``KL(p || q) ~ (1/n) sum_i [log p(x_i) - log q(x_i)]``.

    The samples already come from p, so the terms are not weighted by p(x_i);
    and the log-densities are subtracted as they are, never exponentiated (in
    high dimension p(x_i) underflows to 0). An estimate, so it can come out
    negative for a small sample although KL >= 0.

    With p the data's distribution, ``log p(x_i)`` does not depend on q: the
    q that minimises this estimate maximises the average log-likelihood
    ``(1/n) sum_i log q(x_i)`` -- maximum likelihood minimises the KL
    divergence from the data.

    Parameters
    ----------
    log_p : array-like of shape (n_samples,)
        ``log p(x_i)`` at samples x_i drawn from p.
    log_q : array-like of shape (n_samples,)
        ``log q(x_i)`` at the same samples.

    Returns
    -------
    kl : float
        The estimate of KL(p || q), in nats.
    """
    ### BEGIN SOLUTION
    log_p = _as_1d(log_p, "log_p")
    log_q = _as_1d(log_q, "log_q")
    if log_p.shape != log_q.shape:
        raise ValueError(
            f"log_p and log_q must hold the two log-densities at the same samples: got "
            f"{log_p.shape[0]} and {log_q.shape[0]} values."
        )
    return float(np.mean(log_p - log_q))
    ### END SOLUTION
