"""The feedback pictures: drawn in the grader from the plain arrays a grading kept.

Each assignment has one picture, tied to the hidden test that keeps its
arrays (the ``artifacts`` fixture of :mod:`autograder.engine`): the
student's values beside the reference's, both kept by the hidden test
during the grading (the ``ref_*`` values: the reference's, or the expected
values the test compared with). What a page draws comes from the results
alone: nothing runs here, neither the student's code nor the reference; an
artifact holds only numbers. When the test did not get as far as keeping
its arrays, or the arrays cannot be drawn (results of an older kit hold no
``ref_*`` values), the picture is replaced by the reason.

Matplotlib is used through its object interface with the Agg canvas (no
pyplot state, no display); a picture is a PNG's bytes.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from autograder.text import one_line

from . import parse

YOURS = "#d1495b"  # the student's values
REF = "#00798c"  # the reference's
DATA = "#9aa0a6"


class CannotDraw(Exception):
    """The arrays are there but make no picture (wrong shapes, no finite values); str = why."""


@dataclass
class Spec:
    key: str  # the artifact's name
    test: str  # the hidden test function that keeps it
    title: str
    caption: str
    draw: object  # function(values, errors) -> matplotlib Figure


@dataclass
class Picture:
    title: str
    caption: str
    png: bytes | None = None
    reason: str = ""


def _figure(width=7.0, height=3.2, **margins):
    """A figure with fixed margins (a constrained layout would draw every picture twice)."""
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(**{"left": 0.09, "right": 0.98, "bottom": 0.16, "top": 0.95, **margins})
    return fig


def to_png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def _array(values, key, ndim=None, what=None):
    if key not in values:
        raise CannotDraw(f"{what or key} was not kept")
    arr = np.asarray(values[key], dtype=float)
    if ndim is not None and arr.ndim != ndim:
        raise CannotDraw(f"{what or key} has shape {arr.shape}, which cannot be drawn")
    return arr


def _scalar(values, key, what):
    arr = _array(values, key, what=what)
    if arr.size != 1:
        raise CannotDraw(f"{what} is an array of shape {arr.shape}, not one number")
    return float(arr.reshape(()))


def _note(ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", wrap=True,
            fontsize=9, color="#555")


# ---------------------------------------------------------------------------- mle


def _normal_pdf(grid, mean, var):
    return np.exp(-0.5 * (grid - mean) ** 2 / var) / np.sqrt(2 * np.pi * var)


def draw_mle(values, errors):
    x = _array(values, "x", 1, "the data")
    mean = _scalar(values, "mean", "your mean")
    var = _scalar(values, "var", "your variance")
    ref_mean = _scalar(values, "ref_mean", "the reference's mean")
    ref_var = _scalar(values, "ref_var", "the reference's variance")
    fig = _figure()
    ax = fig.add_subplot()
    spread = np.sqrt(ref_var) if ref_var > 0 else 1.0
    lo, hi = x.min() - spread, x.max() + spread
    if np.isfinite(mean) and np.isfinite(var) and var > 0:
        lo, hi = min(lo, mean - 3 * np.sqrt(var)), max(hi, mean + 3 * np.sqrt(var))
    grid = np.linspace(lo, hi, 400)
    ax.hist(x, bins=min(40, max(3, len(x) // 10)), density=True, color=DATA, alpha=0.6,
            label=f"the data (n = {len(x)})")
    if len(x) < 30:
        ax.plot(x, np.zeros_like(x), "|", color="#333", ms=14)
    if np.isfinite(mean) and np.isfinite(var) and var > 0:
        ax.plot(grid, _normal_pdf(grid, mean, var), color=YOURS, lw=3, alpha=0.8,
                label=f"your fit: mean {mean:.4g}, var {var:.4g}")
    else:
        ax.plot([], [], color=YOURS, label=f"your fit: mean {mean:.4g}, var {var:.4g} (no density)")
    ax.plot(grid, _normal_pdf(grid, ref_mean, ref_var), "--", color=REF, lw=1.6,
            label=f"reference: mean {ref_mean:.4g}, var {ref_var:.4g}")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.legend(fontsize=8, loc="upper right")
    return fig


# ---------------------------------------------------------------------------- kde


def draw_kde(values, errors):
    x = _array(values, "x", 1, "the data")
    grid = _array(values, "grid", 1, "the grid")
    h = _scalar(values, "h", "the bandwidth")
    got = _array(values, "logpdf", 1, "your log-density")
    if got.shape != grid.shape:
        raise CannotDraw(f"your log-density has {got.size} values for {grid.size} grid points")
    expected = _array(values, "ref_logpdf", 1, "the reference's log-density")
    if expected.shape != grid.shape:
        raise CannotDraw(f"the reference's log-density has {expected.size} values for {grid.size} grid points")
    with np.errstate(over="ignore", invalid="ignore"):
        yours = np.exp(got)
    fig = _figure()
    ax = fig.add_subplot()
    finite = np.isfinite(yours)
    top = np.exp(expected).max()
    shown = np.where(finite, np.clip(yours, 0, 3 * top), np.nan)
    ax.plot(grid, shown, color=YOURS, lw=3, alpha=0.8, label="your exp(gaussian_kde_logpdf)")
    ax.plot(grid, np.exp(expected), "--", color=REF, lw=1.6, label="reference p̂(x)")
    if (yours[finite] > 3 * top).any():
        ax.text(0.01, 0.97, "your curve is cut at 3× the reference's peak", transform=ax.transAxes,
                va="top", fontsize=8, color=YOURS)
    if not finite.all():
        ax.text(0.01, 0.90, f"{int((~finite).sum())} of your values are not finite", transform=ax.transAxes,
                va="top", fontsize=8, color=YOURS)
    ax.plot(x, np.zeros_like(x), "|", color="#333", ms=14, label=f"the {len(x)} training points")
    ax.set_xlabel(f"x   (bandwidth h = {h:.4g})")
    ax.set_ylabel("density")
    ax.legend(fontsize=8, loc="upper right")
    return fig


# ---------------------------------------------------------------------------- gmm


def _as_full(covs, k, d, whose="your"):
    covs = np.asarray(covs, dtype=float)
    if covs.shape == (k, d, d):
        return covs
    if covs.shape == (k, d):
        return np.stack([np.diag(c) for c in covs])
    if covs.shape == (k,):
        return np.stack([c * np.eye(d) for c in covs])
    raise CannotDraw(f"{whose} covariances_ have shape {covs.shape}; for K = {k} full covariances in "
                     f"{d}-D, shape ({k}, {d}, {d}) is expected")


def _ellipses(ax, X, weights, means, covs, color, title):
    ax.scatter(X[:, 0], X[:, 1], s=6, color=DATA, alpha=0.8)
    notes = []
    for j, (m, c) in enumerate(zip(means, covs)):
        if not (np.all(np.isfinite(m)) and np.all(np.isfinite(c))):
            notes.append(f"component {j}: not finite")
            continue
        sym = (c + c.T) / 2
        vals, vecs = np.linalg.eigh(sym)
        if vals.min() <= 0:
            notes.append(f"component {j}: covariance not positive definite")
            continue
        angle = np.degrees(np.arctan2(vecs[1, -1], vecs[0, -1]))
        # 2σ: the ellipse (x − μ)ᵀ Σ⁻¹ (x − μ) = 4, semi-axes 2·sqrt(eigenvalue)
        ax.add_patch(Ellipse(m, 4 * np.sqrt(vals[-1]), 4 * np.sqrt(vals[0]), angle=angle, fill=False,
                             color=color, lw=2))
        weight = f"{weights[j]:.3f}" if j < len(weights) and np.isfinite(weights[j]) else "?"
        ax.plot(*m, "+", color=color, ms=12, mew=2)
        ax.annotate(f"π = {weight}", m, xytext=(6, 6), textcoords="offset points", fontsize=8, color=color)
    if notes:
        ax.text(0.02, 0.98, "; ".join(notes), transform=ax.transAxes, va="top", fontsize=8, color=color)
    ax.set_title(title, fontsize=10, color=color)
    ax.set_xlabel("eruption (min)")


def draw_gmm(values, errors):
    X = _array(values, "X", 2, "the data")
    means = _array(values, "means", what="your means_")
    weights = _array(values, "weights", what="your weights_").ravel()
    if means.ndim != 2 or means.shape[1] != X.shape[1]:
        raise CannotDraw(f"your means_ have shape {means.shape}; ({len(means)}, {X.shape[1]}) is expected")
    k, d = means.shape
    covs = _as_full(_array(values, "covariances", what="your covariances_"), k, d)
    ref_means = _array(values, "ref_means", 2, "the reference's means_")
    ref_weights = _array(values, "ref_weights", 1, "the reference's weights_")
    ref_covs = _as_full(_array(values, "ref_covariances", what="the reference's covariances_"),
                        len(ref_means), d, "the reference's")
    fig = _figure(8.0, 3.4, left=0.08, top=0.91, bottom=0.15, wspace=0.06)
    left, right = fig.subplots(1, 2, sharex=True, sharey=True)
    _ellipses(left, X, weights, means, covs, YOURS, "your fit (2σ ellipses)")
    _ellipses(right, X, ref_weights, ref_means, ref_covs, REF, "reference (2σ ellipses)")
    left.set_ylabel("waiting (min)")
    return fig


# ---------------------------------------------------------------------------- bmm


def draw_bmm(values, errors):
    probs = _array(values, "probs", 2, "your probs_")
    weights = _array(values, "weights", 1, "your weights_")
    if probs.shape[1] != 784:
        raise CannotDraw(f"your probs_ have shape {probs.shape}; 784 pixels per component are expected")
    samples = None
    if "samples" in values:
        samples = np.asarray(values["samples"], dtype=float)
        if samples.ndim != 2 or samples.shape[1] != 784:
            errors = {**errors, "samples": f"sample(8)[0] has shape {samples.shape}, not (8, 784)"}
            samples = None
    k = len(probs)
    cols = max(k, 8)
    fig = _figure(1.0 * cols, 2.6, left=0.04, right=0.995, bottom=0.02, top=0.9, wspace=0.08, hspace=0.25)
    axes = fig.subplots(2, cols, squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for j in range(min(k, cols)):
        axes[0, j].imshow(np.clip(probs[j].reshape(28, 28), 0, 1), cmap="gray_r", vmin=0, vmax=1)
        weight = f"{weights[j]:.2f}" if j < len(weights) and np.isfinite(weights[j]) else "?"
        axes[0, j].set_title(f"{j}: π={weight}", fontsize=8)
    axes[0, 0].text(-0.15, 0.5, "means", transform=axes[0, 0].transAxes, rotation=90, va="center",
                    ha="right", fontsize=9)
    if samples is not None:
        for j, image in enumerate(samples[:cols]):
            axes[1, j].imshow(np.clip(image.reshape(28, 28), 0, 1), cmap="gray_r", vmin=0, vmax=1)
        axes[1, 0].text(-0.15, 0.5, "samples", transform=axes[1, 0].transAxes, rotation=90, va="center",
                        ha="right", fontsize=9)
    else:
        why = errors.get("samples", "sample(8) was not called")
        axes[1, 0].text(0, 0.5, f"no samples: {one_line(why, limit=110)}", transform=axes[1, 0].transAxes,
                        fontsize=8, va="center")
    return fig


FIGURES = {
    "mle": [Spec("mle_gaussian", "test_gaussian_mle_variance", "Your Gaussian fit",
                 "The density N(mean, var) of your gaussian_mle (solid) and the reference's (dashed) "
                 "over a histogram of the sample it was graded on.", draw_mle)],
    "kde": [Spec("kde_curve", "test_logpdf_integrates_to_one", "Your density estimate",
                 "exp(gaussian_kde_logpdf) on the test's grid (solid) and the reference's (dashed); "
                 "the ticks are the training points.", draw_kde)],
    "gmm": [Spec("gmm_fit", "test_old_faithful", "Your mixture on Old Faithful",
                 "GaussianMixtureEM(2) fitted on Old Faithful from a k-means start: your components' "
                 "2σ ellipses and weights (left) and the reference's (right).", draw_gmm)],
    "bmm": [Spec("bmm_fit", "test_mixture_predictions", "Your mixture of MNIST digits",
                 "Your BernoulliMixture(6) after one EM iteration from the test's start on 500 binarised "
                 "MNIST images: each component's probs_ as a 28×28 image (top) and 8 images from its "
                 "sample (bottom).",
                 draw_bmm)],
}


def _test_line(function, results):
    """The :class:`~reports.parse.TestLine` of the hidden test ``function`` (the results' ``functions``
    field names each test's function), or None."""
    numbers = {fn: number for number, fn in parse.functions(results).items()}
    return next((t for t in parse.tests(results) if str(t.number) == numbers.get(function)), None)


def pictures(assignment, results, artifacts):
    """The assignment's :class:`Picture` list for one grading (``artifacts`` may be ``None``)."""
    out = []
    for spec in FIGURES.get(assignment, []):
        pic = Picture(spec.title, spec.caption)
        out.append(pic)
        entry = (artifacts or {}).get(spec.key)
        why = parse.reason(results)
        if entry is None:
            test = _test_line(spec.test, results)
            if why is not None:
                pic.reason = f"No picture: the grading did not complete ({why[1]})."
            elif artifacts is None:
                pic.reason = "No picture: the arrays of this grading were not kept."
            elif test is not None and not test.passed and test.output:
                first = test.output.split("\n", 1)[0]
                pic.reason = f"No picture: “{test.name}” failed before it had your values: {first}"
            else:
                pic.reason = "No picture: the test did not keep its values."
            continue
        if entry.get("reason"):
            pic.reason = f"No picture: your values could not be read: {entry['reason']}"
            continue
        try:
            fig = spec.draw(entry.get("values") or {}, entry.get("errors") or {})
            pic.png = to_png(fig)
        except CannotDraw as exc:
            errors = "; ".join(f"{k}: {v}" for k, v in (entry.get("errors") or {}).items())
            pic.reason = f"No picture: {exc}" + (f" ({one_line(errors, limit=400)})." if errors else ".")
        except Exception as exc:  # noqa: BLE001 - a picture never stops the pages
            pic.reason = f"No picture: it could not be drawn ({type(exc).__name__}: {one_line(exc, limit=200)})."
    return out
