"""Typical mistakes in the `bmm` assignment, each a patch of the reference.

Every entry must lose points in the named hidden test, with feedback that
names the mistake (tests/test_assignments.py checks both).
"""
from samples.submissions import Bug

BUGS = [
    Bug("random_start_normalised_per_column", test="test_random_start_history", says="normalised per column",
        replace=[("resp /= resp.sum(axis=1, keepdims=True)", "resp /= resp.sum(axis=0, keepdims=True)")]),
    # no smoothing: p = Σ resp·x / N_k is 0 for a pixel never on, and x·log p with log 0 = −inf gives NaN
    Bug("no_smoothing_log_zero_nan", test="test_m_step", says="no smoothing", sample=True,
        replace=[("numerator = counts + alpha\n        denominator = (nk + 2.0 * alpha)[:, np.newaxis]",
                  "numerator = counts\n        denominator = nk[:, np.newaxis]"),
                 ("if not (zero.any() or one.any()):", "if True:  # no special case for p = 0 or 1")]),
    Bug("smoothing_alpha_once", test="test_m_step", says="alpha once",
        replace=[("denominator = (nk + 2.0 * alpha)[:, np.newaxis]",
                  "denominator = (nk + alpha)[:, np.newaxis]")]),
    Bug("unnormalised_weights", test="test_m_step", says="unnormalised weights",
        replace=[("weights = nk / n_samples", "weights = nk.copy()")]),
    Bug("binarize_greater_or_equal", test="test_binarize_float_threshold", says=">=",
        replace=[("return (images > threshold).astype(np.float64)",
                  "return (images >= threshold).astype(np.float64)")]),
    Bug("binarize_uint8_not_scaled", test="test_binarize_uint8", says="not divided by 255",
        replace=[("    if images.dtype == np.uint8:\n        images = images / 255.0\n", "")]),
    Bug("log_prob_missing_one_minus_x_term", test="test_bernoulli_log_prob", says="(1 − x)",
        replace=[("return ((log_p - log_1mp) @ X.T).T + log_1mp.sum(axis=1)", "return (log_p @ X.T).T")]),
    Bug("e_step_not_in_log_space", test="test_e_step", says="underflow",
        replace=[("    weighted_log_prob = _estimate_weighted_log_prob(X, weights, probs)\n"
                  "    with np.errstate(under=\"ignore\"):\n"
                  "        log_prob_norm = logsumexp(weighted_log_prob, axis=1)\n",
                  "    weighted_log_prob = _estimate_weighted_log_prob(X, weights, probs)\n"
                  "    with np.errstate(all=\"ignore\"):\n"
                  "        prob = np.exp(weighted_log_prob)\n"
                  "        total = prob.sum(axis=1)\n"
                  "        return prob / total[:, np.newaxis], float(np.log(total).sum())\n"
                  "    with np.errstate(under=\"ignore\"):\n"
                  "        log_prob_norm = logsumexp(weighted_log_prob, axis=1)\n")]),
    Bug("e_step_mean_log_likelihood", test="test_e_step", says="mean log-likelihood",
        replace=[("return resp, float(log_prob_norm.sum())", "return resp, float(log_prob_norm.mean())")]),
    # the unsmoothed mean first, then smoothing: 0/0 = NaN for a component with N_k = 0
    Bug("dead_component_nan", test="test_dead_component", says="must not produce NaN",
        replace=[("numerator = counts + alpha",
                  "numerator = nk[:, np.newaxis] * (counts / nk[:, np.newaxis]) + alpha")]),
    Bug("stopping_rule_not_divided_by_n", test="test_em_stopping_rule", says="not divided by n",
        replace=[("if abs(log_likelihood - previous) / n_samples < self.tol:",
                  "if abs(log_likelihood - previous) < self.tol:")]),
    Bug("parameters_before_last_m_step", test="test_em_stopping_rule", says="before the last M-step",
        replace=[("            weights, probs = _m_step(X, resp, alpha)\n"
                  "            if abs(log_likelihood - previous) / n_samples < self.tol:\n"
                  "                converged = True\n"
                  "                break\n",
                  "            if abs(log_likelihood - previous) / n_samples < self.tol:\n"
                  "                converged = True\n"
                  "                break\n"
                  "            weights, probs = _m_step(X, resp, alpha)\n")]),
    Bug("score_is_the_total", test="test_mixture_predictions", says="returned the total",
        replace=[("return float(self.score_samples(X).mean())", "return float(self.score_samples(X).sum())")]),
    Bug("sample_pixels_inverted", test="test_mixture_sample", says="draw 1 where u < p",
        replace=[("X = (rng.random((n_samples, self.probs_.shape[1])) < self.probs_[z])",
                  "X = (rng.random((n_samples, self.probs_.shape[1])) > self.probs_[z])")]),
    Bug("ignoring_class_prior", test="test_naive_bayes", says="class prior",
        replace=[("return log_px + self.class_log_prior_", "return log_px")]),
    Bug("predict_returns_indices", test="test_predict_labels", says="indices", sample=True,
        replace=[("return self.classes_[self._joint_log_likelihood(X).argmax(axis=1)]",
                  "return self._joint_log_likelihood(X).argmax(axis=1)")]),
    Bug("classifier_samples_another_class", test="test_classifier_sample", says="another class's mixture",
        replace=[("return self.mixtures_[matches[0]].sample(n_samples)[0]",
                  "return self.mixtures_[(matches[0] + 1) % len(self.mixtures_)].sample(n_samples)[0]")]),
    Bug("classifier_ignores_n_components", test="test_accuracy", says="one component per class",
        replace=[("n_components=self.n_components, alpha=self.alpha, tol=self.tol,",
                  "n_components=1, alpha=self.alpha, tol=self.tol,")]),
    Bug("cluster_accuracy_by_cluster_id", test="test_cluster_accuracy", says="by cluster id",
        replace=[("return float(counts.max(axis=1).sum() / y_true.size)",
                  "return float(np.mean(y_true == clusters))")]),
    Bug("classifier_ignores_alpha", test="test_naive_bayes", says="was not passed on to its mixtures",
        replace=[("n_components=self.n_components, alpha=self.alpha, tol=self.tol,",
                  "n_components=self.n_components, tol=self.tol,")]),
    Bug("log_likelihood_after_the_m_step", test="test_em_trajectory", says="computed after the M-step",
        replace=[("            log_likelihood_history.append(log_likelihood)\n"
                  "            weights, probs = _m_step(X, resp, alpha)\n",
                  "            weights, probs = _m_step(X, resp, alpha)\n"
                  "            log_likelihood_history.append(_e_step(X, weights, probs)[1])\n")]),
    Bug("log_prob_edges_need_both_0_and_1", test="test_bernoulli_log_prob_edges", says="rule on its own",
        replace=[("    if not (zero.any() or one.any()):\n", "    if not (zero.any() and one.any()):\n")]),
    Bug("small_component_treated_as_empty", test="test_m_step", says="as if it were empty",
        replace=[("where=denominator > 0)", "where=denominator > 1)")]),
    Bug("stopping_rule_not_strict", test="test_em_stopping_rule", says="the stopping test is not strict",
        replace=[("if abs(log_likelihood - previous) / n_samples < self.tol:",
                  "if abs(log_likelihood - previous) / n_samples <= self.tol:")]),
    # the E-step's "log-likelihood" as a sum of densities Σ_n p(x_n), not of their logs (responsibilities right)
    Bug("e_step_log_likelihood_of_densities", test="test_e_step", says="sum of densities",
        replace=[("return resp, float(log_prob_norm.sum())", "return resp, float(np.exp(log_prob_norm).sum())")]),
    # log Σ exp without the row maximum: log 0 = −inf where every term underflows, resp = exp(a + inf) = inf
    Bug("e_step_logsumexp_unshifted", test="test_e_step", says="without subtracting the row maximum",
        replace=[("        log_prob_norm = logsumexp(weighted_log_prob, axis=1)\n"
                  "        if np.isneginf(log_prob_norm).any():\n",
                  "        log_prob_norm = np.log(np.exp(weighted_log_prob).sum(axis=1))\n"
                  "        if False:  # no check: log 0 = −inf passes on\n")]),
    # an empty component with alpha = 0 gets p = 0 (log p = −inf) instead of 1/2
    Bug("dead_component_p_zero", test="test_dead_component", says="got p = 0",
        replace=[("out=np.full_like(numerator, 0.5)", "out=np.zeros_like(numerator)")]),
]
