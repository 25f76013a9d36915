# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Maximum likelihood estimation
#
# Given samples $x_1, \dots, x_n$ drawn independently from a density $p(x; \theta)$, the
# **likelihood** of the parameters is the probability density of the whole sample,
# $L(\theta) = \prod_i p(x_i; \theta)$, and the **log-likelihood** is its logarithm
#
# $$\ell(\theta) = \sum_{i=1}^n \log p(x_i; \theta).$$
#
# The maximum likelihood estimate (MLE) is $\hat\theta = \arg\max_\theta \ell(\theta)$. For every
# model in this notebook the maximiser has a closed form: set the gradient of $\ell$ to zero.
#
# You write the estimators in **`mle.py`** (every function that raises `NotImplementedError`);
# this notebook calls your module and draws what your estimates look like. Run it top to
# bottom after each function you write: the first cell that fails names the function to
# write next. `README.md` has the formulas and the conventions (shapes, floats, divisor $n$).

# %%
# %load_ext autoreload
# %autoreload 2
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.patches import Ellipse
from scipy.special import gammaln, logsumexp

import mle  # your module, in this folder (reloaded automatically when you edit it)

rng = np.random.default_rng(20240917)
plt.rcParams.update({"figure.figsize": (7.5, 4.0), "axes.grid": True, "grid.alpha": 0.3})

# %% [markdown]
# ## 1. The Bernoulli model
#
# A coin shows heads ($x = 1$) with probability $\theta$. For $n$ flips,
#
# $$\ell(\theta) = \sum_i \big[x_i \log\theta + (1 - x_i)\log(1 - \theta)\big],
# \qquad \frac{d\ell}{d\theta} = \frac{\sum_i x_i}{\theta} - \frac{n - \sum_i x_i}{1 - \theta} = 0
# \iff \hat\theta = \frac{1}{n}\sum_i x_i .$$
#
# At $\theta = 0$ or $1$ one of the logs is $\log 0 = -\infty$, multiplied by a count that may be
# zero: with the convention $0 \cdot \log 0 = 0$ the log-likelihood is $0$ when every flip was
# certain and $-\infty$ only when a flip was impossible. Below: the log-likelihood of 50 flips of a
# coin with $\theta = 0.3$, and its maximum.

# %%
flips = rng.binomial(1, 0.3, size=50)
theta_hat = mle.bernoulli_mle(flips)
thetas = np.linspace(0.0, 1.0, 401)
ll = np.array([mle.bernoulli_log_likelihood(flips, t) for t in thetas])

fig, ax = plt.subplots()
ax.plot(thetas, ll, label=r"$\ell(\theta)$")
ax.axvline(theta_hat, color="C3", ls="--", label=rf"MLE $\hat\theta$ = {theta_hat:.2f}")
ax.axvline(0.3, color="k", ls=":", label=r"true $\theta$ = 0.3")
ax.set_ylim(ll.max() - 40, ll.max() + 3)
ax.set_xlabel(r"$\theta$")
ax.set_ylabel("log-likelihood")
ax.set_title(f"{flips.sum()} heads in {flips.size} flips")
ax.legend()
plt.show()
print("log-likelihood at theta = 0 and 1:", ll[0], ll[-1])

# %% autograde="bernoulli"

# %% [markdown]
# ## 2. The Gaussian in one dimension
#
# $$\ell(\mu, \sigma^2) = -\frac{n}{2}\log(2\pi\sigma^2) - \frac{1}{2\sigma^2}\sum_i (x_i - \mu)^2 ,
# \qquad \hat\mu = \frac1n \sum_i x_i, \qquad \hat\sigma^2 = \frac1n\sum_i (x_i - \hat\mu)^2 .$$
#
# First the fitted density over a histogram of the samples. The log-likelihood of a single point
# is its log-density, so your `gaussian_log_likelihood` draws the curve.

# %%
x = rng.normal(loc=2.0, scale=1.5, size=200)
mu_hat, var_hat = mle.gaussian_mle(x)
grid = np.linspace(x.min() - 2, x.max() + 2, 300)
density = np.exp([mle.gaussian_log_likelihood([g], mu_hat, var_hat) for g in grid])

fig, ax = plt.subplots()
ax.hist(x, bins=20, density=True, alpha=0.4, label=f"{x.size} samples")
ax.plot(grid, density, color="C3", lw=2,
        label=rf"$\mathcal{{N}}(\hat\mu = {mu_hat:.2f},\ \hat\sigma^2 = {var_hat:.2f})$")
ax.plot(x, np.zeros_like(x), "|", color="k", ms=12)
ax.set_xlabel("x")
ax.set_ylabel("density")
ax.legend()
plt.show()

# %% [markdown]
# The log-likelihood is a function of both parameters. Over a grid of $(\mu, \sigma^2)$ its
# contours show a single maximum at the MLE. For a small sample (the first 8 points) the unbiased
# variance $s^2 = \frac{1}{n-1}\sum_i (x_i - \hat\mu)^2$ sits visibly above it, on the same
# vertical line: it is *not* the maximiser.

# %%
x_small = x[:8]
mu_s, var_s = mle.gaussian_mle(x_small)
mus = np.linspace(mu_s - 2.0, mu_s + 2.0, 90)
variances = np.linspace(0.2 * var_s, 3.5 * var_s, 90)
surface = np.array([[mle.gaussian_log_likelihood(x_small, m, v) for m in mus] for v in variances])
s2 = var_s * x_small.size / (x_small.size - 1)

fig, ax = plt.subplots(figsize=(7.5, 5))
shown = np.maximum(surface, surface.max() - 30)  # the last 30 nats below the maximum
cs = ax.contourf(mus, variances, shown, levels=30, cmap="viridis")
ax.contour(mus, variances, surface, levels=surface.max() - np.array([8.0, 4.0, 2.0, 0.5]), colors="w",
           linewidths=0.8)
fig.colorbar(cs, label=r"$\ell(\mu, \sigma^2)$")
ax.plot(mu_s, var_s, "r*", ms=15, label=r"MLE $(\hat\mu, \hat\sigma^2)$")
ax.plot(mu_s, s2, "wo", mfc="none", ms=10, label=r"$(\hat\mu, s^2)$ with divisor $n-1$")
ax.set_title(f"log-likelihood of {x_small.size} samples")
ax.set_xlabel(r"$\mu$")
ax.set_ylabel(r"$\sigma^2$")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# **Question 1.** The MLE of the variance divides by $n$, while `np.var(x, ddof=1)` and most
# statistics courses divide by $n - 1$. Why does the maximum of the likelihood land on the divisor
# $n$ (what do you get when you set $\partial\ell/\partial\sigma^2 = 0$)? Is the MLE biased, and
# does the difference matter for $n = 5$ and for $n = 5000$? Answer in a few sentences in the
# cell below.

# %% [markdown] answer="divide_by_n" points=5
# Setting $\partial\ell/\partial\sigma^2 = -\frac{n}{2\sigma^2} + \frac{1}{2\sigma^4}\sum_i(x_i-\mu)^2
# = 0$ gives $\sigma^2 = \frac1n\sum_i (x_i - \mu)^2$, and the likelihood is maximised jointly at
# $\mu = \hat\mu$, so the MLE divides by $n$: it is the variance that makes the *observed* sample
# most probable. It is biased: because $\hat\mu$ is fitted to the same data, the deviations from
# $\hat\mu$ are smaller than those from the true mean, and $E[\hat\sigma^2] = \frac{n-1}{n}\sigma^2$;
# dividing by $n - 1$ (Bessel's correction) removes that bias, but it is not the maximiser of the
# likelihood. The ratio is $(n-1)/n$: 20 % for $n = 5$, 0.02 % for $n = 5000$ — negligible with
# a lot of data, and the MLE is consistent either way.

# %% autograde="gaussian"

# %% [markdown]
# ## 3. The multivariate Gaussian
#
# In $d$ dimensions,
#
# $$\log \mathcal N(x; \mu, \Sigma) = -\tfrac12\big[d \log(2\pi) + \log\det\Sigma + (x - \mu)^\top
# \Sigma^{-1}(x - \mu)\big], \qquad \hat\mu = \frac1n\sum_i x_i, \qquad
# \hat\Sigma = \frac1n\sum_i (x_i - \hat\mu)(x_i - \hat\mu)^\top .$$
#
# The covariance is an ellipse: its axes point along the eigenvectors of $\Sigma$, with half-lengths
# $k\sqrt{\lambda_j}$ at $k$ standard deviations. Below, 300 correlated samples, the fitted ellipses
# at 1, 2 and 3 standard deviations (solid), the true ones (dotted), and the contours of your
# `mvn_logpdf` — they must be the same ellipses.

# %%
def cov_ellipse(ax, mean, cov, n_std=(1, 2, 3), **kwargs):
    """Draw the ellipses {x : (x - mean)^T cov^{-1} (x - mean) = k^2} for k in n_std."""
    eigval, eigvec = np.linalg.eigh(np.asarray(cov))
    angle = np.degrees(np.arctan2(eigvec[1, -1], eigvec[0, -1]))
    for k in n_std:
        width, height = 2 * k * np.sqrt(eigval[::-1])
        ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, **kwargs))


true_mean = np.array([1.0, -0.5])
true_cov = np.array([[2.0, 1.2], [1.2, 1.0]])
X = rng.multivariate_normal(true_mean, true_cov, size=300)
mean_hat, cov_hat = mle.mvn_mle(X)

g0, g1 = np.meshgrid(np.linspace(-4, 6, 150), np.linspace(-4, 3, 120))
logpdf = mle.mvn_logpdf(np.column_stack([g0.ravel(), g1.ravel()]), mean_hat, cov_hat).reshape(g0.shape)

fig, ax = plt.subplots(figsize=(7.5, 5.5))
ax.contourf(g0, g1, logpdf, levels=np.linspace(logpdf.max() - 12, logpdf.max(), 13), cmap="Blues", alpha=0.7)
ax.scatter(*X.T, s=8, color="k", alpha=0.6, label="samples")
cov_ellipse(ax, mean_hat, cov_hat, color="C3", lw=2)
cov_ellipse(ax, true_mean, true_cov, color="k", ls=":", lw=1.5)
ax.plot(*mean_hat, "r*", ms=14, label=r"$\hat\mu$")
ax.set_aspect("equal")
ax.set_xlim(-4, 6)
ax.set_ylim(-4, 3)
ax.set_title(r"fitted $\hat\Sigma$ (red, 1–3 sd), true $\Sigma$ (dotted), log-density (shaded)")
ax.legend(loc="lower right")
plt.show()
print("estimated covariance:\n", np.round(cov_hat, 3))

# %% [markdown]
# In high dimension the determinant of a covariance over- or underflows long before its logarithm
# does, and inverting $\Sigma$ loses accuracy. With the Cholesky factor $\Sigma = LL^\top$,
# $\log\det\Sigma = 2\sum_j \log L_{jj}$ and the quadratic form is $\lVert L^{-1}(x - \mu)\rVert^2$
# (a triangular solve): both stay exact. In $d = 200$:

# %%
d = 200
A = rng.normal(size=(d, d))
cov_big = 40.0 * (A @ A.T / d + np.eye(d))
X_big = rng.multivariate_normal(np.zeros(d), cov_big, size=3)
with np.errstate(all="ignore"):
    naive_det = np.linalg.det(cov_big)
print(f"det(Σ) computed directly: {naive_det}   (log det from slogdet: {np.linalg.slogdet(cov_big)[1]:.1f})")
print("your mvn_logpdf:", mle.mvn_logpdf(X_big, np.zeros(d), cov_big))

# %% autograde="mvn"

# %% [markdown]
# ## 4. The spherical Gaussian
#
# A spherical Gaussian $\mathcal N(\mu, \sigma^2 I)$ has a single variance shared by all $d$
# features: $d + 1$ parameters instead of $d + d(d+1)/2$. Its MLE averages the squared deviations
# over all $n d$ entries,
#
# $$\hat\sigma^2 = \frac{1}{n d}\sum_i \lVert x_i - \hat\mu\rVert^2, \qquad
# \ell = -\frac{n d}{2}\log(2\pi\sigma^2) - \frac{1}{2\sigma^2}\sum_i \lVert x_i - \mu\rVert^2 .$$
#
# On the correlated data above, the spherical fit (left) can only draw circles; the full fit
# (right) follows the correlation and reaches a higher log-likelihood — with more parameters.

# %%
mean_sph, var_sph = mle.spherical_mle(X)
ll_sph = mle.spherical_log_likelihood(X, mean_sph, var_sph)
ll_full = float(np.sum(mle.mvn_logpdf(X, mean_hat, cov_hat)))

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True, sharey=True)
for ax, cov, title in [(axes[0], var_sph * np.eye(2), f"spherical: 3 parameters, ℓ = {ll_sph:.1f}"),
                       (axes[1], cov_hat, f"full: 5 parameters, ℓ = {ll_full:.1f}")]:
    ax.scatter(*X.T, s=8, color="k", alpha=0.5)
    cov_ellipse(ax, mean_hat, cov, color="C3", lw=2)
    ax.set_title(title)
    ax.set_aspect("equal")
axes[0].set_xlim(-4, 6)
axes[0].set_ylim(-4, 3)
plt.show()

# %% autograde="spherical"

# %% [markdown]
# ## 5. A Gaussian mixture whose labels are known
#
# When every sample comes with the component $z_i$ that generated it, the log-likelihood of
# $(x_i, z_i)$ splits into one term per component, and each component is fitted on its own
# samples: with $n_k = |\{i : z_i = k\}|$,
#
# $$\pi_k = \frac{n_k}{n}, \qquad \mu_k = \frac{1}{n_k}\sum_{i: z_i = k} x_i, \qquad
# \Sigma_k = \frac{1}{n_k}\sum_{i: z_i = k}(x_i - \mu_k)(x_i - \mu_k)^\top .$$
#
# This is the M-step of EM (the `gmm` assignment) with hard, known responsibilities.

# %%
centres = np.array([[0.0, 0.0], [4.0, 3.0], [-3.0, 4.0]])
covs = np.array([[[1.0, 0.6], [0.6, 1.0]], [[1.5, -0.7], [-0.7, 0.8]], [[0.5, 0.0], [0.0, 2.0]]])
z = rng.choice(3, size=450, p=[0.5, 0.3, 0.2])
X_mix = np.array([rng.multivariate_normal(centres[k], covs[k]) for k in z])
weights, means, covariances = mle.labeled_mixture_mle(X_mix, z, 3)

fig, ax = plt.subplots(figsize=(7.5, 5.5))
for k in range(3):
    ax.scatter(*X_mix[z == k].T, s=8, color=f"C{k}", alpha=0.6, label=rf"$\pi_{k}$ = {weights[k]:.2f}")
    cov_ellipse(ax, means[k], covariances[k], n_std=(1, 2), color=f"C{k}", lw=2)
ax.set_aspect("equal")
ax.set_title("each component fitted on its own samples")
ax.legend()
plt.show()

# %% [markdown]
# Forget the labels: the density of the mixture is $p(x) = \sum_k \pi_k \mathcal N(x; \mu_k,
# \Sigma_k)$, and in log space
#
# $$\log p(x) = \log\sum_k \exp\big(\log\pi_k + \log\mathcal N(x; \mu_k, \Sigma_k)\big)
# = \operatorname{logsumexp}_k\big(\log\pi_k + \log\mathcal N(x; \mu_k, \Sigma_k)\big).$$
#
# Below: its contours, computed from your `mvn_logpdf` and `scipy.special.logsumexp`; and what
# happens far from the data when the sum is computed as written, `log(sum(exp(...)))`.

# %%
g0, g1 = np.meshgrid(np.linspace(-7, 9, 160), np.linspace(-5, 9, 140))
grid_points = np.column_stack([g0.ravel(), g1.ravel()])
log_terms = np.stack([np.log(weights[k]) + mle.mvn_logpdf(grid_points, means[k], covariances[k])
                      for k in range(3)], axis=1)          # (n_points, K)
log_p = logsumexp(log_terms, axis=1).reshape(g0.shape)

fig, ax = plt.subplots(figsize=(7.5, 5.5))
cs = ax.contour(g0, g1, log_p, levels=np.linspace(log_p.max() - 10, log_p.max(), 11), cmap="viridis")
ax.clabel(cs, fontsize=7, fmt="%.0f")
ax.scatter(*X_mix.T, s=4, color="k", alpha=0.3)
ax.set_aspect("equal")
ax.set_title(r"$\log p(x)$ of the mixture (log-sum-exp)")
plt.show()

far = np.array([[60.0, -50.0]])
far_terms = np.array([np.log(weights[k]) + mle.mvn_logpdf(far, means[k], covariances[k])[0]
                      for k in range(3)])
with np.errstate(divide="ignore"):
    naive = np.log(np.sum(np.exp(far_terms)))
print("log pi_k + log N(x; mu_k, Sigma_k) at x = (60, -50):", np.round(far_terms, 1))
print("log(sum(exp(...))):", naive, "   logsumexp(...):", logsumexp(far_terms))

# %% [markdown]
# **Question 2.** Why do we compute $\log p(x)$ with log-sum-exp, $\log\sum_k e^{a_k} = a^* +
# \log\sum_k e^{a_k - a^*}$ with $a^* = \max_k a_k$, instead of `np.log(np.sum(np.exp(a)))`? What goes
# wrong in the last cell, why does the shift by $a^*$ fix it, and why does it not change the
# result? Where else in density estimation does the same problem appear?

# %% [markdown] answer="logsumexp" points=5
# Each term $a_k = \log\pi_k + \log\mathcal N(x;\mu_k,\Sigma_k)$ can be very negative (here about
# $-10^3$; in high dimension routinely $-10^4$), and $e^{a_k}$ underflows to exactly 0 in floating
# point below about $e^{-745}$; the sum is 0 and its log $-\infty$, although the true value is a
# perfectly ordinary number. Large positive values overflow to inf the same way. Since
# $\sum_k e^{a_k} = e^{a^*}\sum_k e^{a_k - a^*}$, the identity is exact; after the shift the largest
# term is $e^0 = 1$, so the sum lies in $[1, K]$ and its log is accurate, and the terms that do
# underflow are negligible against it. The same problem appears whenever densities are multiplied
# or summed: the likelihood of many samples (hence sums of log-densities), the E-step
# responsibilities of EM, the log-likelihood of a mixture, KDE's average of kernels, and Bernoulli
# mixtures on 784 pixels.

# %% autograde="labeled_mixture"

# %% [markdown]
# ## 6. Maximum likelihood minimises the KL divergence
#
# The Kullback–Leibler divergence of a model $q$ from the distribution $p$ of the data is
#
# $$\mathrm{KL}(p \,\|\, q) = \mathbb E_{x \sim p}\big[\log p(x) - \log q(x)\big]
# = \underbrace{\mathbb E_p[\log p(x)]}_{\text{does not depend on } q} - \mathbb E_p[\log q(x)] \;\ge 0,$$
#
# zero only for $q = p$, and not symmetric. We cannot compute $\mathbb E_p$, but we have samples
# $x_1, \dots, x_n$ from $p$, and the **Monte-Carlo estimate** replaces the expectation by the mean
# over the samples:
#
# $$\mathrm{KL}(p \,\|\, q) \approx \frac1n \sum_i \big[\log p(x_i) - \log q(x_i)\big]
# = \text{const} - \frac1n\,\ell(q).$$
#
# Up to a constant this is minus the average log-likelihood: **the maximum likelihood estimate is
# the model that minimises the (estimated) KL divergence from the data.** Between two Gaussians the
# expectation has a closed form, which your `gaussian_kl` computes:
#
# $$\mathrm{KL}\big(\mathcal N(\mu_p, \Sigma_p) \,\|\, \mathcal N(\mu_q, \Sigma_q)\big) = \tfrac12\Big[
# \operatorname{tr}(\Sigma_q^{-1}\Sigma_p) + (\mu_q - \mu_p)^\top\Sigma_q^{-1}(\mu_q - \mu_p) - d
# + \log\det\Sigma_q - \log\det\Sigma_p\Big].$$
#
# First the Monte-Carlo estimate itself: `monte_carlo_kl` of more and more samples from $p$ (two
# Gaussians in 2-D, the log-densities from your `mvn_logpdf`) against the closed form, with the
# band $\pm 2\,\mathrm{sd}/\sqrt n$ in which it should end up.

# %%
mean_p, cov_p = np.array([0.0, 0.0]), np.array([[1.0, 0.5], [0.5, 1.5]])
mean_q, cov_q = np.array([1.0, -0.5]), np.array([[2.0, -0.3], [-0.3, 0.8]])
exact = mle.gaussian_kl(mean_p, cov_p, mean_q, cov_q)

sizes = np.unique(np.geomspace(10, 100_000, 25).astype(int))
samples = rng.multivariate_normal(mean_p, cov_p, size=sizes[-1])
log_p_all = mle.mvn_logpdf(samples, mean_p, cov_p)
log_q_all = mle.mvn_logpdf(samples, mean_q, cov_q)
estimates = [mle.monte_carlo_kl(log_p_all[:n], log_q_all[:n]) for n in sizes]
sd = np.std(log_p_all - log_q_all)

fig, ax = plt.subplots()
ax.plot(sizes, estimates, "o-", ms=4, label="monte_carlo_kl of the first n samples")
ax.axhline(exact, color="k", ls="--", label=f"gaussian_kl (closed form) = {exact:.4f}")
ax.fill_between(sizes, exact - 2 * sd / np.sqrt(sizes), exact + 2 * sd / np.sqrt(sizes), color="C0",
                alpha=0.15, label="± 2 sd/√n")
ax.set_xscale("log")
ax.set_xlabel("number of samples n from p")
ax.set_ylabel("KL(p ‖ q)")
ax.set_title("the Monte-Carlo estimate converges to the closed form")
ax.legend()
plt.show()
print("KL(p || q) =", exact, "  KL(q || p) =", mle.gaussian_kl(mean_q, cov_q, mean_p, cov_p), "(not symmetric)")

# %% [markdown]
# Now the claim. The data come from a Gamma distribution — not a Gaussian — whose log-density we
# know. Over a grid of Gaussians $q = \mathcal N(\mu, \sigma^2)$, the estimated
# $\mathrm{KL}(p \,\|\, q)$ is smallest exactly at the maximum likelihood fit $(\hat\mu, \hat\sigma^2)$
# of `gaussian_mle`, whatever the sample (the hidden tests check this with your functions).

# %%
k_shape, theta = 2.0, 1.5
x_gamma = rng.gamma(k_shape, theta, size=500)
log_p_gamma = (k_shape - 1) * np.log(x_gamma) - x_gamma / theta - gammaln(k_shape) - k_shape * np.log(theta)
mu_g, var_g = mle.gaussian_mle(x_gamma)
mus = mu_g + np.sqrt(var_g) * np.linspace(-0.6, 0.6, 31)
variances = var_g * np.linspace(0.55, 1.45, 31)
kl_grid = np.array([[mle.monte_carlo_kl(log_p_gamma, mle.mvn_logpdf(x_gamma, [m], [[v]])) for m in mus]
                    for v in variances])
i, j = np.unravel_index(np.argmin(kl_grid), kl_grid.shape)

fig, ax = plt.subplots(figsize=(7.5, 5))
cs = ax.contourf(mus, variances, kl_grid, levels=30, cmap="viridis_r")
fig.colorbar(cs, label="monte_carlo_kl(p ‖ N(μ, σ²))")
ax.plot(mu_g, var_g, "r*", ms=15, label=r"MLE $(\hat\mu, \hat\sigma^2)$ from gaussian_mle")
ax.plot(mus[j], variances[i], "wo", mfc="none", ms=12, label="smallest value on the grid")
ax.set_xlabel(r"$\mu$")
ax.set_ylabel(r"$\sigma^2$")
ax.set_title(f"{x_gamma.size} samples from Gamma({k_shape:g}, {theta:g})")
ax.legend(loc="upper right")
plt.show()
print(f"MLE: ({mu_g:.3f}, {var_g:.3f});  grid minimum: ({mus[j]:.3f}, {variances[i]:.3f})")

# %% [markdown]
# Last, how close does maximum likelihood get to the truth? Draw $n$ samples from
# $p = \mathcal N(\mu, \Sigma)$ in $d = 3$, fit $\hat p_n$ with `mvn_mle`, and measure
# $\mathrm{KL}(p \,\|\, \hat p_n)$ with `gaussian_kl` (the mean over 30 repetitions). It falls like
# $k / (2n)$, with $k = d + d(d+1)/2 = 9$ the number of parameters; the other direction,
# $\mathrm{KL}(\hat p_n \,\|\, p)$, is smaller for small $n$ (a fitted covariance is too narrow on
# average) and the two meet as $n$ grows.

# %%
d3 = 3
true_mean, true_cov = np.array([1.0, 0.0, -1.0]), np.array([[2.0, 0.6, 0.2], [0.6, 1.0, 0.3], [0.2, 0.3, 0.5]])
n_values = np.array([10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000])
kl_forward, kl_backward = [], []
for n in n_values:
    fits = [mle.mvn_mle(rng.multivariate_normal(true_mean, true_cov, size=n)) for _ in range(30)]
    kl_forward.append(np.mean([mle.gaussian_kl(true_mean, true_cov, m, c) for m, c in fits]))
    kl_backward.append(np.mean([mle.gaussian_kl(m, c, true_mean, true_cov) for m, c in fits]))
n_params = d3 + d3 * (d3 + 1) // 2

fig, ax = plt.subplots()
ax.loglog(n_values, kl_forward, "o-", label="KL(p ‖ fitted)")
ax.loglog(n_values, kl_backward, "s-", label="KL(fitted ‖ p)")
ax.loglog(n_values, n_params / (2 * n_values), "k--", label=rf"$k/(2n)$, $k$ = {n_params}")
ax.set_xlabel("sample size n")
ax.set_ylabel("KL divergence (mean of 30 fits)")
ax.set_title("maximum likelihood fits approach the truth")
ax.legend()
plt.show()

# %% autograde="kl"

# %% [markdown]
# ## What you have now
#
# Closed-form maximum likelihood for the Bernoulli, the Gaussian in one and $d$ dimensions
# (full and spherical covariance), and a mixture whose labels are known — all computed in log
# space — and the reason it works: maximising the average log-likelihood minimises the KL
# divergence from the data. When the labels are *not* known, the mixture's MLE has no closed
# form; the EM algorithm of the `gmm` assignment alternates between guessing soft labels and the
# fit of section 5.
