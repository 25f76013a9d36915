"""Points only for work (issue 19 §2), graded as root and as a normal user: gmm and bmm modules
whose fits fit nothing (degenerate parameters, components that answer the same whatever their
input or stand still, NaN everywhere), a classifier that looks the images up or hands its training
images back, earn none of the points their tricks aimed at; an honest mistake still carries forward.
"""
import pytest

from samples.submissions import apply, reference_source, stub_source, write
from tests.conftest import entry, grade_folder


#: means, identity covariances) and every method the API asks for, for exactly those parameters.
#: While the model-API and BIC/AIC tests graded "the model's own fitted parameters", it earned 20.
DEGENERATE_GMM = '''

def _rows(X):
    X = np.asarray(X, dtype=float)
    return X[:, None] if X.ndim == 1 else X


def _degenerate_fit(self, X):
    n, d = _rows(X).shape
    K = int(self.n_components)
    self.weights_ = np.r_[1.0, np.full(K - 1, 1e-300)]
    self.means_ = np.zeros((K, d))
    self.covariances_ = {"full": np.tile(np.eye(d), (K, 1, 1)), "diag": np.ones((K, d)),
                         "spherical": np.ones(K)}[self.covariance_type]
    self.converged_, self.n_iter_, self.log_likelihood_history_ = True, 1, [0.0]
    self._rng = np.random.default_rng(self.random_state)
    return self


def _score_samples(self, X):
    X = _rows(X)
    return -0.5 * (X ** 2).sum(1) - 0.5 * X.shape[1] * np.log(2 * np.pi)


def _p(self):
    K, d = self.means_.shape
    return K - 1 + K * d + {"full": K * d * (d + 1) // 2, "diag": K * d, "spherical": K}[self.covariance_type]


GaussianMixtureEM.fit = _degenerate_fit
GaussianMixtureEM.predict_proba = lambda self, X: np.eye(len(self.weights_))[np.zeros(len(_rows(X)), int)]
GaussianMixtureEM.predict = lambda self, X: np.zeros(len(_rows(X)), dtype=int)
GaussianMixtureEM.score_samples = _score_samples
GaussianMixtureEM.score = lambda self, X: float(np.mean(_score_samples(self, X)))
GaussianMixtureEM.sample = lambda self, n_samples=1: (
    self._rng.standard_normal((n_samples, self.means_.shape[1])), np.zeros(n_samples, dtype=int))
GaussianMixtureEM.bic = lambda self, X: float(-2 * _score_samples(self, X).sum() + _p(self) * np.log(len(_rows(X))))
GaussianMixtureEM.aic = lambda self, X: float(-2 * _score_samples(self, X).sum() + 2 * _p(self))
'''
GMM_MODEL_API = ("test_predict_proba_and_predict", "test_score_samples_and_score",
                 "test_sample_shapes_and_reproducible", "test_sample_statistics_full",
                 "test_sample_statistics_diag", "test_sample_statistics_spherical",
                 "test_sample_successive_calls_differ", "test_bic_aic")


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_gmm_fit_that_only_sets_degenerate_parameters_earns_nothing(tmp_path, user):
    """The model-API and BIC/AIC tests grade a model built from parameters the grader chose
    (weights_init, means_init, covariances_init, max_iter=0), so a fit that sets parameters of its
    own choosing, with methods that are right for those alone, earns none of their 20 points."""
    folder = tmp_path / "class"
    write(folder / "reference", "gmm", reference_source("gmm"))
    write(folder / "degenerate", "gmm", stub_source("gmm") + DEGENERATE_GMM)
    results = grade_folder("gmm", folder, user=user)
    assert results["reference"]["score"] == 100
    degenerate = results["degenerate"]
    earned = {name: entry(degenerate, "gmm", name)["score"] for name in GMM_MODEL_API}
    assert earned == dict.fromkeys(GMM_MODEL_API, 0), earned
    assert degenerate["score"] == 0
    assert "must hold the given" in entry(degenerate, "gmm", "test_bic_aic")["output"]


#: GaussianMixtureEM.fit's tests: carried-forward points there must be earned by code that composes
GMM_FIT_TESTS = ("test_stopping_rule", "test_fit_history", "test_fit_matches_sklearn_full",
                 "test_fit_matches_sklearn_diag", "test_fit_matches_sklearn_spherical", "test_old_faithful",
                 "test_fit_duplicated_points")

# A "fit" that does nothing: it keeps the parameters it was given (or what its m_step makes of nothing)
# and writes a history of two equal entries, as if EM had converged at once.
_NEAR_EMPTY_FIT = """

def _near_empty_fit(self, X):
    X = np.asarray(X, dtype=float)
    X = X[:, None] if X.ndim == 1 else X
    k = int(self.n_components)
    if _KEEP_START and self.weights_init is not None and self.means_init is not None \
            and self.covariances_init is not None:
        params = (np.asarray(self.weights_init, float), np.asarray(self.means_init, float),
                  np.asarray(self.covariances_init, float))
    else:
        params = m_step(X, np.full((len(X), k), 1.0 / k), self.covariance_type, self.reg_covar)
    self.weights_, self.means_, self.covariances_ = params
    ll = float(e_step(X, *params, self.covariance_type)[1])
    self.log_likelihood_history_ = [ll, ll]
    self.n_iter_, self.converged_ = 2, True
    return self


GaussianMixtureEM.fit = _near_empty_fit
"""

# 1. Components that do no work: an e_step whose answer ignores the parameters, an m_step whose
#    answer ignores the responsibilities. Both fail their own tests; the reference's loop on them
#    matches the near-empty fit, but they answer the same whatever their input.
CONSTANT_COMPONENTS = """

_reference_m_step = m_step


def e_step(X, weights, means, covariances, covariance_type="full"):
    X = np.asarray(X, dtype=float)
    k = len(np.asarray(weights))
    return np.full((len(X), k), 1.0 / k), 0.0


def m_step(X, resp, covariance_type="full", reg_covar=1e-6):
    resp = np.asarray(resp, dtype=float)
    return _reference_m_step(X, np.full(resp.shape, 1.0 / resp.shape[1]), covariance_type, reg_covar)


_KEEP_START = False  # what the loop on these components ends at: m_step's answer
""" + _NEAR_EMPTY_FIT

# 2. Components that respond to every input, but only when the grader calls them (they look at the
#    call stack): e_step hides the parameters in the responsibilities and m_step reads them back, so
#    the reference's loop on them stands still at its start, which is what the near-empty fit
#    reports. When the student's own code calls them they are the reference's.
FIXED_POINT_COMPONENTS = """

import sys as _sys

_reference_e_step, _reference_m_step = e_step, m_step


def _called_by_the_grader():
    frame = _sys._getframe(2)
    return frame.f_globals.get("__name__") != __name__


def e_step(X, weights, means, covariances, covariance_type="full"):
    if not _called_by_the_grader():
        return _reference_e_step(X, weights, means, covariances, covariance_type)
    X = np.asarray(X, dtype=float)
    k = len(np.asarray(weights))
    hidden = np.concatenate([np.ravel(weights), np.ravel(means), np.ravel(covariances)]).astype(float)
    resp = np.zeros((len(X), k))
    resp.flat[:hidden.size] = hidden
    return resp, float(np.sum(means) + np.sum(covariances) + np.sum(weights))


def m_step(X, resp, covariance_type="full", reg_covar=1e-6):
    if not _called_by_the_grader():
        return _reference_m_step(X, resp, covariance_type, reg_covar)
    X = np.asarray(X, dtype=float)
    d = 1 if X.ndim == 1 else X.shape[1]
    resp = np.asarray(resp, dtype=float)
    k = resp.shape[1]
    flat = resp.ravel()
    shape = {"full": (k, d, d), "diag": (k, d), "spherical": (k,)}[covariance_type]
    size = int(np.prod(shape))
    return flat[:k], flat[k:k + k * d].reshape(k, d), flat[k + k * d:k + k * d + size].reshape(shape)


_KEEP_START = True  # what the loop on these components ends at: the start
""" + _NEAR_EMPTY_FIT

# 3. Every component raises (an unwritten stub throughout): nothing can be carried from an error.
RAISING_COMPONENTS = """

def _raises(*args, **kwargs):
    raise RuntimeError("not written yet")


log_gaussian_prob = e_step = m_step = kmeans = n_parameters = _raises
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_carried_forward_points_are_earned_only_by_code_that_composes(tmp_path, user):
    """Error carried forward credits a test on the student's own failed functions only when the
    student's code does the composing: components that answer the same whatever their input, or
    that make the reference's loop stand still at its start (here by hiding the parameters in the
    responsibilities, and only when the grader calls them), or that raise, carry nothing to a fit
    that does nothing; an honest single mistake (the −½·log|Σ| term dropped) carries. (Their
    select_n_components, the reference's arg-min over their own models, may earn its points on
    their models: that part of their code is right.)"""
    from samples.submissions import catalogue

    folder = tmp_path / "class"
    write(folder / "constants", "gmm", reference_source("gmm") + CONSTANT_COMPONENTS)
    write(folder / "fixed_point", "gmm", reference_source("gmm") + FIXED_POINT_COMPONENTS)
    write(folder / "raising", "gmm", reference_source("gmm") + RAISING_COMPONENTS)
    honest = next(b for b in catalogue("gmm") if b.name == "log_determinant_dropped")
    write(folder / "honest", "gmm", apply("gmm", honest))
    results = grade_folder("gmm", folder, user=user)
    for name in ("constants", "fixed_point", "raising"):
        res = results[name]
        earned = {t: entry(res, "gmm", t)["score"] for t in GMM_FIT_TESTS}
        assert earned == dict.fromkeys(GMM_FIT_TESTS, 0), (name, earned)
        numbers = {str(i) for i, t in enumerate(res["tests"], 1) if any(t["name"] == entry(res, "gmm", f)["name"]
                                                                       for f in GMM_FIT_TESTS)}
        assert not numbers & set(res["autograder"]["carried"]), (name, res["autograder"]["carried"])
    assert "Not carried forward" in entry(results["constants"], "gmm", "test_fit_matches_sklearn_full")["output"]
    stood_still = entry(results["fixed_point"], "gmm", "test_fit_matches_sklearn_full")["output"]
    assert "the loop stood still" in stood_still, stood_still
    # the honest mistake: charged in its own test, its fit carried forward (and said so)
    res = results["honest"]
    assert entry(res, "gmm", "test_log_gaussian_prob_full")["score"] == 0
    fit = entry(res, "gmm", "test_fit_matches_sklearn_full")
    assert fit["score"] == fit["max_score"] and fit["output"].startswith("Passed on your own log_gaussian_prob")
    assert res["autograder"]["carry_forward"] is True and res["autograder"]["carried"]


# 4. (bmm) Every step answers NaN and fit sets NaN parameters: the reference's loop on those steps
#    gives NaN too, and bmm's tests compare a NaN of the student's own steps with a NaN; but NaN is no
#    evidence of work, and some replaced function must give a finite answer that moves. (Found by
#    the red team's follow-up: before that rule, and while a test of BernoulliMixture could carry
#    through the student's own BernoulliMixture — its fit compared with itself — it earned 4 points.)
NAN_BMM = """

def bernoulli_log_prob(X, probs):
    X = np.asarray(X, dtype=float)
    return np.full((len(X), len(np.asarray(probs))), np.nan)


def bmm_e_step(X, weights, probs):
    X = np.asarray(X, dtype=float)
    return np.full((len(X), len(np.asarray(weights))), np.nan), float("nan")


def bmm_m_step(X, resp, alpha=1.0):
    X = np.asarray(X, dtype=float).reshape(len(X), -1)
    k = np.asarray(resp).shape[1]
    return np.full(k, np.nan), np.full((k, X.shape[1]), np.nan)


_bernoulli_log_prob, _e_step, _m_step = bernoulli_log_prob, bmm_e_step, bmm_m_step


def _nan_fit(self, X, y=None):
    X = np.asarray(X, dtype=float).reshape(len(X), -1)
    k = int(self.n_components)
    self.weights_, self.probs_ = np.full(k, np.nan), np.full((k, X.shape[1]), np.nan)
    self.log_likelihood_history_ = [float("nan")] * 2
    self.n_iter_, self.converged_ = 2, False
    return self


BernoulliMixture.fit = _nan_fit
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_bmm_whose_steps_answer_nan_carries_nothing(tmp_path, user):
    """NaN everywhere (steps and fit) earns only the parts it did not touch (binarize, cluster accuracy)."""
    folder = tmp_path / "class"
    write(folder / "nan", "bmm", reference_source("bmm") + NAN_BMM)
    res = grade_folder("bmm", folder, user=user)["nan"]
    assert res["autograder"]["carried"] == {}, res["autograder"]["carried"]
    earned = {t["name"]: t["score"] for t in res["tests"] if t["score"] > 0}
    assert all(name.startswith(("binarize", "cluster_accuracy")) for name in earned), earned


def _lookup_bmm(images, labels):
    """The bmm reference whose classifier learns nothing: fit keeps classes_, and predict looks each
    binarised image up in a table of (images, labels) pasted into the module (compressed)."""
    import base64
    import zlib

    import numpy as np

    bits = np.packbits((images / 255.0 > 0.5).reshape(len(images), -1), axis=1)
    pack = lambda a: base64.b64encode(zlib.compress(np.ascontiguousarray(a).tobytes(), 9)).decode()
    return reference_source("bmm") + f'''

import base64 as _b64
import zlib as _zlib

_BITS = np.frombuffer(_zlib.decompress(_b64.b64decode("{pack(bits)}")), np.uint8).reshape(-1, {bits.shape[1]})
_LABELS = np.frombuffer(_zlib.decompress(_b64.b64decode("{pack(labels.astype(np.uint8))}")), np.uint8)
_TABLE = {{bytes(b): int(y) for b, y in zip(_BITS, _LABELS)}}


def _lookup_fit(self, X, y):
    self.classes_ = np.unique(y)
    return self


def _lookup_predict(self, X):
    keys = np.packbits(np.asarray(X).reshape(len(X), -1) > 0.5, axis=1)
    return np.array([_TABLE.get(bytes(k), self.classes_[0]) for k in keys])


BernoulliMixtureClassifier.fit = _lookup_fit
BernoulliMixtureClassifier.predict = _lookup_predict
'''


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_bmm_predict_that_looks_images_up_earns_nothing_on_accuracy(tmp_path, user):
    """The accuracy test predicts the grader's held-out MNIST images, which no handout ships: a
    predict that looks images up in a table of everything the handout holds earns none of its
    points. The control — the same lookup with the grader's own 5,000 pasted in, as a student
    would have had them when the handout shipped them all — earns them all, so the table works."""
    from datasets import load_mnist_5k, load_mnist_subset

    folder = tmp_path / "class"
    write(folder / "handout_table", "bmm", _lookup_bmm(*load_mnist_subset()))
    write(folder / "control_all_5000", "bmm", _lookup_bmm(*load_mnist_5k()))
    for name in ("handout_table", "control_all_5000"):
        assert (folder / name / "bmm.py").stat().st_size < 1 << 20  # under intake's cap: graded, not refused
    results = grade_folder("bmm", folder, user=user)
    accuracy = entry(results["handout_table"], "bmm", "test_accuracy")
    assert accuracy["score"] == 0, accuracy
    assert "held-out" in accuracy["output"]
    control = entry(results["control_all_5000"], "bmm", "test_accuracy")
    assert control["score"] == control["max_score"], control


#: The same for bmm: a BernoulliMixture whose fit sets weights (1, 1e-300, …) and probs ½, and a
#: classifier whose predict_proba is uniform (so every label is an arg-max); it earned 17 points
#: on tests that graded the model's own state (the penalised objective of constant parameters
#: never decreases, either).
DEGENERATE_BMM = '''

def _rows(X):
    X = np.asarray(X, dtype=float)
    return X.reshape(len(X), -1)


def _degenerate_fit(self, X):
    n, d = _rows(X).shape
    K = int(self.n_components)
    self.weights_ = np.r_[1.0, np.full(K - 1, 1e-300)]
    self.probs_ = np.full((K, d), 0.5)
    self.converged_, self.n_iter_, self.log_likelihood_history_ = True, 1, [0.0]
    self._rng = np.random.default_rng(self.random_state)
    return self


def _score_samples(self, X):
    X = _rows(X)
    return np.full(len(X), X.shape[1] * np.log(0.5))


BernoulliMixture.fit = _degenerate_fit
BernoulliMixture.predict_proba = lambda self, X: np.eye(len(self.weights_))[np.zeros(len(_rows(X)), int)]
BernoulliMixture.predict = lambda self, X: np.zeros(len(_rows(X)), dtype=int)
BernoulliMixture.score_samples = _score_samples
BernoulliMixture.score = lambda self, X: float(np.mean(_score_samples(self, X)))
BernoulliMixture.sample = lambda self, n_samples=1: (
    (self._rng.random((n_samples, self.probs_.shape[1])) < 0.5).astype(float), np.zeros(n_samples, dtype=int))


def _classifier_fit(self, X, y):
    self.classes_ = np.unique(y)
    self.class_log_prior_ = np.full(len(self.classes_), -np.log(len(self.classes_)))
    self.mixtures_ = []
    return self


BernoulliMixtureClassifier.fit = _classifier_fit
BernoulliMixtureClassifier.predict_proba = lambda self, X: np.full((len(_rows(X)), len(self.classes_)),
                                                                   1 / len(self.classes_))
BernoulliMixtureClassifier.predict = lambda self, X: np.full(len(_rows(X)), self.classes_[0])
BernoulliMixtureClassifier.score = lambda self, X, y: float(np.mean(self.predict(X) == np.asarray(y)))
'''
BMM_MODEL_API = ("test_penalized_objective_never_decreases", "test_mixture_predictions", "test_mixture_sample",
                 "test_sample_successive_calls_differ", "test_predict_labels")


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_bmm_fit_that_only_sets_degenerate_parameters_earns_nothing(tmp_path, user):
    """bmm's model tests grade the model's own parameters only once they are a fit (one EM iteration
    from the given start, by the spec's steps or the student's own), and the classifier's predictions
    only when they beat chance as a fit does: the degenerate module earns none of those 17 points."""
    folder = tmp_path / "class"
    write(folder / "degenerate", "bmm", stub_source("bmm") + DEGENERATE_BMM)
    results = grade_folder("bmm", folder, user=user)
    degenerate = results["degenerate"]
    earned = {name: entry(degenerate, "bmm", name)["score"] for name in BMM_MODEL_API}
    assert earned == dict.fromkeys(BMM_MODEL_API, 0), earned
    assert degenerate["score"] == 0
    assert "not one EM iteration" in entry(degenerate, "bmm", "test_mixture_predictions")["output"]
    assert "halfway" in entry(degenerate, "bmm", "test_predict_labels")["output"]


#: A classifier whose fit keeps the training rows and whose sample hands them back: the judge
#: (BernoulliNB on those rows) takes them for their label, so it earned the sample test's 5 points.
MEMORISING_BMM = '''

def _memo_fit(self, X, y):
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    self.classes_ = np.unique(y)
    self._rows = {c: X[y == c] for c in self.classes_}
    return self


BernoulliMixtureClassifier.fit = _memo_fit
BernoulliMixtureClassifier.sample = lambda self, n_samples, label: (
    self._rows[label][np.arange(n_samples) % len(self._rows[label])])
'''


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_bmm_classifier_that_samples_its_training_images_earns_nothing_on_sampling(tmp_path, user):
    folder = tmp_path / "class"
    write(folder / "memorising", "bmm", reference_source("bmm") + MEMORISING_BMM)
    results = grade_folder("bmm", folder, user=user)
    sample = entry(results["memorising"], "bmm", "test_classifier_sample")
    assert sample["score"] == 0 and "training images, pixel for pixel" in sample["output"], sample

