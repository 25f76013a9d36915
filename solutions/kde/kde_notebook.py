# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Kernel density estimation
#
# A parametric model (a Gaussian, a mixture) fixes the shape of the density and fits a few
# parameters. A **kernel density estimate** (KDE) lets the data speak: it puts a small Gaussian
# "bump" of width $h$ on every training point $x_1, \dots, x_n \in \mathbb R^d$ and averages them,
#
# $$\hat p_h(x) = \frac1n \sum_{i=1}^n \mathcal N(x; x_i, h^2 I)
# = \frac1n \sum_{i=1}^n (2\pi h^2)^{-d/2} \exp\Big(-\frac{\lVert x - x_i\rVert^2}{2h^2}\Big).$$
#
# Everything hinges on the **bandwidth** $h$. In log space, with log-sum-exp,
#
# $$\log \hat p_h(x) = \operatorname{logsumexp}_i\Big(-\frac{\lVert x - x_i\rVert^2}{2h^2}\Big)
# - \log n - \frac d2 \log(2\pi h^2).$$
#
# You write the estimator in **`kde.py`**; this notebook calls it. Run it top to bottom after each
# function you write: the first cell that fails names the function to write next.

# %%
# %load_ext autoreload
# %autoreload 2
import sys
from pathlib import Path

import numpy as np
import matplotlib.pyplot as plt

# the course's data: datasets/ next to this notebook, or at the root of the course kit
here = Path.cwd().resolve()
home = next((p for p in [here, *here.parents] if (p / "datasets" / "__init__.py").exists()), None)
if home is None:
    raise FileNotFoundError("datasets/ not found: keep this notebook in its assignment folder")
if str(home) not in sys.path:
    sys.path.append(str(home))
from datasets import load_old_faithful

import kde  # your module, in this folder (reloaded automatically when you edit it)

rng = np.random.default_rng(20240917)
plt.rcParams.update({"figure.figsize": (7.5, 4.0), "axes.grid": True, "grid.alpha": 0.3})

faithful = load_old_faithful()            # (272, 2): eruption duration, waiting time (minutes)
waiting = faithful[:, 1]
print(faithful.shape, "waiting times from", waiting.min(), "to", waiting.max(), "minutes")

# %% [markdown]
# ## 1. One data set, several bandwidths
#
# The waiting time between two eruptions of Old Faithful is bimodal: short after a short eruption,
# long after a long one. A tiny $h$ puts a spike on every observation (**undersmoothing**: high
# variance); a huge $h$ blurs the two modes into one (**oversmoothing**: high bias).

# %%
grid = np.linspace(35, 105, 400)
fig, ax = plt.subplots(figsize=(8.5, 4.5))
ax.hist(waiting, bins=30, density=True, color="0.85", label="histogram")
for h, color in [(0.6, "C0"), (2.5, "C2"), (5.0, "C1"), (12.0, "C3")]:
    ax.plot(grid, np.exp(kde.gaussian_kde_logpdf(waiting, grid, h)), color=color, lw=2, label=f"h = {h:g}")
ax.plot(waiting, np.full_like(waiting, -0.002), "|", color="k", ms=8)
ax.set_xlabel("waiting time (minutes)")
ax.set_ylabel("density")
ax.set_title("Old Faithful: the same data under four bandwidths")
ax.legend()
plt.show()

# %% [markdown]
# Log space matters: far from every training point each kernel underflows to 0, yet the
# log-density is a perfectly finite (very negative) number.

# %%
far = np.array([500.0])
with np.errstate(divide="ignore"):
    naive = np.log(np.mean(np.exp(-(far[0] - waiting) ** 2 / (2 * 2.5**2)) / np.sqrt(2 * np.pi * 2.5**2)))
print("log p(500 minutes), computed naively:", naive)
print("log p(500 minutes), with your gaussian_kde_logpdf:", kde.gaussian_kde_logpdf(waiting, far, 2.5)[0])

# %% autograde="density" public="logpdf"

# %% [markdown]
# ## 2. Rules of thumb
#
# If the data were Gaussian with standard deviation $\sigma$, the bandwidth minimising the mean
# integrated squared error has a closed form. Scott's and Silverman's rules plug in the sample
# standard deviation $\bar\sigma$ (averaged over features, divisor $n - 1$):
#
# $$h_{\text{Scott}} = \bar\sigma\, n^{-1/(d+4)}, \qquad
# h_{\text{Silverman}} = \bar\sigma \Big(\frac{n(d+2)}{4}\Big)^{-1/(d+4)}.$$
#
# They are fast and sensible for unimodal data. Old Faithful is not Gaussian: its standard
# deviation is inflated by the gap between the modes, and both rules oversmooth.

# %%
h_scott = kde.scott_bandwidth(waiting)
h_silverman = kde.silverman_bandwidth(waiting)
fig, ax = plt.subplots(figsize=(8.5, 4.5))
ax.hist(waiting, bins=30, density=True, color="0.85")
for h, name, color in [(h_scott, "Scott", "C1"), (h_silverman, "Silverman", "C4")]:
    ax.plot(grid, np.exp(kde.gaussian_kde_logpdf(waiting, grid, h)), color=color, lw=2,
            label=f"{name}: h = {h:.2f}")
ax.set_xlabel("waiting time (minutes)")
ax.set_ylabel("density")
ax.legend()
plt.show()

# %% autograde="rule_of_thumb" public="scott or silverman"

# %% [markdown]
# ## 3. Choosing $h$ by leave-one-out likelihood
#
# Why not maximise the likelihood of the data over $h$? Because $h \to 0$ puts an infinitely tall
# spike on every training point: the in-sample log-likelihood grows without bound. Scoring each
# point by the density estimated from the **other** $n - 1$ points fixes that:
#
# $$\mathrm{LOO}(h) = \frac1n \sum_{i=1}^n \log\Big[\frac{1}{n-1}\sum_{j \ne i}
# \mathcal N(x_i; x_j, h^2 I)\Big], \qquad \hat h = \arg\max_h \mathrm{LOO}(h).$$

# %%
bandwidths = np.geomspace(1.0, 20, 40)
loo = np.array([kde.loo_log_likelihood(waiting, h) for h in bandwidths])
in_sample = np.array([kde.gaussian_kde_logpdf(waiting, waiting, h).mean() for h in bandwidths])
h_loo = kde.select_bandwidth(waiting, bandwidths)

fig, ax = plt.subplots(figsize=(8.5, 4.5))
ax.semilogx(bandwidths, loo, "o-", ms=3, label="leave-one-out")
ax.semilogx(bandwidths, in_sample, "--", color="0.5", label="in-sample (rewards h → 0)")
ax.axvline(h_loo, color="C3", lw=2, label=f"selected h = {h_loo:.2f}")
ax.axvline(h_scott, color="C1", ls=":", label=f"Scott h = {h_scott:.2f}")
ax.axvline(h_silverman, color="C4", ls=":", label=f"Silverman h = {h_silverman:.2f}")
ax.set_ylim(loo.max() - 0.5, loo.max() + 0.25)
ax.set_xlabel("bandwidth h (minutes)")
ax.set_ylabel("mean log-likelihood")
ax.legend(fontsize=8)
plt.show()

fig, ax = plt.subplots(figsize=(8.5, 4.0))
ax.hist(waiting, bins=30, density=True, color="0.85")
for h, name, color in [(h_loo, "leave-one-out", "C3"), (h_scott, "Scott", "C1")]:
    ax.plot(grid, np.exp(kde.gaussian_kde_logpdf(waiting, grid, h)), color=color, lw=2,
            label=f"{name}: h = {h:.2f}")
ax.set_xlabel("waiting time (minutes)")
ax.legend()
plt.show()

# %% autograde="selection" public="loo or select_bandwidth"

# %% [markdown]
# ## 4. Two dimensions, and sampling from the estimate
#
# In $d$ dimensions the same estimator uses one bandwidth for every feature, so the features
# should be on comparable scales: we standardise both columns. Drawing from $\hat p_h$ is easy
# because it is a mixture of $n$ equally weighted Gaussians: pick a training point uniformly at
# random and add $\mathcal N(0, h^2 I)$ noise.

# %%
X = load_old_faithful(standardize=True)
h2 = kde.select_bandwidth(X, np.geomspace(0.05, 1.5, 30))
g0, g1 = np.meshgrid(np.linspace(-2.5, 2.5, 120), np.linspace(-2.8, 2.8, 120))
log_density = kde.gaussian_kde_logpdf(X, np.column_stack([g0.ravel(), g1.ravel()]), h2).reshape(g0.shape)
samples = kde.kde_sample(X, h2, 600, rng=rng)

fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharex=True, sharey=True)
axes[0].contourf(g0, g1, np.exp(log_density), levels=15, cmap="Blues")
axes[0].scatter(*X.T, s=6, color="k")
axes[0].set_title(f"KDE of standardised Old Faithful, h = {h2:.2f} (leave-one-out)")
axes[1].scatter(*samples.T, s=6, color="C3", alpha=0.6, label="600 samples from the KDE")
axes[1].scatter(*X.T, s=6, color="k", label="the 272 observations")
axes[1].set_title("samples drawn from the estimate")
axes[1].legend(loc="lower right")
for ax in axes:
    ax.set_xlabel("eruption duration (standardised)")
axes[0].set_ylabel("waiting time (standardised)")
plt.show()

# %% autograde="simulation" public="kde_sample"

# %% [markdown]
# ## 5. The curse of dimensionality
#
# Draw $n$ points from a standard Gaussian in $d$ dimensions, fit a KDE (bandwidth chosen by
# leave-one-out) and score fresh test points. The gap between the true mean log-density and the
# KDE's, **per dimension**, measures how much the estimate misses. With the same $n$ it grows
# with $d$, and more data helps less and less.

# %%
dims = [1, 2, 4, 8, 16]
gaps = {}
for n in (250, 1000):
    gaps[n] = []
    for d in dims:
        train = rng.standard_normal((n, d))
        test = rng.standard_normal((1000, d))
        h = kde.select_bandwidth(train, np.geomspace(0.05, 3.0, 12))
        true = -0.5 * d * np.log(2 * np.pi) - 0.5 * np.sum(test**2, axis=1)
        gaps[n].append(float(np.mean(true - kde.gaussian_kde_logpdf(train, test, h))) / d)

fig, ax = plt.subplots()
for n, color in [(250, "C0"), (1000, "C3")]:
    ax.plot(dims, gaps[n], "o-", color=color, label=f"n = {n}")
ax.set_xscale("log", base=2)
ax.set_xticks(dims, [str(d) for d in dims])
ax.set_xlabel("dimension d")
ax.set_ylabel("nats lost per dimension")
ax.set_title("KDE of a standard Gaussian: the loss grows with d")
ax.legend()
plt.show()

# %% [markdown]
# **Question.** Why does kernel density estimation struggle in high dimensions? Explain what the
# last figure shows in terms of the distances between points and of the number of samples that
# fall within a bandwidth of a query, and say how fast $n$ must grow with $d$ to keep the same
# accuracy. What would you do instead with 784-dimensional MNIST images?

# %% [markdown] answer="high_dimensions" points=5
# A KDE estimates the density at $x$ from the training points within a few bandwidths of $x$. In
# $d$ dimensions the volume of a ball of radius $h$ shrinks like $h^d$, so a neighbourhood small
# enough to keep the bias low contains almost no points: to keep a fixed number of neighbours, $h$
# must grow, and the estimate is smoothed over regions where the density changes a lot. Pairwise
# distances also concentrate (all points are nearly equally far apart), so the kernels cannot
# tell near from far. The optimal mean squared error decreases like $n^{-4/(d+4)}$: for the same
# accuracy $n$ must grow exponentially with $d$ — the figure shows the per-dimension loss rising
# with $d$ and a fourfold $n$ helping less as $d$ grows. For MNIST one uses a model with structure
# (a mixture of Bernoulli or Gaussian components, a low-dimensional projection such as PCA before a
# KDE, or a latent-variable model) rather than a KDE on raw pixels.

# %% autograde="size" public="logpdf"

# %% [markdown]
# ## What you have now
#
# A nonparametric density estimator, computed in log space and in blocks; two rules of thumb and
# a data-driven bandwidth; sampling from the estimate. The next assignment fits a mixture of a
# *few* Gaussians by EM: a parametric compromise between one Gaussian and one bump per point.
