"""A class with one planted pair, for the similarity report (issue #23 part 3).

Two students (``07_lee`` and ``08_kim``) hand in the same ``mle`` solution: one
wrote it (her own way, not the reference's: loops, explicit sums, no Cholesky
helper of SciPy's), the other renamed every identifier and rewrote every
comment. Everyone else is independent of both: the reference, the untouched
stub, each typical mistake of the catalogue (the reference with one line
changed) and each correct variant. The similarity report must list the pair
and only it, at the default threshold.

    python -m samples.similar DEST [N]   # write the class: DEST/<student>/mle.py
                                         # (N: a larger class, N students, for timing)
"""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from samples.submissions import apply, catalogue, correct_variants, reference_source, stub_source, write

ASSIGNMENT = "mle"
#: the planted pair: (who wrote it, who handed in the renamed copy)
PAIR = ("07_lee", "08_kim")

#: Lee's own bodies of the graded functions (they replace the stub's TODO lines)
LEE = {
    "bernoulli_mle": """\
    # fraction of ones = MLE
    values = _as_1d(x)
    _check_binary(values)
    ones = 0.0
    for v in values:
        ones += v
    return float(ones / len(values))
""",
    "bernoulli_log_likelihood": """\
    values = _as_1d(x)
    _check_binary(values)
    if not 0.0 <= theta <= 1.0:
        raise ValueError("theta has to be a probability")
    ones = float(np.sum(values))
    zeros = len(values) - ones
    total = 0.0
    # 0 * log(0) counts as 0, so only add a term when its count is positive
    if ones > 0:
        total += ones * math.log(theta) if theta > 0 else -math.inf
    if zeros > 0:
        total += zeros * math.log1p(-theta) if theta < 1 else -math.inf
    return float(total)
""",
    "gaussian_mle": """\
    values = _as_1d(x)
    count = len(values)
    mu = sum(values) / count
    spread = 0.0
    for v in values:
        spread += (v - mu) * (v - mu)
    return float(mu), float(spread / count)   # divide by n, not n-1
""",
    "gaussian_log_likelihood": """\
    values = _as_1d(x)
    var = _check_var(var)
    count = len(values)
    resid = values - mean
    # log N summed over the samples
    return float(-count / 2.0 * math.log(2.0 * math.pi * var) - np.dot(resid, resid) / (2.0 * var))
""",
    "mvn_mle": """\
    data = _as_2d(X)
    rows, cols = data.shape
    centre = data.sum(axis=0) / rows
    scatter = np.zeros((cols, cols))
    for row in data:
        d = (row - centre).reshape(-1, 1)
        scatter += d @ d.T
    return centre, scatter / rows
""",
    "mvn_logpdf": """\
    data = _as_2d(X)
    rows, cols = data.shape
    centre, sigma = _as_gaussian(mean, cov, "cov")
    try:
        tri = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        raise ValueError("cov must be symmetric positive definite") from None
    # solve L y = (x - mu) for every row at once, then |y|^2 is the Mahalanobis distance
    ys = linalg.solve_triangular(tri, (data - centre).T, lower=True)
    dist2 = (ys * ys).sum(axis=0)
    logdet = 2.0 * np.log(np.diagonal(tri)).sum()
    return -0.5 * (cols * LOG_2PI + logdet + dist2)
""",
    "spherical_mle": """\
    data = _as_2d(X)
    rows, cols = data.shape
    centre = data.sum(axis=0) / rows
    total = 0.0
    for row in data:
        total += float(((row - centre) ** 2).sum())
    return centre, total / (rows * cols)
""",
    "spherical_log_likelihood": """\
    data = _as_2d(X)
    rows, cols = data.shape
    var = _check_var(var)
    centre = _as_mean(mean, cols)
    sq = float(((data - centre) ** 2).sum())
    # every feature has the same variance: d copies of the 1-D formula
    return float(-rows * cols / 2.0 * math.log(2.0 * math.pi * var) - sq / (2.0 * var))
""",
    "labeled_mixture_mle": """\
    data = _as_2d(X)
    labels, n_components = _check_labels(z, n_components, data.shape[0])
    rows, cols = data.shape
    weights = np.zeros(n_components)
    means = np.zeros((n_components, cols))
    covariances = np.zeros((n_components, cols, cols))
    for comp in range(n_components):
        members = data[labels == comp]
        if len(members) == 0:
            continue  # nobody in this component
        weights[comp] = len(members) / rows
        means[comp] = members.sum(axis=0) / len(members)
        centred = members - means[comp]
        covariances[comp] = centred.T @ centred / len(members)
    return weights, means, covariances
""",
    "gaussian_kl": """\
    mp, sp = _as_gaussian(mean_p, cov_p, "cov_p")
    mq, sq = _as_gaussian(mean_q, cov_q, "cov_q")
    if mp.shape != mq.shape:
        raise ValueError("p and q need the same number of features")
    dims = mp.shape[0]
    try:
        lp = np.linalg.cholesky(sp)
        lq = np.linalg.cholesky(sq)
    except np.linalg.LinAlgError:
        raise ValueError("both covariances must be symmetric positive definite") from None
    inner = linalg.solve_triangular(lq, lp, lower=True)
    shift = linalg.solve_triangular(lq, mq - mp, lower=True)
    trace_term = float((inner ** 2).sum())
    maha_term = float(shift @ shift)
    logdet_ratio = 2.0 * float(np.log(np.diagonal(lq)).sum() - np.log(np.diagonal(lp)).sum())
    # KL = 1/2 (trace + mahalanobis - d + log det ratio)
    return 0.5 * (trace_term + maha_term - dims + logdet_ratio)
""",
    "monte_carlo_kl": """\
    lp = np.asarray(log_p, dtype=float).ravel()
    lq = np.asarray(log_q, dtype=float).ravel()
    if lp.shape != lq.shape or lp.size == 0:
        raise ValueError("log_p and log_q need the same, non-zero length")
    diffs = [a - b for a, b in zip(lp, lq)]
    return float(sum(diffs) / len(diffs))
""",
}

#: Kim's disguise: every identifier of Lee's own renamed (whole words) ...
RENAMES = {
    "values": "arr", "ones": "n_one", "zeros": "n_zero", "total": "acc", "count": "N", "mu": "m_hat",
    "spread": "ss", "resid": "dev", "data": "A", "rows": "n", "cols": "d", "centre": "mu_vec",
    "scatter": "S", "row": "a_i", "sigma": "C", "tri": "Lc", "ys": "W", "dist2": "q", "logdet": "ld",
    "sq": "sum_sq", "labels": "lab", "members": "A_k", "comp": "j", "centred": "D_k", "mp": "m1",
    "sp": "S1", "mq": "m2", "dims": "dim", "lp": "L1", "lq": "L2", "inner": "M", "shift": "u",
    "trace_term": "tr", "maha_term": "mh", "logdet_ratio": "ldr", "diffs": "gaps",
}
#: ... and every comment of hers rewritten
COMMENTS = {
    "# fraction of ones = MLE": "# the estimate is just the proportion of 1s",
    "# 0 * log(0) counts as 0, so only add a term when its count is positive":
        "# skip empty terms (convention 0 log 0 = 0)",
    "# divide by n, not n-1": "# biased (ML) version",
    "# log N summed over the samples": "# total Gaussian log-density",
    "# solve L y = (x - mu) for every row at once, then |y|^2 is the Mahalanobis distance":
        "# triangular solve instead of inverting C",
    "# every feature has the same variance: d copies of the 1-D formula": "# isotropic case",
    "# nobody in this component": "# empty cluster",
    "# KL = 1/2 (trace + mahalanobis - d + log det ratio)": "# closed form of KL(p||q)",
}

_TODO = re.compile(r"    # TODO: write (?P<name>\w+) \(see its docstring for what it returns\)\.\n"
                   r"    raise NotImplementedError\(\"(?P=name) is not written yet\"\)\n")


def _rename(text, names):
    """``text`` with the whole-word identifiers ``names`` renamed (never an attribute: ``np.zeros`` stays)."""
    return re.sub(r"(?<![.\w])(" + "|".join(map(re.escape, names)) + r")\b", lambda m: names[m[1]], text)


def lee():
    """Lee's submission: the stub with her own bodies in place of its TODO lines."""
    def body(m):
        return LEE[m["name"]]
    text, n = _TODO.subn(body, stub_source(ASSIGNMENT))
    if n != len(LEE):
        raise ValueError(f"the {ASSIGNMENT} stub has {n} TODO lines, Lee wrote {len(LEE)} bodies: "
                         "update samples/similar.py's LEE to the stub's functions")
    return text


def kim():
    """Kim's submission: Lee's, with her identifiers renamed and her comments rewritten."""
    bodies = {}
    for name, text in LEE.items():
        for old, new in COMMENTS.items():
            text = text.replace(old, new)
        bodies[name] = _rename(text, RENAMES)
    text, _ = _TODO.subn(lambda m: bodies[m["name"]], stub_source(ASSIGNMENT))
    return text


def planted_class(dest):
    """Write the class: ``dest/<student>/mle.py``; return ``{student: text}``.

    Students: ``01_reference``, ``02_untouched_stub``, one per typical mistake
    (``mistake_<name>``), one per correct variant (``correct_<name>``) and the
    pair :data:`PAIR`.
    """
    texts = {"01_reference": reference_source(ASSIGNMENT), "02_untouched_stub": stub_source(ASSIGNMENT),
             PAIR[0]: lee(), PAIR[1]: kim()}
    for bug in catalogue(ASSIGNMENT):
        texts[f"mistake_{bug.name}"] = apply(ASSIGNMENT, bug)
    for variant in correct_variants(ASSIGNMENT):
        texts[f"correct_{variant.name}"] = apply(ASSIGNMENT, variant)
    for student, text in texts.items():
        write(Path(dest) / student, ASSIGNMENT, text)
    return texts


def larger_class(dest, n, seed=0):
    """A class of ``n`` students for timing: the planted class, then copies of Lee's solution,
    each with one of her lines dropped and her identifiers renamed at random (so that every
    pair shares most of its code: the most work the comparison can be given per student)."""
    rng = random.Random(seed)
    texts = planted_class(dest)
    own = lee().splitlines(keepends=True)
    i = 0
    while len(texts) < n:
        lines = list(own)
        del lines[rng.randrange(len(lines))]
        text = "".join(lines)
        names = {old: f"{old}_{rng.randrange(1000)}" for old in RENAMES if rng.random() < 0.5}
        if names:
            text = _rename(text, names)
        i += 1
        texts[f"copy_{i:04d}"] = text
        write(Path(dest) / f"copy_{i:04d}", ASSIGNMENT, text)
    return texts


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/similar_class")
    made = larger_class(out, int(sys.argv[2])) if len(sys.argv) > 2 else planted_class(out)
    print(f"{len(made)} students written to {out}")
