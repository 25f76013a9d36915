"""Typical mistakes in the `kde` assignment, each a patch of the reference.

Every entry must lose points in the named hidden test, with feedback that
names the mistake — and no other (tests/test_mistakes.py checks it), so
``says`` is a phrase of that mistake's message and of no other's.
"""
from samples.submissions import Bug

LOGPDF_RETURN = "    return _log_kernel_sums(X_train, X_query, h) - log_norm"
LOO_SUMS = "log_sums = _log_kernel_sums(X, X, h, exclude_self=True)"

BUGS = [
    Bug("no_log_sum_exp", test="test_logpdf_far_from_data", says="no log-sum-exp", sample=True,
        replace=[(LOGPDF_RETURN,
                  "    with np.errstate(under='ignore', divide='ignore'):\n"
                  "        kernel_sums = np.exp(_log_kernel_sums(X_train, X_query, h))  # underflows\n"
                  "        return np.log(kernel_sums) - log_norm")]),
    Bug("log_of_sum_plus_eps", test="test_logpdf_far_from_data", says="plus a small ε",
        replace=[(LOGPDF_RETURN,
                  "    with np.errstate(under='ignore'):\n"
                  "        kernel_sums = np.exp(_log_kernel_sums(X_train, X_query, h))\n"
                  "    return np.log(kernel_sums + 1e-300) - log_norm  # avoids log 0")]),
    Bug("one_dimensional_normalising_constant", test="test_logpdf_matches_sklearn",
        says="1-D normalising constant",
        replace=[("log_norm = math.log(n_samples) + 0.5 * n_features * (LOG_2PI + 2.0 * math.log(h))",
                  "log_norm = math.log(n_samples) + 0.5 * (LOG_2PI + 2.0 * math.log(h))")]),
    Bug("bandwidth_used_as_variance", test="test_logpdf_matches_sklearn", says="used as the kernel's variance",
        replace=[("    X_train, X_query = _check_train_query(X_train, X_query)\n"
                  "    h = _check_bandwidth(bandwidth)",
                  "    X_train, X_query = _check_train_query(X_train, X_query)\n"
                  "    h = math.sqrt(_check_bandwidth(bandwidth))  # exp(-d^2 / (2 bandwidth))")]),
    Bug("kernels_summed_not_averaged", test="test_logpdf_matches_sklearn", says="summed, not averaged",
        replace=[("log_norm = math.log(n_samples) + 0.5 * n_features * (LOG_2PI + 2.0 * math.log(h))",
                  "log_norm = 0.5 * n_features * (LOG_2PI + 2.0 * math.log(h))")]),
    Bug("distances_expanded_without_centring", test="test_logpdf_far_from_the_origin",
        says="centre the data first",
        replace=[("    centre = X_train.mean(axis=0)\n", "    centre = np.zeros(X_train.shape[1])\n")]),
    Bug("full_difference_array", test="test_logpdf_memory_bounded", says="array of all differences",
        replace=[(LOGPDF_RETURN,
                  "    from scipy.special import logsumexp\n"
                  "    diff = X_query[:, np.newaxis, :] - X_train[np.newaxis, :, :]  # (m, n, d)\n"
                  "    return logsumexp(-0.5 * np.sum(diff**2, axis=2) / h**2, axis=1) - log_norm")]),
    Bug("full_distance_matrix", test="test_logpdf_memory_bounded", says="full (m, n) matrix",
        replace=[(LOGPDF_RETURN,
                  "    from scipy.special import logsumexp\n"
                  "    sq = (np.sum(X_query**2, axis=1)[:, np.newaxis] + np.sum(X_train**2, axis=1)\n"
                  "          - 2 * X_query @ X_train.T)  # (m, n), all pairs at once\n"
                  "    return logsumexp(-0.5 * np.maximum(sq, 0) / h**2, axis=1) - log_norm")]),
    Bug("sigma_bar_divisor_n", test="test_scott_bandwidth_1d", says="divisor n;", sample=True,
        replace=[("return float(np.sqrt(np.mean(np.var(X, axis=0, ddof=1))))",
                  "return float(np.sqrt(np.mean(np.var(X, axis=0))))")]),
    Bug("sklearn_bare_scott_factor", test="test_scott_bandwidth_1d",
        says="returned the bare factor",
        replace=[("return _mean_std(X) * n_samples ** (-1.0 / (n_features + 4))",
                  "return float(n_samples ** (-1.0 / (n_features + 4)))  # like KernelDensity(bandwidth='scott')")]),
    Bug("one_dimensional_exponent", test="test_scott_bandwidth_in_d_dimensions", says="−1/(d+4)",
        replace=[("return _mean_std(X) * n_samples ** (-1.0 / (n_features + 4))",
                  "return _mean_std(X) * n_samples ** (-1.0 / 5)")]),
    Bug("silverman_constant_0_9", test="test_silverman_bandwidth_1d", says="the constant 0.9 of Silverman's rule",
        replace=[("factor = (n_samples * (n_features + 2) / 4.0) ** (-1.0 / (n_features + 4))",
                  "factor = 0.9 * n_samples ** (-1.0 / (n_features + 4))  # Silverman's 0.9 sigma n^(-1/5)")]),
    Bug("silverman_constant_1_05", test="test_silverman_bandwidth_1d", says="the constant 1.05 of Silverman's rule",
        replace=[("factor = (n_samples * (n_features + 2) / 4.0) ** (-1.0 / (n_features + 4))",
                  "factor = 1.05 * n_samples ** (-1.0 / (n_features + 4))  # 1.05 sigma n^(-1/5)")]),
    Bug("silverman_constant_1_06", test="test_silverman_bandwidth_1d", says="the constant 1.06 of Silverman's rule",
        replace=[("factor = (n_samples * (n_features + 2) / 4.0) ** (-1.0 / (n_features + 4))",
                  "factor = 1.06 * n_samples ** (-1.0 / (n_features + 4))  # 1.06 sigma n^(-1/5)")]),
    Bug("silverman_pooled_standard_deviation", test="test_silverman_bandwidth_in_d_dimensions",
        says="all entries pooled",
        replace=[("    return _mean_std(X) * factor", "    return float(np.std(X, ddof=1)) * factor  # one sigma for all")]),
    Bug("loo_keeps_the_point_itself", test="test_loo_log_likelihood", says="kept in its own density",
        replace=[(LOO_SUMS, "log_sums = _log_kernel_sums(X, X, h)")]),
    Bug("loo_divides_by_n", test="test_loo_log_likelihood", says="density was divided by n",
        replace=[("log_norm = math.log(n_samples - 1) + 0.5", "log_norm = math.log(n_samples) + 0.5")]),
    Bug("loo_in_linear_space", test="test_loo_duplicates_and_outlier",
        says="underflows to 0 unless computed with log-sum-exp",
        replace=[(LOO_SUMS,
                  "with np.errstate(under='ignore', divide='ignore'):  # densities, then their logs\n"
                  "        log_sums = np.log(np.exp(_log_kernel_sums(X, X, h, exclude_self=True)))")]),
    Bug("loo_self_left_out_only_in_the_first_block", test="test_loo_many_rows", says="left out only in the first block",
        replace=[("                lo, hi = max(q0, t0), min(q1, t1)",
                  "                lo, hi = max(q0, t0), min(q1, t1, _MAX_TRAIN_BLOCK)")]),
    Bug("select_smallest_score", test="test_select_bandwidth", says="smallest leave-one-out score",
        replace=[("candidates[int(np.argmax(scores))]", "candidates[int(np.argmin(scores))]")]),
    Bug("sample_without_noise", test="test_kde_sample_moments", says="no noise was added",
        replace=[("return X_train[rows] + h * rng.standard_normal((n_samples, n_features))",
                  "return X_train[rows]")]),
    Bug("sample_noise_scaled_by_variance", test="test_kde_sample_moments", says="standard deviation was h²",
        replace=[("return X_train[rows] + h * rng.standard_normal((n_samples, n_features))",
                  "return X_train[rows] + h**2 * rng.standard_normal((n_samples, n_features))")]),
    Bug("sample_same_noise_every_feature", test="test_kde_sample_moments", says="same noise value",
        replace=[("return X_train[rows] + h * rng.standard_normal((n_samples, n_features))",
                  "return X_train[rows] + h * rng.standard_normal((n_samples, 1))")]),
    Bug("sample_ignores_seed", test="test_kde_sample_seed", says="same int seed",
        replace=[("rng = np.random.default_rng(rng)\n    rows", "rng = np.random.default_rng()\n    rows")]),
]


#: Correct solutions written another way: each must score 100 (tests/test_assignments.py).
CORRECT = [
    Bug("plain_n_by_n_leave_one_out_and_a_list_for_no_samples", test="", says="", replace=[
        (LOO_SUMS, "from scipy.special import logsumexp\n"
                   "    log_k = -0.5 * ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1) / h**2\n"
                   "    np.fill_diagonal(log_k, -np.inf)\n"
                   "    log_sums = logsumexp(log_k, axis=1)"),
        ("    n_samples = int(n_samples)\n    rng = np.random.default_rng(rng)\n",
         "    n_samples = int(n_samples)\n    if n_samples == 0:\n        return []\n"
         "    rng = np.random.default_rng(rng)\n")]),
]
