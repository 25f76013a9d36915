"""kde, part 4: sampling from the estimate, kde_sample (20 points).

The samples are the student's own draws: they are tested statistically, never against the
reference's draws. Each statistical check is set so that a correct submission fails with
probability below 1e-7 (the calculation is next to each check).
"""
import numpy as np
from scipy.special import ndtr

from autograder.harness import GradingFailure, expect, expect_array, expect_equal, fail, points, reference

ref = reference("kde")


def seed_from(rng):
    """An int seed for the student's kde_sample, drawn from the test's generator."""
    return int(rng.integers(2**31 - 1))


@points(2)
def test_kde_sample_shape(student, rng):
    """kde_sample: shape (n_samples, d), for 1-D and list input, one training row and n_samples = 0"""
    X = rng.normal(size=(30, 3))
    h = float(rng.uniform(0.2, 1.0))
    for n_samples in (1, 7):
        got = student.kde_sample(X, h, n_samples, seed_from(rng))
        expect_array(got, f"kde_sample(X_train, h, {n_samples}, rng=int) with X_train of shape "
                     f"{X.shape}", shape=(n_samples, 3))
    got = student.kde_sample(X[:, 0], h, 5, seed_from(rng))
    expect_array(got, "kde_sample(x_train, h, 5, rng=int) with a 1-D x_train (one feature)", shape=(5, 1))
    got = student.kde_sample(X.tolist(), h, 6, seed_from(rng))
    expect_array(got, "kde_sample(X_train, h, 6, rng=int) with X_train a list of lists", shape=(6, 3))
    got = student.kde_sample(X, h, 4)
    expect_array(got, "kde_sample(X_train, h, 4) with rng left at None", shape=(4, 3))
    got = student.kde_sample(X, h, 0, seed_from(rng))
    expect_array(got, "kde_sample(X_train, h, 0): no samples", shape=(0, 3))
    one = X[:1]
    got = expect_array(student.kde_sample(one, h, 2000, seed_from(rng)),
                       "kde_sample(X_train, h, 2000) with one training row", shape=(2000, 3))
    # every sample is that row plus N(0, h² I) noise: the sample mean is within 6 standard errors
    # (6·h/sqrt(2000) per feature; P(a correct sampler fails) < 3 × 2e-9)
    err = np.abs(got.mean(0) - one[0]) / (h / np.sqrt(len(got)))
    expect(np.all(err <= 6.0), f"kde_sample with one training row {one[0].round(4).tolist()}: the "
           f"sample mean {got.mean(0).round(4).tolist()} is {err.max():.1f} standard errors from it "
           "(every sample is that row plus N(0, h² I) noise)")


@points(3)
def test_kde_sample_seed(student, rng):
    """kde_sample: the same int seed gives the same samples, another seed other samples"""
    X = rng.normal(size=(30, 3))
    h = float(rng.uniform(0.2, 1.0))
    seed, other = seed_from(rng), seed_from(rng)
    first = expect_array(student.kde_sample(X, h, 20, seed), "kde_sample(..., rng=seed)", shape=(20, 3))
    second = expect_array(student.kde_sample(X, h, 20, seed), "kde_sample(..., rng=seed), again", shape=(20, 3))
    what = (f"kde_sample(X_train, h, 20, rng={seed}) called twice (the same int seed must give the same "
            "samples: np.random.default_rng(rng))")
    if not np.array_equal(second, first):
        try:
            expect_equal(second, first, what)
        except GradingFailure as exc:
            fail(f"{exc}\nLikely mistake: the rng argument was ignored (a generator made without it, or "
                 "the global np.random): the same int seed gave other samples on a second call; draw "
                 "from np.random.default_rng(rng)")
    third = expect_array(student.kde_sample(X, h, 20, other), "kde_sample(..., rng=other seed)",
                         shape=(20, 3))
    expect(not np.array_equal(first, third),
           f"kde_sample gave identical samples for the seeds {seed} and {other}: the rng argument "
           "seems to be ignored; draw from np.random.default_rng(rng)")


def mixture_moment4(A, h):
    """E[y_j² y_k²] for y = a + h·ε, a a uniformly chosen row of A (centred), ε ~ N(0, I)."""
    sq = A**2 + h**2  # E[y_j² | a] for each row
    m4 = sq.T @ sq / len(A)  # j ≠ k: the features' noises are independent
    np.fill_diagonal(m4, np.mean(A**4 + 6 * A**2 * h**2 + 3 * h**4, axis=0))  # j = k
    return m4


Z_MAX = 6.0  # two-sided normal tail at 6 standard errors: 2.0e-9 per check


@points(8)
def test_kde_sample_moments(student, rng):
    """kde_sample: mean = data mean and covariance = data covariance (divisor n) + h² I"""
    n, d, N = 40, 2, 50_000
    rho = rng.uniform(0.3, 0.8)
    X = rng.normal(size=(n, d)) @ np.array([[1.0, 0.0], [rho, np.sqrt(1 - rho**2)]]).T
    X += rng.uniform(-5, 5, size=d)
    h = float(rng.uniform(0.5, 0.7))  # away from 1: h and h⁴ are ≥ 0.19 from h²
    Y = expect_array(student.kde_sample(X, h, N, seed_from(rng)),
                     f"kde_sample(X_train, h={h:.4f}, {N})", shape=(N, d))
    mu = X.mean(0)
    A = X - mu
    data_cov = A.T @ A / n
    C = data_cov + h**2 * np.eye(d)  # the covariance of p̂
    # Estimates around the known mean μ (unbiased): S = (1/N) Σ (y − μ)(y − μ)ᵀ.
    # Var(ȳ_j) = C_jj / N; Var(S_jk) = (E[y_j² y_k²] − C_jk²) / N, exact for p̂ (mixture_moment4).
    # 2 means + 3 covariance entries = 5 checks at |z| ≤ 6: P(a correct submission fails)
    # ≈ 5 × 2.0e-9 = 1e-8 (sums of N = 50 000 i.i.d. terms; the Edgeworth correction at this
    # N changes the tail by well under a factor 10, so < 1e-7). A wrong noise level moves a variance
    # by ≥ 0.19 (no noise: h² ≥ 0.25; std h²: h² − h⁴ ≥ 0.19; variance h: h − h² ≥ 0.21), which is
    # ≥ 15 standard errors (se ≈ 1.5·sqrt(2/N) ≈ 0.01): such a submission fails with certainty.
    mean = Y.mean(0)
    D = Y - mu
    S = D.T @ D / N
    se_mean = np.sqrt(np.diag(C) / N)
    se_cov = np.sqrt((mixture_moment4(A, h) - C**2) / N)
    what = f"kde_sample(X_train, h={h:.4f}, {N}) with X_train of shape {X.shape}"

    noise_var = np.diag(S) - np.diag(data_cov)  # the noise variance the samples show, per feature
    se_var = np.diag(se_cov)
    hints = []
    for value, message in [
        (0.0, "no noise was added: each sample is a copy of a training row; add h·N(0, I) noise"),
        (h**4, "the noise's standard deviation was h² (the variance): the kernel N(0, h² I) has "
               "standard deviation h, so add h·ε with ε ~ N(0, I)"),
        (h, "the noise's variance was h (the bandwidth used as the variance): the kernel's standard "
            "deviation is h, its variance h²"),
    ]:
        if np.all(np.abs(noise_var - value) <= Z_MAX * se_var):
            hints.append(message)
    if abs(S[0, 1] - data_cov[0, 1] - h**2) <= Z_MAX * se_cov[0, 1]:
        hints.append("the same noise value was added to every feature: draw independent N(0, 1) "
                     "noise for each feature (an (n_samples, d) array)")
    hint = "".join(f"\nLikely mistake: {m}" for m in hints)

    for j in range(d):
        z = (mean[j] - mu[j]) / se_mean[j]
        if abs(z) > Z_MAX:
            fail(f"{what}: the mean of feature {j} is {mean[j]:.5g}, expected {mu[j]:.5g} (the mean "
                 f"of the training rows) ± {se_mean[j]:.2g}; it is {abs(z):.1f} standard errors off "
                 f"(allowed: {Z_MAX:g}). Pick the training rows uniformly at random.{hint}")
    for j, k in [(0, 0), (1, 1), (0, 1)]:
        z = (S[j, k] - C[j, k]) / se_cov[j, k]
        if abs(z) > Z_MAX:
            name = f"variance of feature {j}" if j == k else "covariance of features 0 and 1"
            fail(f"{what}: the {name} of the samples is {S[j, k]:.5g}, expected {C[j, k]:.5g} "
                 f"(the training rows' {'variance' if j == k else 'covariance'} with divisor n"
                 f"{' + h²' if j == k else ''}) ± {se_cov[j, k]:.2g}; it is {abs(z):.1f} standard "
                 f"errors off (allowed: {Z_MAX:g}).{hint}")


def kde_cdf(x, centres, scale):
    """The CDF of (1/n) Σ N(centre_i, scale²) at x: the mean of the normal CDFs."""
    out = np.empty(len(x))
    for start in range(0, len(x), 10_000):
        out[start:start + 10_000] = ndtr((x[start:start + 10_000, None] - centres) / scale).mean(1)
    return out


def ks_distance(samples, cdf):
    """sup_x |F_N(x) − F(x)| of the empirical CDF of ``samples`` and a continuous CDF."""
    s = np.sort(samples)
    F = cdf(s)
    N = len(s)
    i = np.arange(1, N + 1)
    return float(max(np.max(i / N - F), np.max(F - (i - 1) / N)))


ALPHA = 1e-7


@points(7)
def test_kde_sample_distribution(student, carry, rng):
    """kde_sample in 1-D: a Kolmogorov–Smirnov test against p̂'s CDF (mean of the kernels' normal CDFs)

    Carries forward: with your own kde_sample failing its moments test (a wrong noise), the samples
    are tested against p̂ built with your own noise (check_own_kernel)."""
    n, N = 25, 100_000
    h = float(rng.uniform(0.5, 0.7))
    while True:  # two clusters; redraw in the rare case a named mistake would be hard to see
        x = np.where(rng.random(n) < 0.5, -1.75, 1.75) + 0.6 * rng.normal(size=n)
        grid = np.linspace(x.min() - 10, x.max() + 10, 20_001)
        F = kde_cdf(grid, x, h)
        far_var = np.max(np.abs(F - kde_cdf(grid, x, h**2)))  # noise std h² instead of h
        step = np.searchsorted(np.sort(x), grid, side="right") / n  # no noise at all
        far_copy = np.max(np.abs(F - step))
        if far_var > 0.02 and far_copy > 0.04:
            break
    # Dvoretzky–Kiefer–Wolfowitz (Massart's constant, valid for every N): for N samples of F,
    # P(sup|F_N − F| > eps) ≤ 2 exp(−2 N eps²). eps = sqrt(log(2/ALPHA) / (2N)) = 0.0092 for
    # N = 100 000 gives P(a correct submission fails) ≤ ALPHA = 1e-7. The named mistakes are
    # ≥ 0.02 away from F (checked above), so they pass with probability ≤ 2 exp(−2N(0.02 − eps)²)
    # < 1e-10.
    eps = float(np.sqrt(np.log(2 / ALPHA) / (2 * N)))
    Y = expect_array(student.kde_sample(x, h, N, seed_from(rng)),
                     f"kde_sample(x_train, h={h:.4f}, {N}) with a 1-D x_train", shape=(N, 1))
    y = Y[:, 0]
    dist = ks_distance(y, lambda s: kde_cdf(s, x, h))
    noise_seed = seed_from(rng)

    def compare(module):
        if module is None:
            check_distribution(x, y, h, N, dist, eps)
        else:
            check_own_kernel(module, x, y, h, N, noise_seed)

    carry.check(compare, uses={"kde_sample": "test_kde_sample_moments"})


def check_own_kernel(module, x, y, h, N, noise_seed):
    """The samples against p̂ built with your own kernel: the noise your own kde_sample adds to one
    training row (M = N draws, an empirical CDF G), p̂'s CDF then the mean of G(s − x_i).

    Dvoretzky–Kiefer–Wolfowitz on both samples: sup|F_N − F| ≤ eps and sup|G_M − G| ≤ eps, each
    with probability ≥ 1 − ALPHA/2, so a sampler drawing a row uniformly and adding its own noise
    passes except with probability ≤ ALPHA; the mean of G_M(s − x_i) is within sup|G_M − G| of F."""
    one = x[:1, None]
    noise = np.sort(expect_array(module.kde_sample(one, h, N, noise_seed),
                                 f"kde_sample(x_train[:1], h={h:.4f}, {N}) (your own noise)",
                                 shape=(N, 1))[:, 0] - one[0, 0])

    def own_cdf(s, side):
        return np.mean([np.searchsorted(noise, s - xi, side=side) for xi in x], axis=0) / N

    # both CDFs are step functions (ties allowed): the largest gap is at a sample, from the right
    # or from the left (between two samples F_N is constant and the other CDF monotone)
    ys = np.sort(y)
    at = np.unique(ys)
    dist = float(max(np.max(np.abs(np.searchsorted(ys, at, side=side) / len(ys) - own_cdf(at, side)))
                     for side in ("right", "left")))
    eps = 2 * float(np.sqrt(np.log(4 / ALPHA) / (2 * N)))
    if dist > eps:
        fail(f"kde_sample(x_train, h={h:.4f}, {N}): the samples do not follow p̂ with your own kernel (the "
             f"noise your kde_sample adds to one training row): the largest gap between their CDFs is "
             f"{dist:.4f} (allowed {eps:.4f}); pick a training value uniformly, then add the noise.")


def check_distribution(x, y, h, N, dist, eps):
    if dist <= eps:
        return
    hints = []
    if np.all(np.isin(y, x)):
        hints.append("every sample is a training value: no noise was added; add h·N(0, 1) noise")
    for scale, message in [
        (h**2, "the noise's standard deviation was h² (the variance); it is h"),
        (np.sqrt(h), "the noise's variance was h (the bandwidth used as the variance); it is h²"),
    ]:
        if ks_distance(y, lambda s, scale=scale: kde_cdf(s, x, scale)) <= eps:
            hints.append(message)
    var_pooled = np.var(x) + h**2
    if ks_distance(y, lambda s: ndtr((s - x.mean()) / np.sqrt(var_pooled))) <= eps:
        hints.append("the samples follow one Gaussian with p̂'s mean and variance; p̂ is a mixture: "
                     "pick a training value uniformly, then add N(0, h²) noise")
    fail(f"kde_sample(x_train, h={h:.4f}, {N}): the samples do not follow p̂. The largest gap between "
         f"their empirical CDF and p̂'s CDF (the mean of Φ((x − x_i)/h)) is {dist:.4f}; a correct "
         f"sampler stays below {eps:.4f} except with probability {ALPHA:g} (Kolmogorov–Smirnov, "
         f"DKW bound)." + "".join(f"\nLikely mistake: {m}" for m in hints))
