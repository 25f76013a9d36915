# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Bernoulli mixtures on MNIST
#
# Binarise a 28×28 image of a handwritten digit and it becomes a vector $x \in \{0, 1\}^{784}$. The
# simplest density on such vectors treats the pixels as independent coins,
# $p(x \mid p) = \prod_d p_d^{x_d}(1 - p_d)^{1 - x_d}$ — far too simple for digits, whose pixels are
# strongly correlated. A **mixture** of $K$ such products,
#
# $$p(x) = \sum_{k=1}^K \pi_k \prod_{d=1}^{784} p_{kd}^{x_d}(1 - p_{kd})^{1 - x_d},$$
#
# captures the correlation through the components: each component is a "prototype" of a way to
# write digits. It is fitted by EM exactly like a Gaussian mixture:
#
# - **E-step**: $\log r_{ik} = \log\pi_k + \sum_d [x_{id}\log p_{kd} + (1 - x_{id})\log(1 - p_{kd})]
#   - \log p(x_i)$ — sums of 784 logs, normalised with log-sum-exp;
# - **M-step** with $\alpha$ pseudo-counts of 0 and of 1 on every pixel ("Laplace smoothing"):
#   $N_k = \sum_i r_{ik}$, $\pi_k = N_k / n$, $p_{kd} = \dfrac{\sum_i r_{ik}x_{id} + \alpha}{N_k + 2\alpha}$.
#
# You write them in **`bmm.py`**; this notebook calls your module. Run it top to bottom after each
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
from datasets import load_mnist_subset

import bmm  # your module, in this folder (reloaded automatically when you edit it)

rng = np.random.default_rng(20240917)
plt.rcParams.update({"figure.figsize": (7.5, 4.0), "axes.grid": True, "grid.alpha": 0.3})


def show_images(images, rows, cols, titles=None, size=1.1, cmap="gray_r", suptitle=None):
    """Draw (rows * cols) flattened 28×28 images in a grid."""
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.1), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < len(images):
            ax.imshow(np.asarray(images[i]).reshape(28, 28), cmap=cmap, vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, y=1.0 + 0.12 / rows)
    plt.show()


# %% [markdown]
# ## 1. The data
#
# 3,000 images of the MNIST training set (300 per digit), split into 2,400 for training and 600
# for testing. A pixel is 1 where its grey level exceeds half the maximum. (The autograder tests
# your classifier on 2,000 further images that are not in this folder.)

# %%
images, labels = load_mnist_subset()
X_all = bmm.binarize(images)
order = rng.permutation(len(labels))
train, test = order[:2400], order[2400:]
X_train, y_train, X_test, y_test = X_all[train], labels[train], X_all[test], labels[test]
print(X_all.shape, X_all.dtype, "pixels on:", f"{X_all.mean():.1%}")
show_images(X_train[:30], 3, 10, titles=[str(c) for c in y_train[:30]], suptitle="binarised training images")

# %% autograde="binarize" public="binarize"

# %% [markdown]
# ## 2. EM without labels
#
# Fit a 10-component mixture to the training images, ignoring their labels. Each component's
# pixel probabilities $p_k$ are an image: the prototype of one way of writing. The log-likelihood
# never decreases over the iterations (strictly, the penalised objective with the smoothing prior).
# EM only finds a local maximum, so the start matters. `BernoulliMixture` starts as scikit-learn's
# `init_params="random"` does: responsibilities drawn uniformly in [0, 1) and normalised per row,
# then one M-step, so every component starts as a slightly different blend of all the images.
# (Drawing the pixel probabilities directly, say uniform in [0.25, 0.75], is worse: with 784
# pixels one random component is far more likely than the others for every image, wins the first
# E-step everywhere, and the other components die — weight 0, every pixel probability 1/2.)

# %%
mixture = bmm.BernoulliMixture(n_components=10, max_iter=60, random_state=0).fit(X_train)
print(f"{mixture.n_iter_} iterations, converged: {mixture.converged_}")
order_k = np.argsort(mixture.weights_)[::-1]
show_images(mixture.probs_[order_k], 1, 10, titles=[f"π = {w:.2f}" for w in mixture.weights_[order_k]],
            size=1.3, cmap="viridis", suptitle="the 10 component means (pixel probabilities), no labels used")

fig, ax = plt.subplots()
ax.plot(range(1, mixture.n_iter_ + 1), np.array(mixture.log_likelihood_history_) / len(X_train), "o-", ms=3)
ax.set_xlabel("iteration")
ax.set_ylabel("log-likelihood per image")
plt.show()

# %% autograde="em_steps" public="bernoulli_log_prob or e_step or m_step"

# %% [markdown]
# How well do the clusters match the digits? Name every cluster by its most frequent true label
# and count the images whose cluster carries their own label. Several digits share a cluster and
# some digits are split over several: far from a classifier.

# %%
clusters = mixture.predict(X_train)
print(f"cluster accuracy of the unsupervised K = 10 mixture: {bmm.cluster_accuracy(y_train, clusters):.1%}")
table = np.array([[np.sum((clusters == k) & (y_train == c)) for c in range(10)] for k in order_k])
fig, ax = plt.subplots(figsize=(6.5, 5))
ax.imshow(table, cmap="Blues")
ax.set_xticks(range(10))
ax.set_yticks(range(10), [f"cluster {k}" for k in order_k])
ax.set_xlabel("true digit")
ax.set_title("which digits each cluster holds")
ax.grid(False)
plt.show()

# %% autograde="mixture_clusters" public="cluster_accuracy"

# %% [markdown]
# A mixture is a generative model: draw a component, then flip each pixel's coin.

# %%
generated, z = mixture.sample(20)
show_images(generated, 2, 10, titles=[f"k = {k}" for k in z], suptitle="images drawn from the mixture")

# %% autograde="mixture" public="mixture_fit or mixture_sample"

# %% [markdown]
# ## 3. A classifier: one mixture per digit
#
# With the labels, fit one mixture $p(x \mid c)$ per digit and classify by Bayes' rule,
# $\hat y = \arg\max_c \big[\log P(c) + \log p(x \mid c)\big]$. With $K = 1$ component per digit this is
# Bernoulli naive Bayes; more components let each digit have several styles.

# %%
accuracy, classifiers = {}, {}
for K in (1, 2, 5, 10):
    model = bmm.BernoulliMixtureClassifier(n_components=K, max_iter=50, random_state=0)
    classifiers[K] = model.fit(X_train, y_train)
    accuracy[K] = classifiers[K].score(X_test, y_test)
    print(f"K = {K:2d}: test accuracy {accuracy[K]:.1%}")

fig, ax = plt.subplots()
ax.plot(list(accuracy), [100 * a for a in accuracy.values()], "o-")
ax.set_xscale("log")
ax.set_xticks(list(accuracy), [str(k) for k in accuracy])
ax.set_xlabel("components per digit K")
ax.set_ylabel("test accuracy (%)")
ax.set_title("more components, more styles per digit")
plt.show()

# %% [markdown]
# The component means of each digit (rows) for $K = 5$: different slants, widths and ways of
# writing, learnt without being told (flat squares are components EM left empty).

# %%
clf = classifiers[5]
means = [m.probs_[np.argsort(m.weights_)[::-1]] for m in clf.mixtures_]
show_images(np.concatenate(means), 10, 5, size=1.0, cmap="viridis",
            suptitle="component means per digit (K = 5), heaviest first")

# %% [markdown]
# Where does it go wrong? The confusion matrix of the best classifier counts, for every true digit
# (row), the predicted digits (columns).

# %%
best_k = max(accuracy, key=accuracy.get)
predicted = classifiers[best_k].predict(X_test)
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, predicted), 1)
fig, ax = plt.subplots(figsize=(6, 5))
im = ax.imshow(confusion, cmap="Blues")
for i in range(10):
    for j in range(10):
        if confusion[i, j]:
            ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=7,
                    color="w" if confusion[i, j] > confusion.max() / 2 else "k")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted digit")
ax.set_ylabel("true digit")
ax.set_title(f"confusion matrix, K = {best_k}: {accuracy[best_k]:.1%} correct")
ax.grid(False)
plt.show()

# %% [markdown]
# And each digit's mixture generates new digits of its class:

# %%
fake = np.concatenate([clf.sample(8, c) for c in range(10)])
show_images(fake, 10, 8, size=0.9, suptitle="digits generated by each class's mixture (K = 5)")

# %% autograde="mixture_classifier" public="classifier"

# %% [markdown]
# **Question.** Two numerical choices make this work. (a) Why is every E-step quantity computed in
# log space, and what would `np.prod` over 784 pixel probabilities return? (b) What would go wrong
# without the pseudo-counts $\alpha$ (that is, $p_{kd} = \sum_i r_{ik}x_{id} / N_k$) when a test
# image has a pixel on that no training image of a component had on?

# %% [markdown] answer="logs_and_smoothing" points=5
# (a) The likelihood of one image under one component is a product of 784 probabilities, each
# well below 1: typically around $e^{-100}$ to $e^{-300}$ and for unlikely components far below
# $e^{-745}$, the smallest positive double, so `np.prod` returns exactly 0 for every component,
# the responsibilities become 0/0 = NaN and Bayes' rule compares zeros. As sums of logs the same
# quantities are ordinary numbers; log-sum-exp then normalises them without ever leaving log space.
# (b) Without smoothing, a pixel that is off in every image a component is responsible for gets
# $p_{kd} = 0$, so $\log(p_{kd}) = -\infty$: any image with that pixel on has probability exactly 0
# under that component (or under the whole class with $K = 1$), however well it matches the rest,
# and it can be classified as a digit it looks nothing like — or get $-\infty$ for every class.
# The pseudo-counts (a Beta prior, a MAP estimate) keep every $p_{kd}$ in $(0, 1)$, so one
# unusual pixel costs a finite penalty instead of a veto.

# %% [markdown]
# ## What you have now
#
# EM for a mixture of discrete distributions in 784 dimensions, a generative classifier that beats
# naive Bayes by giving each digit several styles, and a model that writes digits. The same E- and
# M-steps, with Gaussian components, were the `gmm` assignment.
