# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Gaussian mixtures fitted by EM
#
# A Gaussian mixture with $K$ components has the density
#
# $$p(x) = \sum_{k=1}^K \pi_k\, \mathcal N(x; \mu_k, \Sigma_k), \qquad \pi_k \ge 0,\ \sum_k \pi_k = 1 .$$
#
# Read it as a two-step recipe: draw a component $z \sim \text{Categorical}(\pi)$, then
# $x \sim \mathcal N(\mu_z, \Sigma_z)$. If we knew every $z_i$, the MLE would be the closed form of the
# `mle` assignment (each component fitted on its own samples). We don't, and the log-likelihood
# $\ell = \sum_i \log\sum_k \pi_k \mathcal N(x_i; \mu_k, \Sigma_k)$ has no closed-form maximum.
# **Expectation-maximisation** alternates two easy steps:
#
# - **E-step**: the responsibilities $r_{ik} = P(z_i = k \mid x_i) = \dfrac{\pi_k \mathcal N(x_i; \mu_k,
#   \Sigma_k)}{\sum_j \pi_j \mathcal N(x_i; \mu_j, \Sigma_j)}$, computed in log space with
#   log-sum-exp;
# - **M-step**: the MLE with soft labels, $N_k = \sum_i r_{ik}$, $\pi_k = N_k / n$,
#   $\mu_k = \frac{1}{N_k}\sum_i r_{ik} x_i$,
#   $\Sigma_k = \frac{1}{N_k}\sum_i r_{ik}(x_i - \mu_k)(x_i - \mu_k)^\top + \epsilon I$.
#
# You write them in **`gmm.py`**; this notebook calls your module. Run it top to bottom after each
# function you write: the first cell that fails names the function to write next.

# %%
# %load_ext autoreload
# %autoreload 2
import sys
from pathlib import Path

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.patches import Ellipse

# the course's data: datasets/ next to this notebook, or at the root of the course kit
here = Path.cwd().resolve()
home = next((p for p in [here, *here.parents] if (p / "datasets" / "__init__.py").exists()), None)
if home is None:
    raise FileNotFoundError("datasets/ not found: keep this notebook in its assignment folder")
if str(home) not in sys.path:
    sys.path.append(str(home))
from datasets import load_old_faithful

import gmm  # your module, in this folder (reloaded automatically when you edit it)

rng = np.random.default_rng(20240917)
plt.rcParams.update({"figure.figsize": (7.5, 4.0), "axes.grid": True, "grid.alpha": 0.3})

X = load_old_faithful()          # (272, 2): eruption duration, waiting time (minutes)
print(X.shape, "means", X.mean(axis=0).round(2), "standard deviations", X.std(axis=0, ddof=1).round(2))


def draw_components(ax, means, covariances, weights=None, n_std=(1, 2), color="C3"):
    """Ellipses at 1 and 2 standard deviations of each full-covariance component."""
    for k, (mean, cov) in enumerate(zip(means, covariances)):
        eigval, eigvec = np.linalg.eigh(cov)
        angle = np.degrees(np.arctan2(eigvec[1, -1], eigvec[0, -1]))
        for s in n_std:
            width, height = 2 * s * np.sqrt(eigval[::-1])
            ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, lw=2,
                                 color=color if isinstance(color, str) else color[k]))
        ax.plot(*mean, "x", color="k", ms=8)


# %% [markdown]
# ## 1. k-means first
#
# k-means is the hard-assignment, equal-spherical-covariance limit of EM: assign each point to its
# nearest centre, move each centre to the mean of its points, repeat. It measures plain Euclidean
# distance, so on Old Faithful in minutes the waiting time (standard deviation 13.6 minutes)
# dominates and the eruption duration (1.1 minutes) barely counts: the boundary between the two
# clusters is almost a horizontal line of waiting time. The clusters are separated enough for that
# to work here; a mixture learns each cluster's own shape instead.

# %%
centers, labels = gmm.kmeans(X, 2, rng=0)
fig, ax = plt.subplots(figsize=(7.5, 4.5))
for k in range(2):
    ax.scatter(*X[labels == k].T, s=10, color=f"C{k}", label=f"cluster {k}")
ax.plot(*centers.T, "k*", ms=15, label="centres")
ax.set_xlabel("eruption duration (minutes)")
ax.set_ylabel("waiting time (minutes)")
ax.set_title("k-means, K = 2, on the raw data")
ax.legend()
plt.show()

# %% autograde="clustering" public="kmeans and not soft_kmeans"

# %% [markdown]
# ## 2. EM, one iteration at a time
#
# We start from a poor guess — two equal components with the same mean and a broad covariance —
# and iterate your `e_step` and `m_step` by hand. The ellipses (1 and 2 standard deviations) find
# the two clusters in a few iterations, each with its own shape and orientation.

# %%
K = 2
weights = np.full(K, 1.0 / K)
means = X.mean(axis=0) + np.array([[-0.5, -5.0], [0.5, 5.0]])
covariances = np.array([np.cov(X.T, bias=True)] * K)
snapshots, history = {0: (weights, means, covariances)}, []
for it in range(1, 41):
    resp, log_likelihood = gmm.e_step(X, weights, means, covariances, "full")
    history.append(log_likelihood)                      # ll of the parameters before this M-step
    weights, means, covariances = gmm.m_step(X, resp, "full")
    if it in (1, 3, 6, 15, 40):
        snapshots[it] = (weights, means, covariances)

fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True, sharey=True)
for ax, (it, (w, m, c)) in zip(axes.ravel(), snapshots.items()):
    resp, _ = gmm.e_step(X, w, m, c, "full")
    ax.scatter(*X.T, s=6, c=resp[:, 1], cmap="coolwarm", vmin=0, vmax=1)
    draw_components(ax, m, c, color="k")
    ax.set_title(f"after {it} iteration{'s' * (it != 1)}" if it else "the start")
for ax in axes[1]:
    ax.set_xlabel("eruption duration")
for ax in axes[:, 0]:
    ax.set_ylabel("waiting time")
fig.suptitle("EM on Old Faithful: colour = responsibility of component 1")
plt.show()

fig, ax = plt.subplots()
ax.plot(range(1, len(history) + 1), history, "o-", ms=3)
ax.set_xlabel("iteration")
ax.set_ylabel(r"log-likelihood $\ell$")
ax.set_title(f"never decreases; converged to {history[-1]:.2f}")
plt.show()

# %% autograde="densities" public="log_gaussian_prob or e_step"

# %% autograde="m_step" public="m_step"

# %% [markdown]
# ## 3. The model class, and k-means next to the mixture
#
# `GaussianMixtureEM` wraps the loop: initialise from k-means, iterate until the log-likelihood
# per sample changes by less than `tol`. Its soft clusters follow the data's correlation, where
# k-means (on the same raw data) draws a straight boundary.

# %%
model = gmm.GaussianMixtureEM(n_components=2, covariance_type="full", tol=1e-6, random_state=0).fit(X)
print(f"{model.n_iter_} iterations, converged: {model.converged_}")
print("weights", model.weights_.round(4), "\nmeans\n", model.means_.round(4))
print("total log-likelihood:", round(float(np.sum(model.score_samples(X))), 4))

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharex=True, sharey=True)
for k in range(2):
    axes[0].scatter(*X[labels == k].T, s=8, color=f"C{k}")
axes[0].plot(*centers.T, "k*", ms=15)
axes[0].set_title("k-means: hard labels, distances in minutes")
gmm_labels = model.predict(X)
for k in range(2):
    axes[1].scatter(*X[gmm_labels == k].T, s=8, color=f"C{k}")
draw_components(axes[1], model.means_, model.covariances_, color="k")
axes[1].set_title("Gaussian mixture: its own covariance per component")
for ax in axes:
    ax.set_xlabel("eruption duration (minutes)")
axes[0].set_ylabel("waiting time (minutes)")
plt.show()

fig, ax = plt.subplots()
ax.plot(range(1, model.n_iter_ + 1), model.log_likelihood_history_, "o-", ms=3)
ax.set_xlabel("iteration")
ax.set_ylabel(r"log-likelihood $\ell$")
ax.set_title("GaussianMixtureEM.fit from the k-means start")
plt.show()

# %% autograde="mixture_fit" public="fit_returns or log_likelihood_never or fit_one_dimensional"

# %% [markdown]
# ## 4. Soft k-means: EM with equal weights and one shared variance
#
# k-means is EM with *hard* responsibilities: each point belongs to its nearest centre. **Soft k-means**
# gives each point to every cluster with a weight that decays with its squared distance, at a stiffness
# $\beta > 0$:
#
# $$r_{ik} = \frac{e^{-\beta\|x_i - \mu_k\|^2}}{\sum_j e^{-\beta\|x_i - \mu_j\|^2}}, \qquad
# \mu_k = \frac{\sum_i r_{ik}\, x_i}{\sum_i r_{ik}} .$$
#
# That is exactly the E-step of a mixture with equal weights $\pi_k = 1/K$ and one shared spherical covariance
# $\sigma^2 I$ with $\sigma^2 = 1/(2\beta)$: $\log \pi_k$, the normalising constant and $\sigma^2$ are the
# same for every component and cancel in the ratio, and $\|x - \mu\|^2 / (2\sigma^2) = \beta\|x - \mu\|^2$;
# the centre update is the M-step's mean. As $\beta \to \infty$ the responsibilities become one-hot: k-means.
# For a small $\beta$ (a variance $\sigma^2$ larger than the data's largest variance $\lambda$, i.e.
# $\beta < 1/(2\lambda)$) every centre ends at the data mean: the clusters only appear as $\beta$ grows.
#
# One shared spherical variance only makes sense when the features have comparable scales, so below the
# data are standardised. Colour = the responsibility of cluster 1; the last two panels are k-means from the
# same start and the full Gaussian mixture (its own weights and covariances).

# %%
Xs = load_old_faithful(standardize=True)
lam = np.linalg.eigvalsh(np.cov(Xs.T, bias=True)).max()
start = Xs[[0, 1]]                                   # two rows as the common start
betas = [0.2, 2.0, 50.0]
print(f"largest variance λ = {lam:.2f}: every centre at the mean for β < 1/(2λ) = {1 / (2 * lam):.2f}")
fits = {beta: gmm.soft_kmeans(Xs, 2, beta, init_centers=start) for beta in betas}
km_centers, km_labels = gmm.kmeans(Xs, 2, init_centers=start)
full = gmm.GaussianMixtureEM(2, random_state=0).fit(Xs)

fig, axes = plt.subplots(1, 5, figsize=(20, 4), sharex=True, sharey=True)
for ax, beta in zip(axes, betas):
    c, r = fits[beta]
    ax.scatter(*Xs.T, s=6, c=np.asarray(r)[:, 1], cmap="coolwarm", vmin=0, vmax=1)
    ax.plot(*np.asarray(c).T, "k*", ms=14)
    ax.set_title(f"soft k-means, β = {beta:g} (σ² = {1 / (2 * beta):.2g})")
axes[3].scatter(*Xs.T, s=6, c=km_labels, cmap="coolwarm", vmin=0, vmax=1)
axes[3].plot(*km_centers.T, "k*", ms=14)
axes[3].set_title("k-means (β → ∞)")
axes[4].scatter(*Xs.T, s=6, c=full.predict_proba(Xs)[:, 1], cmap="coolwarm", vmin=0, vmax=1)
draw_components(axes[4], full.means_, full.covariances_, color="k")
axes[4].set_title("full Gaussian mixture")
for ax in axes:
    ax.set_xlabel("duration (standardised)")
axes[0].set_ylabel("waiting (standardised)")
plt.show()
for beta in betas:
    print(f"β = {beta:5g}: centres {np.round(np.asarray(fits[beta][0]), 3).tolist()}")

# %% autograde="soft_kmeans" public="soft_kmeans"

# %% [markdown]
# ## 5. How many components? BIC and AIC
#
# The log-likelihood always increases with $K$; the information criteria charge for the $p$ free
# parameters ($K - 1$ weights, $Kd$ means, $K d(d+1)/2$ covariance entries for full covariances):
#
# $$\mathrm{BIC} = -2\ell + p\log n, \qquad \mathrm{AIC} = -2\ell + 2p \qquad \text{(lower is better)}.$$

# %%
candidates = range(1, 7)
models = {k: gmm.GaussianMixtureEM(n_components=k, random_state=0).fit(X) for k in candidates}
bic = [models[k].bic(X) for k in candidates]
aic = [models[k].aic(X) for k in candidates]
best = gmm.select_n_components(X, candidates, criterion="bic", random_state=0)

fig, ax = plt.subplots()
ax.plot(candidates, bic, "o-", label="BIC")
ax.plot(candidates, aic, "s-", label="AIC")
ax.axvline(best, color="C3", ls="--", label=f"lowest BIC: K = {best}")
ax.set_xlabel("number of components K")
ax.set_ylabel("criterion")
ax.legend()
plt.show()
print("parameters per K:", [gmm.n_parameters(k, 2, "full") for k in candidates])

# %% [markdown]
# ### On held-out data
#
# The criteria penalise the parameters because the training log-likelihood always prefers more components.
# Another way is to hold out part of the data: fit each $K$ on the rest, and keep the $K$ whose model gives
# the held-out eruptions the largest log-likelihood (`criterion="validation"`). Left: the training and the
# held-out log-likelihood per eruption (standardised data, a random third held out); right: BIC on the
# training part.

# %%
rows = rng.permutation(len(Xs))
train, held_out = Xs[rows[:182]], Xs[rows[182:]]
candidates = range(1, 9)
fitted = {k: gmm.GaussianMixtureEM(n_components=k, random_state=0).fit(train) for k in candidates}
train_ll = [np.mean(fitted[k].score_samples(train)) for k in candidates]
held_ll = [np.mean(fitted[k].score_samples(held_out)) for k in candidates]
chosen_k = gmm.select_n_components(train, candidates, criterion="validation", random_state=0, X_val=held_out)

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
axes[0].plot(candidates, train_ll, "o-", label="training (182 eruptions)")
axes[0].plot(candidates, held_ll, "s-", label="held out (90 eruptions)")
axes[0].axvline(chosen_k, color="C3", ls="--", label=f"best held out: K = {chosen_k}")
axes[0].set_ylabel("log-likelihood per eruption")
axes[1].plot(candidates, [fitted[k].bic(train) for k in candidates], "o-", color="C2")
axes[1].set_ylabel("BIC on the training part")
for ax in axes:
    ax.set_xlabel("number of components K")
axes[0].legend()
plt.show()

# %% [markdown]
# A kernel density estimate is the other end of the scale: it keeps every training point and puts a small
# Gaussian on each, $\hat p(x) = \frac1n \sum_i \mathcal N(x; x_i, h^2 I)$. On the same held-out eruptions,
# the mixture compresses the training set into a few numbers and loses little or nothing:

# %%
from scipy.special import logsumexp


def kde_log_density(train, query, h):
    """log of the Gaussian KDE with bandwidth h (every kernel N(x_i, h² I)), in log space."""
    d = train.shape[1]
    sq = ((query[:, None, :] - train[None, :, :]) ** 2).sum(axis=2)
    return logsumexp(-sq / (2 * h**2), axis=1) - np.log(len(train)) - d / 2 * np.log(2 * np.pi * h**2)


scott = len(train) ** (-1 / (train.shape[1] + 4))     # Scott's rule on standardised data
print(f"{'model':28} {'numbers stored':>15} {'held-out log-likelihood per eruption':>38}")
for h in (0.5 * scott, scott, 2 * scott):
    print(f"{f'KDE, h = {h:.2f}':28} {train.size + 1:>15} {np.mean(kde_log_density(train, held_out, h)):>38.3f}")
for k in (2, chosen_k):
    print(f"{f'Gaussian mixture, K = {k}':28} {gmm.n_parameters(k, 2, 'full'):>15} {held_ll[k - 1]:>38.3f}")

# %% autograde="selection" public="n_parameters or select_n_components or bic_and_aic"

# %% [markdown]
# ## 6. The density, and new eruptions drawn from it
#
# The fitted model is a density: its log-density over a grid (left) and samples drawn from it
# (right, component by component).

# %%
chosen = models[best]
g0, g1 = np.meshgrid(np.linspace(1.2, 5.6, 150), np.linspace(38, 100, 150))
log_p = chosen.score_samples(np.column_stack([g0.ravel(), g1.ravel()])).reshape(g0.shape)
new, z = chosen.sample(500)

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharex=True, sharey=True)
cs = axes[0].contour(g0, g1, log_p, levels=np.linspace(log_p.max() - 8, log_p.max(), 9), cmap="viridis")
axes[0].clabel(cs, fontsize=7, fmt="%.0f")
axes[0].scatter(*X.T, s=5, color="k", alpha=0.5)
axes[0].set_title(f"log-density of the K = {best} mixture")
axes[1].scatter(*new.T, s=6, c=z, cmap="tab10", vmin=0, vmax=9, alpha=0.7)
axes[1].set_title("500 samples, coloured by component")
for ax in axes:
    ax.set_xlabel("eruption duration (minutes)")
axes[0].set_ylabel("waiting time (minutes)")
plt.show()

# %% autograde="model" public="predict or sample"

# %% [markdown]
# **Question.** What does EM guarantee, and what does it not? Explain why the log-likelihood can
# never decrease from one iteration to the next (what is the E-step's lower bound, and when is it
# tight?), what EM converges to, how the starting point matters, and what can happen to a component
# that ends up with a single point (and how `reg_covar` guards against it).

# %% [markdown] answer="em_guarantees" points=5
# For any distribution $q(z)$ over the labels, Jensen's inequality gives the lower bound
# $\ell(\theta) \ge \sum_i \sum_k q_{ik}\log\frac{p(x_i, z_i = k; \theta)}{q_{ik}}$, tight when
# $q_{ik}$ is the posterior $P(z_i = k \mid x_i; \theta)$. The E-step makes the bound tight at the
# current $\theta_t$; the M-step maximises the bound over $\theta$; so $\ell(\theta_{t+1}) \ge
# \text{bound}(\theta_{t+1}) \ge \text{bound}(\theta_t) = \ell(\theta_t)$: the log-likelihood never
# decreases. It converges to a stationary point — usually a local maximum, possibly a saddle —
# not necessarily the global maximum, so the result depends on the initialisation (hence k-means
# starts and several restarts). The likelihood of a Gaussian mixture is unbounded: a component that
# collapses onto one point has $\Sigma_k \to 0$ and $\ell \to \infty$; EM can run into such a
# degenerate solution. Adding `reg_covar` to the diagonal keeps every covariance positive definite
# and the likelihood bounded.

# %% [markdown]
# ## What you have now
#
# k-means and soft k-means, the E- and M-steps in log space, a `GaussianMixtureEM` that matches
# scikit-learn's `GaussianMixture`, model selection by BIC/AIC and on held-out data, and sampling. The last assignment applies the same
# EM to binary images: mixtures of Bernoulli distributions on MNIST.
