"""Bernoulli mixtures fit by EM, and a classifier built from them (MNIST).

An image is a row of D = 784 binary pixels (a 28×28 image flattened row by
row). A Bernoulli mixture with K components has

    p(x) = Σ_k π_k Π_d p_kd^x_d (1 − p_kd)^(1 − x_d),

with mixing weights ``weights`` π (K,) and pixel probabilities ``probs``
p (K, D), p_kd = P(pixel d = 1 | component k). It is fitted by EM with a
Beta(alpha + 1, alpha + 1) prior on every p_kd (``alpha`` pseudo-counts of 0
and of 1, "Laplace smoothing"), which keeps every p_kd strictly inside (0, 1).

Allowed imports: NumPy, ``scipy.special``, ``scipy.linalg`` and the standard
library (not ``sklearn``, not ``scipy.stats``).
"""
import numpy as np
from scipy.special import logsumexp

__all__ = [
    "binarize",
    "bernoulli_log_prob",
    "bmm_e_step",
    "bmm_m_step",
    "bmm_penalized_log_likelihood",
    "cluster_accuracy",
    "BernoulliMixture",
    "BernoulliMixtureClassifier",
    "NotFittedError",
]


class NotFittedError(ValueError, AttributeError):
    """A model method was called before ``fit``."""


# ---------------------------------------------------------------------------
# input validation (not graded)
# ---------------------------------------------------------------------------
def _check_X(X, n_features=None, name="X"):
    """``X`` as a float64 array (n_samples, n_features) with entries in [0, 1].

    A 1-D array means n_features = 1.
    """
    X = np.asarray(X)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise ValueError(f"{name} must hold numbers, got dtype {X.dtype}")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, np.newaxis]
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}; "
            f"binarize(images) flattens (n, 28, 28) images to (n, 784)")
    if X.shape[0] == 0:
        raise ValueError(f"{name} holds no samples (shape {X.shape})")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features but the model has {n_features}")
    if X.size and not (X.min() >= 0.0 and X.max() <= 1.0):  # also catches NaN
        raise ValueError(
            f"{name} must hold binary pixels (0/1), got values in "
            f"[{np.nanmin(X)}, {np.nanmax(X)}]; call binarize(images) first")
    return X


def _check_probs(probs, n_features=None, n_components=None, name="probs"):
    """``probs`` as a float64 array (n_components, n_features) with entries in [0, 1]."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim == 1 and n_features == 1:
        probs = probs[:, np.newaxis]
    if probs.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_components, n_features), got shape {probs.shape}")
    if n_features is not None and probs.shape[1] != n_features:
        raise ValueError(
            f"{name} has {probs.shape[1]} features (columns) but X has {n_features}")
    if n_components is not None and probs.shape[0] != n_components:
        raise ValueError(
            f"{name} has {probs.shape[0]} components (rows), expected {n_components}")
    if not (probs.min() >= 0.0 and probs.max() <= 1.0):  # also catches NaN
        raise ValueError(f"{name} must lie in [0, 1], got values in "
                         f"[{np.nanmin(probs)}, {np.nanmax(probs)}]")
    return probs


def _check_weights(weights, n_components, name="weights"):
    """``weights`` as a float64 array (n_components,), non-negative, summing to 1."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (n_components,):
        raise ValueError(
            f"{name} must have shape ({n_components},), got {weights.shape}")
    if not (weights.min() >= 0.0 and weights.max() <= 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {weights}")
    if not abs(weights.sum() - 1.0) < 1e-6:
        raise ValueError(f"{name} must sum to 1, got sum {weights.sum()}")
    return weights


def _check_resp(resp, n_samples):
    """``resp`` as a float64 array (n_samples, n_components) with entries >= 0."""
    resp = np.asarray(resp, dtype=np.float64)
    if resp.ndim == 1:
        resp = resp[:, np.newaxis]
    if resp.ndim != 2 or resp.shape[0] != n_samples:
        raise ValueError(
            f"resp must have shape (n_samples={n_samples}, n_components), got {resp.shape}")
    if not resp.min() >= 0.0:
        raise ValueError("resp must be non-negative (responsibilities are probabilities)")
    return resp


def _check_alpha(alpha):
    alpha = float(alpha)
    if not alpha >= 0.0:
        raise ValueError(f"alpha must be >= 0 (a pseudo-count), got {alpha}")
    return alpha


def _check_is_fitted(estimator, attribute):
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"this {type(estimator).__name__} is not fitted yet: call fit(X) first")


# ---------------------------------------------------------------------------
# the math, one function per step
# ---------------------------------------------------------------------------
def binarize(images, threshold=0.5):
    """Binarise grey-level images to 0/1 pixels.

    Parameters
    ----------
    images : array-like of shape (n_samples, 28, 28) or (n_samples, n_features)
        Grey levels. A ``uint8`` array (0–255, as MNIST ships) is divided by
        255 first; any other dtype is compared with ``threshold`` as given.
    threshold : float, default=0.5
        A pixel is 1 where its (scaled) value is strictly greater.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
        1.0 where pixel > threshold, else 0.0; (n, 28, 28) input is flattened
        row by row to (n, 784).
    """
    images = np.asarray(images)
    if images.ndim not in (2, 3):
        raise ValueError(
            f"images must have shape (n, 28, 28) or (n, n_features), got {images.shape}; "
            f"for one image pass image[np.newaxis]")
    ### BEGIN SOLUTION
    if images.ndim == 3:
        images = images.reshape(images.shape[0], -1)
    if images.dtype == np.uint8:
        images = images / 255.0
    return (images > threshold).astype(np.float64)
    ### END SOLUTION


def _bernoulli_log_prob(X, probs):
    """Unchecked :func:`bernoulli_log_prob` (X, probs already validated)."""
    ### BEGIN SOLUTION
    # X @ log p.T + (1 − X) @ log(1 − p).T = X @ (log p − log(1 − p)).T + Σ_d log(1 − p):
    # one matrix product instead of a loop over pixels. It is computed as
    # ((K, D) @ (D, n)).T, which BLAS runs faster than (n, D) @ (D, K) for small K;
    # the result is an (n, K) view in Fortran order, whose transpose (K, n) is
    # contiguous for the M-step's product resp.T @ X.
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = −inf, handled below
        log_p = np.log(probs)
        log_1mp = np.log1p(-probs)
    zero, one = probs == 0.0, probs == 1.0
    if not (zero.any() or one.any()):
        return ((log_p - log_1mp) @ X.T).T + log_1mp.sum(axis=1)
    # Some p are exactly 0 or 1 (only possible with alpha = 0): use 0·log 0 = 0,
    # and give −inf where a pixel is impossible (x > 0 where p = 0, x < 1 where p = 1).
    log_p[zero] = 0.0
    log_1mp[one] = 0.0
    out = ((log_p - log_1mp) @ X.T).T + log_1mp.sum(axis=1)
    impossible = (X @ zero.T + (1.0 - X) @ one.T) > 0
    out[impossible] = -np.inf
    return out
    ### END SOLUTION


def bernoulli_log_prob(X, probs):
    """Log-probability of every sample under every component.

    log p(x_n | k) = Σ_d x_nd log p_kd + (1 − x_nd) log(1 − p_kd), computed for
    all n and k with matrix products (no loop over samples or pixels).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Binary pixels (0/1).
    probs : array-like of shape (n_components, n_features)
        p_kd = P(pixel d = 1 | component k), in [0, 1].

    Returns
    -------
    log_prob : ndarray of shape (n_samples, n_components)
        Natural logs, all <= 0 (−inf where a pixel has probability 0).
    """
    X = _check_X(X)
    probs = _check_probs(probs, n_features=X.shape[1])
    ### BEGIN SOLUTION
    return _bernoulli_log_prob(X, probs)
    ### END SOLUTION


def _estimate_weighted_log_prob(X, weights, probs):
    """log π_k + log p(x_n | k), shape (n_samples, n_components).

    A component of weight 0 gets −inf (no warning), which log-sum-exp handles.
    """
    ### BEGIN SOLUTION
    with np.errstate(divide="ignore"):
        log_weights = np.log(weights)
    return _bernoulli_log_prob(X, probs) + log_weights
    ### END SOLUTION


def _e_step(X, weights, probs):
    """Unchecked :func:`bmm_e_step`."""
    ### BEGIN SOLUTION
    weighted_log_prob = _estimate_weighted_log_prob(X, weights, probs)
    with np.errstate(under="ignore"):
        log_prob_norm = logsumexp(weighted_log_prob, axis=1)
        if np.isneginf(log_prob_norm).any():
            raise ValueError(
                "a sample has probability 0 under every component (some probs are exactly "
                "0 or 1); use alpha > 0 or probs strictly inside (0, 1)")
        resp = np.exp(weighted_log_prob - log_prob_norm[:, np.newaxis])
    return resp, float(log_prob_norm.sum())
    ### END SOLUTION


def bmm_e_step(X, weights, probs):
    """E-step: responsibilities and the total log-likelihood.

    resp_nk = π_k p(x_n | k) / Σ_j π_j p(x_n | j), computed in log space
    (log-sum-exp); log_likelihood = Σ_n log Σ_k π_k p(x_n | k).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Binary pixels (0/1).
    weights : array-like of shape (n_components,)
        Mixing weights π, non-negative, summing to 1 (a weight may be 0).
    probs : array-like of shape (n_components, n_features)

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components)
        Each row sums to 1.
    log_likelihood : float
        The total (not the mean) over the samples.
    """
    X = _check_X(X)
    probs = _check_probs(probs, n_features=X.shape[1])
    weights = _check_weights(weights, probs.shape[0])
    ### BEGIN SOLUTION
    return _e_step(X, weights, probs)
    ### END SOLUTION


def _m_step(X, resp, alpha):
    """Unchecked :func:`bmm_m_step`."""
    ### BEGIN SOLUTION
    n_samples = X.shape[0]
    with np.errstate(under="ignore"):  # tiny responsibilities may underflow: harmless
        nk = resp.sum(axis=0)                               # (K,)
        weights = nk / n_samples
        counts = resp.T @ X                                 # (K, D): Σ_n resp_nk x_nd
        numerator = counts + alpha
        denominator = (nk + 2.0 * alpha)[:, np.newaxis]
        # N_k = 0 with alpha = 0 would be 0/0: use 0.5, the limit of alpha / (2·alpha).
        probs = np.divide(numerator, denominator, out=np.full_like(numerator, 0.5),
                          where=denominator > 0)
    # with alpha = 0, rounding can make Σ resp x exceed N_k by an ulp: keep p <= 1
    np.minimum(probs, 1.0, out=probs)
    return weights, probs
    ### END SOLUTION


def bmm_m_step(X, resp, alpha=1.0):
    """M-step: mixing weights and smoothed pixel probabilities.

    N_k = Σ_n resp_nk; π_k = N_k / n;
    p_kd = (Σ_n resp_nk x_nd + alpha) / (N_k + 2·alpha).

    The smoothing is the maximum a posteriori estimate under a
    Beta(alpha + 1, alpha + 1) prior on every p_kd (alpha = 0: maximum
    likelihood). A component with N_k = 0 gets p_kd = 1/2.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Binary pixels (0/1).
    resp : array-like of shape (n_samples, n_components)
        Responsibilities (rows summing to 1).
    alpha : float, default=1.0
        Pseudo-count, >= 0.

    Returns
    -------
    weights : ndarray of shape (n_components,)
    probs : ndarray of shape (n_components, n_features)
        Strictly inside (0, 1) when alpha > 0.
    """
    X = _check_X(X)
    resp = _check_resp(resp, X.shape[0])
    alpha = _check_alpha(alpha)
    ### BEGIN SOLUTION
    return _m_step(X, resp, alpha)
    ### END SOLUTION


def _log_beta_prior(probs, alpha):
    """alpha · Σ_kd [log p_kd + log(1 − p_kd)]: the log Beta(alpha+1, alpha+1) prior
    of ``probs`` up to an additive constant (0 when alpha = 0)."""
    ### BEGIN SOLUTION
    if alpha == 0.0:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):  # p = 0 or 1: −inf
        return float(alpha * (np.log(probs).sum() + np.log1p(-probs).sum()))
    ### END SOLUTION


def bmm_penalized_log_likelihood(X, weights, probs, alpha=1.0):
    """The objective that EM with smoothing increases (not graded).

    objective = Σ_n log Σ_k π_k p(x_n | k) + alpha · Σ_kd [log p_kd + log(1 − p_kd)],

    the total log-likelihood plus the log of the Beta(alpha + 1, alpha + 1)
    prior on every p_kd (up to an additive constant). Each EM iteration with
    :func:`bmm_m_step`'s smoothing never decreases this objective; the raw
    log-likelihood alone may decrease slightly when alpha > 0.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    weights : array-like of shape (n_components,)
    probs : array-like of shape (n_components, n_features)
    alpha : float, default=1.0

    Returns
    -------
    objective : float
    """
    X = _check_X(X)
    probs = _check_probs(probs, n_features=X.shape[1])
    weights = _check_weights(weights, probs.shape[0])
    alpha = _check_alpha(alpha)
    ### BEGIN SOLUTION
    with np.errstate(under="ignore"):
        log_likelihood = logsumexp(_estimate_weighted_log_prob(X, weights, probs), axis=1).sum()
    return float(log_likelihood) + _log_beta_prior(probs, alpha)
    ### END SOLUTION


def cluster_accuracy(y_true, clusters):
    """Accuracy of a clustering once every cluster is named by its majority label.

    Each cluster is mapped to the most frequent true label among its members;
    the result is the fraction of samples whose cluster's label is their own:
    Σ_clusters (count of the majority label) / n.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (any comparable values).
    clusters : array-like of shape (n_samples,)
        Cluster ids (any comparable values).

    Returns
    -------
    accuracy : float
        In (0, 1].
    """
    y_true = np.asarray(y_true)
    clusters = np.asarray(clusters)
    if y_true.ndim != 1 or clusters.shape != y_true.shape or y_true.size == 0:
        raise ValueError(
            f"y_true and clusters must be 1-D of the same non-zero length, got shapes "
            f"{y_true.shape} and {clusters.shape}")
    ### BEGIN SOLUTION
    labels, y_index = np.unique(y_true, return_inverse=True)
    cluster_ids, c_index = np.unique(clusters, return_inverse=True)
    # contingency table: counts[c, l] = #samples in cluster c with label l
    counts = np.bincount(c_index * len(labels) + y_index,
                         minlength=len(cluster_ids) * len(labels))
    counts = counts.reshape(len(cluster_ids), len(labels))
    return float(counts.max(axis=1).sum() / y_true.size)
    ### END SOLUTION


# ---------------------------------------------------------------------------
# estimators
# ---------------------------------------------------------------------------
class BernoulliMixture:
    """Mixture of multivariate Bernoulli distributions fitted by EM.

    Parameters
    ----------
    n_components : int, default=10
        K.
    alpha : float, default=1.0
        Pseudo-count of the M-step's smoothing (see :func:`bmm_m_step`).
    tol : float, default=1e-3
        Stop when the total log-likelihood changes by less than
        ``tol · n_samples`` between two iterations.
    max_iter : int, default=100
    weights_init : array-like of shape (n_components,), optional
        Replaces the initial weights computed from the random responsibilities.
    probs_init : array-like of shape (n_components, n_features), optional
        Replaces the initial probabilities computed from the random
        responsibilities.
    random_state : None, int or numpy.random.Generator
        Draws the initial responsibilities and the samples of :meth:`sample`.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    probs_ : ndarray of shape (n_components, n_features)
    converged_ : bool
    n_iter_ : int
        Number of EM iterations run.
    log_likelihood_history_ : list of float
        ll_t, the total log-likelihood computed by the E-step of iteration t
        (parameters before that iteration's M-step).
    objective_history_ : list of float
        The penalised objective (:func:`bmm_penalized_log_likelihood`) of the
        same parameters. This, not the log-likelihood, is what EM with
        smoothing never decreases (not graded).

    Notes
    -----
    Initialisation (scikit-learn's ``init_params="random"``): responsibilities
    drawn uniformly in [0, 1) with ``random_state``, shape (n_samples,
    n_components), each row divided by its sum; then :func:`bmm_m_step` on
    them gives the starting weights and probs. A given ``weights_init`` /
    ``probs_init`` replaces the computed value. (Probabilities drawn directly,
    e.g. uniform in [0.25, 0.75], make one component win every image in the
    first E-step, since 784 pixels multiply: most components die at once.)
    The loop (as scikit-learn's ``GaussianMixture``): for t = 1..max_iter,
    ``resp, ll_t = bmm_e_step(...)``; parameters = ``bmm_m_step(X, resp,
    alpha)``; stop with ``converged_ = True`` when |ll_t − ll_{t−1}| / n < tol
    (ll_0 = −inf). The fitted parameters are those after the last M-step.
    """

    def __init__(self, n_components=10, *, alpha=1.0, tol=1e-3, max_iter=100,
                 weights_init=None, probs_init=None, random_state=None):
        self.n_components = n_components
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter
        self.weights_init = weights_init
        self.probs_init = probs_init
        self.random_state = random_state

    def _check_parameters(self):
        if not (isinstance(self.n_components, (int, np.integer)) and self.n_components >= 1):
            raise ValueError(f"n_components must be an integer >= 1, got {self.n_components!r}")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 1):
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        if not float(self.tol) >= 0.0:
            raise ValueError(f"tol must be >= 0, got {self.tol!r}")
        _check_alpha(self.alpha)

    def fit(self, X, y=None):
        """Fit the mixture to binary images by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Binary pixels (0/1).
        y : ignored

        Returns
        -------
        self
        """
        X = _check_X(X)
        self._check_parameters()
        ### BEGIN SOLUTION
        n_samples, n_features = X.shape
        n_components = int(self.n_components)
        alpha = float(self.alpha)
        rng = np.random.default_rng(self.random_state)

        # scikit-learn's init_params="random": random responsibilities, then the M-step
        resp = rng.uniform(size=(n_samples, n_components))
        resp /= resp.sum(axis=1, keepdims=True)
        weights, probs = _m_step(X, resp, alpha)
        if self.weights_init is not None:
            weights = _check_weights(self.weights_init, n_components, name="weights_init")
        if self.probs_init is not None:
            probs = _check_probs(self.probs_init, n_features=n_features,
                                 n_components=n_components, name="probs_init")

        log_likelihood_history, objective_history = [], []
        previous = -np.inf
        converged = False
        for n_iter in range(1, int(self.max_iter) + 1):
            resp, log_likelihood = _e_step(X, weights, probs)
            objective_history.append(log_likelihood + _log_beta_prior(probs, alpha))
            log_likelihood_history.append(log_likelihood)
            weights, probs = _m_step(X, resp, alpha)
            if abs(log_likelihood - previous) / n_samples < self.tol:
                converged = True
                break
            previous = log_likelihood

        self.weights_ = weights
        self.probs_ = probs
        self.converged_ = converged
        self.n_iter_ = n_iter
        self.log_likelihood_history_ = log_likelihood_history
        self.objective_history_ = objective_history
        self.n_features_in_ = n_features
        self._rng = rng
        return self
        ### END SOLUTION

    def predict_proba(self, X):
        """Responsibilities of the fitted components, shape (n_samples, n_components)."""
        _check_is_fitted(self, "probs_")
        X = _check_X(X, n_features=self.probs_.shape[1])
        ### BEGIN SOLUTION
        return _e_step(X, self.weights_, self.probs_)[0]
        ### END SOLUTION

    def predict(self, X):
        """Most responsible component of each sample, shape (n_samples,), int."""
        _check_is_fitted(self, "probs_")
        X = _check_X(X, n_features=self.probs_.shape[1])
        ### BEGIN SOLUTION
        return _estimate_weighted_log_prob(X, self.weights_, self.probs_).argmax(axis=1)
        ### END SOLUTION

    def score_samples(self, X):
        """log p(x_n) = log Σ_k π_k p(x_n | k) of each sample, shape (n_samples,)."""
        _check_is_fitted(self, "probs_")
        X = _check_X(X, n_features=self.probs_.shape[1])
        ### BEGIN SOLUTION
        with np.errstate(under="ignore"):
            return logsumexp(_estimate_weighted_log_prob(X, self.weights_, self.probs_), axis=1)
        ### END SOLUTION

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` (a float)."""
        _check_is_fitted(self, "probs_")
        X = _check_X(X, n_features=self.probs_.shape[1])
        ### BEGIN SOLUTION
        return float(self.score_samples(X).mean())
        ### END SOLUTION

    def sample(self, n_samples=1):
        """Draw binary images from the fitted mixture.

        The number of samples of each component is multinomial(n_samples,
        weights_); samples are grouped by component (not shuffled).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), float64 of 0/1
        z : ndarray of shape (n_samples,), int
            The component of each sample.
        """
        _check_is_fitted(self, "probs_")
        if not (isinstance(n_samples, (int, np.integer)) and n_samples >= 1):
            raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
        ### BEGIN SOLUTION
        rng = getattr(self, "_rng", None)
        if rng is None:
            rng = self._rng = np.random.default_rng(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        z = np.repeat(np.arange(len(self.weights_)), counts)
        X = (rng.random((n_samples, self.probs_.shape[1])) < self.probs_[z]).astype(np.float64)
        return X, z
        ### END SOLUTION


class BernoulliMixtureClassifier:
    """Generative classifier: one Bernoulli mixture per class.

    p(y = c | x) ∝ P(c) · p(x | c), with P(c) = (count of class c) / n and
    p(x | c) a :class:`BernoulliMixture` of ``n_components`` components fitted
    on the rows of class c. With ``n_components=1`` this is Bernoulli naive
    Bayes (``sklearn.naive_bayes.BernoulliNB(alpha=alpha)``).

    Parameters
    ----------
    n_components : int, default=1
        Components per class.
    alpha, tol, max_iter : as :class:`BernoulliMixture`
    random_state : None, int or numpy.random.Generator
        One generator, made once per fit, is shared by the classes' mixtures
        (so every class gets different initial responsibilities).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted distinct labels.
    class_log_prior_ : ndarray of shape (n_classes,)
        log(count of class c / n).
    mixtures_ : list of BernoulliMixture
        ``mixtures_[i]`` models class ``classes_[i]``.
    """

    def __init__(self, n_components=1, *, alpha=1.0, tol=1e-3, max_iter=100,
                 random_state=None):
        self.n_components = n_components
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        """Fit one mixture per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Binary pixels (0/1).
        y : array-like of shape (n_samples,)
            Labels (any sortable values: ints, strings, ...).

        Returns
        -------
        self
        """
        X = _check_X(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
        ### BEGIN SOLUTION
        classes, y_index = np.unique(y, return_inverse=True)
        class_count = np.bincount(y_index, minlength=len(classes))
        rng = np.random.default_rng(self.random_state)
        mixtures = []
        for c in range(len(classes)):
            mixture = BernoulliMixture(
                n_components=self.n_components, alpha=self.alpha, tol=self.tol,
                max_iter=self.max_iter, random_state=rng)
            mixtures.append(mixture.fit(X[y_index == c]))
        self.classes_ = classes
        self.class_log_prior_ = np.log(class_count / X.shape[0])
        self.mixtures_ = mixtures
        self.n_features_in_ = X.shape[1]
        return self
        ### END SOLUTION

    def _joint_log_likelihood(self, X):
        """log P(c) + log p(x_n | c), shape (n_samples, n_classes)."""
        ### BEGIN SOLUTION
        # all classes' components at once: one matrix product for (n, C·K) log-probs
        probs = np.concatenate([m.probs_ for m in self.mixtures_])
        weights = np.concatenate([m.weights_ for m in self.mixtures_])
        weighted_log_prob = _estimate_weighted_log_prob(X, weights, probs)
        n_classes = len(self.mixtures_)
        with np.errstate(under="ignore"):
            log_px = logsumexp(weighted_log_prob.reshape(X.shape[0], n_classes, -1), axis=2)
        return log_px + self.class_log_prior_
        ### END SOLUTION

    def predict_proba(self, X):
        """Posterior class probabilities p(c | x_n), shape (n_samples, n_classes).

        Columns follow ``classes_``; rows sum to 1.
        """
        _check_is_fitted(self, "mixtures_")
        X = _check_X(X, n_features=self.mixtures_[0].probs_.shape[1])
        ### BEGIN SOLUTION
        jll = self._joint_log_likelihood(X)
        with np.errstate(under="ignore"):
            log_prob_norm = logsumexp(jll, axis=1)
            if np.isneginf(log_prob_norm).any():
                raise ValueError(
                    "a sample has probability 0 under every class (some probs are exactly "
                    "0 or 1, from alpha = 0); use alpha > 0")
            return np.exp(jll - log_prob_norm[:, np.newaxis])
        ### END SOLUTION

    def predict(self, X):
        """Most probable label of each sample (values from ``classes_``), shape (n_samples,)."""
        _check_is_fitted(self, "mixtures_")
        X = _check_X(X, n_features=self.mixtures_[0].probs_.shape[1])
        ### BEGIN SOLUTION
        return self.classes_[self._joint_log_likelihood(X).argmax(axis=1)]
        ### END SOLUTION

    def score(self, X, y):
        """Accuracy: the fraction of samples whose predicted label equals ``y``."""
        _check_is_fitted(self, "mixtures_")
        ### BEGIN SOLUTION
        return float(np.mean(self.predict(X) == np.asarray(y)))
        ### END SOLUTION

    def sample(self, n_samples, label):
        """Draw images of one class from its mixture.

        Parameters
        ----------
        n_samples : int
        label : a value of ``classes_``

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), float64 of 0/1
        """
        _check_is_fitted(self, "mixtures_")
        ### BEGIN SOLUTION
        matches = [i for i, c in enumerate(self.classes_) if c == label]
        if not matches:
            raise ValueError(f"unknown label {label!r}; the classes are {self.classes_.tolist()}")
        return self.mixtures_[matches[0]].sample(n_samples)[0]
        ### END SOLUTION
