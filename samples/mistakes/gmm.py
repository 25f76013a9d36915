"""Typical mistakes in the `gmm` assignment, each a patch of the reference.

Every entry must lose points in the named hidden test, with feedback that
names the mistake (tests/test_assignments.py checks both).
"""
from samples.submissions import Bug

SOFT_RESP = "test_soft_kmeans_resp_is_the_e_step_with_weights_1_over_K_and_variance_1_over_2beta"

BUGS = [
    Bug("responsibilities_normalised_over_samples", test="test_e_step_full", says="normalised over the samples",
        replace=[("    log_prob_norm, resp = _normalize_log_prob(weighted_log_prob)\n",
                  "    log_prob_norm = logsumexp(weighted_log_prob, axis=1)\n"
                  "    resp = np.exp(weighted_log_prob - logsumexp(weighted_log_prob, axis=0))\n")]),
    Bug("weights_divided_by_K", test="test_m_step_full", says="divided by K", sample=True,
        replace=[("weights = nk / nk.sum()", "weights = nk / resp.shape[1]")]),
    Bug("no_reg_covar", test="test_m_step_full", says="reg_covar was not added",
        replace=[("        covariances[k].flat[:: n_features + 1] += reg_covar\n", ""),
                 ("    covariances += reg_covar\n", "")]),
    Bug("stopping_on_the_total_change", test="test_stopping_rule", says="summed log-likelihood",
        sample=True,
        replace=[("if abs(ll - prev_ll) / n_samples < self.tol:", "if abs(ll - prev_ll) < self.tol:")]),
    Bug("log_determinant_dropped", test="test_log_gaussian_prob_full", says="log|Σₖ| term is missing",
        replace=[("    log_prob += log_det_chol\n", "")]),
    Bug("log_of_determinant_underflows", test="test_log_gaussian_prob_extremes", says="log(det(Σ))",
        replace=[("    log_prob += log_det_chol\n",
                  "    if covariance_type == 'full':\n"
                  "        with np.errstate(all='ignore'):\n"
                  "            log_prob -= 0.5 * np.log(np.linalg.det(covariances))\n"
                  "    else:\n"
                  "        log_prob += log_det_chol\n")]),
    Bug("parameters_without_the_weights", test="test_n_parameters", says="K−1 free weights were not counted",
        replace=[("return (K - 1) + K * d + cov_params", "return K * d + cov_params")]),
    Bug("bic_with_the_wrong_sign", test="test_bic_aic", says="sign is flipped",
        replace=[("return float(-2.0 * np.sum(self.score_samples(X)) + self._n_parameters() * np.log(X.shape[0]))",
                  "return float(2.0 * np.sum(self.score_samples(X)) - self._n_parameters() * np.log(X.shape[0]))")]),
    Bug("predict_by_argmin", test="test_predict_proba_and_predict", says="arg-min",
        replace=[("return np.argmax(self._estimate_weighted_log_prob(X), axis=1)",
                  "return np.argmin(self._estimate_weighted_log_prob(X), axis=1)")]),
    Bug("kmeans_centres_never_updated", test="test_kmeans_matches_sklearn", says="never moved",
        replace=[("centers = _update_centers(Xc, labels, centers)", "centers = centers")]),
    Bug("spherical_variance_summed", test="test_m_step_spherical", says="sum of the d variances",
        replace=[("return _estimate_gaussian_covariances_diag(X, resp, nk, means, reg_covar).mean(axis=1)",
                  "return _estimate_gaussian_covariances_diag(X, resp, nk, means, reg_covar).sum(axis=1)")]),
    Bug("sampling_ignores_the_weights", test="test_sample_statistics_full", says="equal probability",
        replace=[("counts = self._rng.multinomial(n_samples, weights)",
                  "counts = self._rng.multinomial(n_samples, np.full(len(weights), 1.0 / len(weights)))")]),
    Bug("e_step_mean_log_likelihood", test="test_e_step_full", says="average log-likelihood per sample",
        replace=[("    return resp, float(np.sum(log_prob_norm))", "    return resp, float(np.mean(log_prob_norm))")]),
    Bug("e_step_sum_of_densities", test="test_e_step_full", says="sum of the densities",
        replace=[("    return resp, float(np.sum(log_prob_norm))", "    return resp, float(np.sum(np.exp(log_prob_norm)))")]),
    Bug("e_step_not_in_log_space", test="test_e_step_far_away", says="exponentiated before normalising",
        replace=[("    log_prob_norm, resp = _normalize_log_prob(weighted_log_prob)\n",
                  "    with np.errstate(all='ignore'):\n"
                  "        density = np.exp(weighted_log_prob)\n"
                  "        total = density.sum(axis=1)\n"
                  "        resp = density / total[:, np.newaxis]\n"
                  "        log_prob_norm = np.log(total)\n")]),
    Bug("sample_noise_scaled_by_the_variance", test="test_sample_statistics_diag", says="scale the standard normal noise",
        replace=[("cov_chol = np.sqrt(self.covariances_)", "cov_chol = self.covariances_")]),
    Bug("history_of_means", test="test_fit_history", says="per-sample means",
        replace=[("history.append(float(ll))", "history.append(float(ll) / n_samples)")]),
    Bug("kmeans_labels_one_round_stale", test="test_kmeans_matches_sklearn", says="one round stale",
        replace=[("    if not converged:  # the centres moved after the last assignment\n"
                  "        labels = _assign_labels(Xc, centers)\n", "")]),
    Bug("kmeans_without_max_iter", test="test_kmeans_matches_sklearn", says="max_iter was ignored",
        replace=[("    for _ in range(int(max_iter)):\n        labels = _assign_labels(Xc, centers)",
                  "    for _ in range(10**6):\n        labels = _assign_labels(Xc, centers)")]),
    Bug("log_likelihood_after_the_m_step", test="test_fit_history", says="evaluated after the M-step",
        replace=[("            resp, ll = e_step(X, weights, means, covariances, self.covariance_type)\n"
                  "            weights, means, covariances = m_step(X, resp, self.covariance_type, self.reg_covar)\n",
                  "            resp, _ = e_step(X, weights, means, covariances, self.covariance_type)\n"
                  "            weights, means, covariances = m_step(X, resp, self.covariance_type, self.reg_covar)\n"
                  "            _, ll = e_step(X, weights, means, covariances, self.covariance_type)\n")]),
    Bug("signed_change_in_the_stopping_rule", test="test_stopping_rule", says="signed change",
        replace=[("if abs(ll - prev_ll) / n_samples < self.tol:", "if (ll - prev_ll) / n_samples < self.tol:")]),
    Bug("stopping_rule_not_strict", test="test_stopping_rule", says="the rule is strict",
        replace=[("if abs(ll - prev_ll) / n_samples < self.tol:", "if abs(ll - prev_ll) / n_samples <= self.tol:")]),
    Bug("covariance_divided_by_nk_minus_1", test="test_m_step_full", says="divided by Nₖ − 1",
        replace=[("        covariances[k] /= nk[k]\n", "        covariances[k] /= nk[k] - 1\n")]),
    Bug("log_of_a_sum_with_eps", test="test_e_step_far_away", says="an ε was added",
        replace=[("    log_prob_norm, resp = _normalize_log_prob(weighted_log_prob)\n",
                  "    with np.errstate(all='ignore'):\n"
                  "        density = np.exp(weighted_log_prob)\n"
                  "        total = density.sum(axis=1) + 1e-8\n"
                  "        resp = density / total[:, np.newaxis]\n"
                  "        log_prob_norm = np.log(total)\n")]),
    Bug("score_samples_in_linear_space", test="test_score_samples_and_score", says="linear space and then logged",
        replace=[("        return logsumexp(self._estimate_weighted_log_prob(X), axis=1)\n",
                  "        with np.errstate(all='ignore'):\n"
                  "            return np.log(np.exp(self._estimate_weighted_log_prob(X)).sum(axis=1))\n")]),
    Bug("sigma_where_the_precision_belongs", test="test_log_gaussian_prob_full", says="Σ was used where Σ⁻¹ belongs",
        replace=[("    log_prob = _estimate_mahalanobis(X, means, precisions_chol, covariance_type)\n",
                  "    sigma_chol = (np.linalg.cholesky(covariances) if covariance_type == 'full'\n"
                  "                  else np.sqrt(covariances))\n"
                  "    log_prob = _estimate_mahalanobis(X, means, sigma_chol, covariance_type)\n")]),
    Bug("select_the_highest_bic", test="test_select_n_components", says="highest BIC",
        replace=[("better = best_value is None or value < best_value", "better = best_value is None or value > best_value")]),
    Bug("kmeans_empty_cluster_becomes_nan", test="test_kmeans_matches_sklearn", says="the mean of no rows is 0/0",
        replace=[("    nonempty = counts > 0\n", "    nonempty = counts >= 0\n")]),
    Bug("kmeans_plusplus_distances_never_lowered", test="test_kmeans_random_start", says="the start drew a row twice",
        replace=[("        np.minimum(closest_sq, np.sum((X - X[indices[c]]) ** 2, axis=1), out=closest_sq)\n", "")]),
    Bug("dead_component_weight_without_the_guard", test="test_m_step_empty_component",
        says="the guard belongs to Nₖ itself",
        replace=[("weights = nk / nk.sum()", "weights = resp.sum(axis=0) / resp.sum()")]),
    Bug("random_start_rows_not_normalised", test="test_fit_history", says="each row normalised to sum to 1",
        replace=[("                resp /= resp.sum(axis=1, keepdims=True)\n", "")]),
    Bug("kmeans_one_member_cluster_kept", test="test_kmeans_matches_sklearn", says="a cluster with a single row",
        replace=[("    nonempty = counts > 0\n", "    nonempty = counts > 1\n")]),
    Bug("mahalanobis_centred_on_the_sum", test="test_log_gaussian_prob_extremes", says="digits lost",
        replace=[("    shift = X.mean(axis=0)\n    means = means - shift\n", "    shift = X.sum(axis=0)\n    means = means - shift\n")]),
]

# soft k-means (part 7) and choosing K on held-out data (part 6)

SOFT_LOOP_RESP = '        resp, _ = e_step(X, weights, centers, variances, "spherical")\n        totals'
SOFT_LAST_RESP = '            break\n    resp, _ = e_step(X, weights, centers, variances, "spherical")\n'


def soft_resp(expression):
    """Both responsibility computations of the reference's soft_kmeans replaced by ``expression`` (in
    terms of ``d2``, the (n, K) squared distances, and ``beta``)."""
    compute = ("d2 = ((X[:, np.newaxis, :] - centers[np.newaxis]) ** 2).sum(axis=2)\n"
               f"{{indent}}resp = {expression}\n")
    return [(SOFT_LOOP_RESP, "        " + compute.format(indent="        ") + "        totals"),
            (SOFT_LAST_RESP, "            break\n    " + compute.format(indent="    "))]


BUGS += [
    Bug("soft_kmeans_beta_as_a_variance", test=SOFT_RESP, says="β was used as a variance",
        replace=[("variances = np.full(n_clusters, 0.5 / beta)", "variances = np.full(n_clusters, beta)")]),
    Bug("soft_kmeans_variance_one_over_beta", test=SOFT_RESP, says="σ² = 1/β",
        replace=[("variances = np.full(n_clusters, 0.5 / beta)", "variances = np.full(n_clusters, 1.0 / beta)")]),
    Bug("soft_kmeans_softmax_over_the_samples", test=SOFT_RESP, says="softmax was taken over the samples",
        replace=soft_resp("np.exp(-beta * d2 - logsumexp(-beta * d2, axis=0))")),
    Bug("soft_kmeans_resp_one_round_stale", test=SOFT_RESP, says="one round stale",
        replace=[(SOFT_LAST_RESP, "            break\n")]),
    Bug("soft_kmeans_centres_divided_by_n", test="test_soft_kmeans_centres_are_the_resp_weighted_means",
        says="the centres were divided by n", replace=[("(resp[:, moved].T @ X) / totals[moved, np.newaxis]",
                                       "(resp[:, moved].T @ X) / X.shape[0]")]),
    Bug("soft_kmeans_without_log_sum_exp", test="test_soft_kmeans_far_from_every_centre",
        says="normalised without log-sum-exp",
        replace=soft_resp("np.exp(-beta * d2) / np.exp(-beta * d2).sum(axis=1, keepdims=True)")),
    Bug("soft_kmeans_empty_cluster_becomes_nan", test="test_soft_kmeans_far_from_every_centre",
        says="became NaN (0/0)", replace=[("        moved = totals > 0\n", "        moved = totals >= 0\n")]),
    Bug("soft_kmeans_stops_on_the_summed_move", test="test_soft_kmeans_stops_at_a_fixed_point",
        says="sum of the moves", replace=[("shift = np.max(np.abs(new_centers - centers))",
                                           "shift = np.sum(np.abs(new_centers - centers))")]),
    Bug("soft_kmeans_start_rows_drawn_with_replacement", test="test_soft_kmeans_stops_at_a_fixed_point",
        says="the start drew a row twice; the K starting rows must be distinct (rng.choice",
        replace=[("choice(X.shape[0], size=n_clusters, replace=False)",
                  "choice(X.shape[0], size=n_clusters, replace=True)")]),
]
BUGS += [
    Bug("validation_on_the_training_data", test="test_select_n_components_on_held_out_data", says="validated on X",
        replace=[("value = float(np.sum(model.score_samples(X_val)))", "value = float(np.sum(model.score_samples(X)))")]),
    Bug("validation_picks_the_smallest_likelihood", test="test_select_n_components_on_held_out_data",
        says="smallest held-out log-likelihood",
        replace=[("better = best_value is None or value > best_value", "better = best_value is None or value < best_value")]),
    Bug("validation_tie_goes_to_the_last", test="test_select_n_components_on_held_out_data_ties_and_no_X_val",
        says="latest of the tied candidates",
        replace=[("better = best_value is None or value > best_value", "better = best_value is None or value >= best_value")]),
    Bug("validation_without_X_val_not_checked", test="test_select_n_components_on_held_out_data_ties_and_no_X_val",
        says="without X_val was not checked",
        replace=[("    if criterion == \"validation\" and X_val is None:\n"
                  "        raise ValueError(\"criterion='validation' needs the held-out data: pass X_val\")\n", "")]),
]

#: correct solutions written another way: each must score 100 (tests/test_assignments.py)
CORRECT = [
    # the mean held-out log-likelihood ranks the candidates as the total does (the same n_val for each)
    Bug("validation_by_the_mean_log_likelihood", test="", says="",
        replace=[("value = float(np.sum(model.score_samples(X_val)))", "value = float(model.score(X_val))")]),
]
