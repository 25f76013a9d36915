"""Typical mistakes in the `mle` assignment, each a patch of the reference.

Every entry must lose points in the named hidden test, with feedback that
names the mistake — and no other (tests/test_mistakes.py checks it), so
``says`` is a phrase of that mistake's message and of no other's.
"""
from samples.submissions import Bug

GAUSS_LL = "return float(-0.5 * n_samples * (LOG_2PI + math.log(var)) - 0.5 * sq / var)"
BERNOULLI_TERMS = "terms = xlogy(x, theta) + xlog1py(1.0 - x, -theta)"
MVN_MAHA = ("z = linalg.solve_triangular(chol, (X - mean).T, lower=True)  # (d, n)\n"
            "    maha = np.sum(z**2, axis=0)")
KL_RETURN = "return float(0.5 * (trace + maha - n_features + log_det_q - log_det_p))"
KL_SOLVES = ("a = linalg.solve_triangular(chol_q, chol_p, lower=True)\n"
             "    z = linalg.solve_triangular(chol_q, mean_q - mean_p, lower=True)\n"
             "    trace = np.sum(a**2)\n"
             "    maha = np.sum(z**2)")
KL_LOG_DETS = ("log_det_p = 2.0 * np.sum(np.log(np.diag(chol_p)))\n"
               "    log_det_q = 2.0 * np.sum(np.log(np.diag(chol_q)))")
MC_RETURN = "return float(np.mean(log_p - log_q))"

BUGS = [
    Bug("variance_divided_by_n_minus_1", test="test_gaussian_mle_variance", says="divided by n−1",
        replace=[("var = np.mean((x - mean) ** 2)", "var = np.var(x, ddof=1)")], sample=True),
    Bug("standard_deviation_not_variance", test="test_gaussian_mle_variance",
        says="returned the standard deviation σ̂",
        replace=[("return float(mean), float(var)", "return float(mean), float(np.sqrt(var))")]),
    Bug("one_pass_variance", test="test_gaussian_mle_variance", says="mean(x²) − mean(x)² loses every digit",
        replace=[("var = np.mean((x - mean) ** 2)", "var = np.mean(x**2) - mean**2")]),
    Bug("bernoulli_count_not_fraction", test="test_bernoulli_mle", says="number of ones",
        replace=[("return float(np.mean(x))", "return float(np.sum(x))")]),
    Bug("zero_log_zero_is_nan", test="test_bernoulli_zero_log_zero", says="0·log 0 came out as NaN",
        sample=True,
        replace=[(BERNOULLI_TERMS,
                  "with np.errstate(all='ignore'):\n"
                  "        terms = x * np.log(theta) + (1.0 - x) * np.log(1.0 - theta)")]),
    Bug("log_with_eps", test="test_bernoulli_zero_log_zero", says="added inside the log",
        replace=[(BERNOULLI_TERMS,
                  "terms = x * np.log(theta + 1e-8) + (1.0 - x) * np.log(1.0 - theta + 1e-8)")]),
    Bug("bernoulli_missing_second_term", test="test_bernoulli_log_likelihood", says="(1 − x)",
        replace=[(BERNOULLI_TERMS, "terms = xlogy(x, theta)")]),
    Bug("log_of_the_product", test="test_bernoulli_log_likelihood", says="log was taken of the product",
        replace=[(BERNOULLI_TERMS + "\n    return float(np.sum(terms))",
                  "return float(np.log(np.prod(theta**x * (1.0 - theta) ** (1.0 - x))))")]),
    Bug("variance_used_as_standard_deviation", test="test_gaussian_log_likelihood",
        says="used as the standard deviation",
        replace=[(GAUSS_LL,
                  "return float(-0.5 * n_samples * (LOG_2PI + 2 * math.log(var)) - 0.5 * sq / var**2)")]),
    Bug("mean_not_sum_log_likelihood", test="test_gaussian_log_likelihood",
        says="mean log-likelihood over the samples",
        replace=[(GAUSS_LL,
                  "return float((-0.5 * n_samples * (LOG_2PI + math.log(var)) - 0.5 * sq / var) / n_samples)")]),
    Bug("density_before_log_underflows", test="test_gaussian_log_likelihood_far_out",
        says="its log taken after",
        replace=[(GAUSS_LL,
                  "with np.errstate(all='ignore'):\n"
                  "        pdf = np.exp(-((x - mean) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)\n"
                  "        return float(np.sum(np.log(pdf)))")]),
    Bug("log_of_density_plus_eps", test="test_gaussian_log_likelihood_far_out", says="added before its log",
        replace=[(GAUSS_LL,
                  "pdf = np.exp(-((x - mean) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)\n"
                  "    return float(np.sum(np.log(pdf + 1e-10)))")]),
    Bug("covariance_divided_by_n_minus_1", test="test_mvn_mle", says="n−1",
        replace=[("cov = diff.T @ diff / n_samples", "cov = diff.T @ diff / (n_samples - 1)")]),
    Bug("covariance_not_centred", test="test_mvn_mle", says="not centred",
        replace=[("cov = diff.T @ diff / n_samples", "cov = X.T @ X / n_samples")]),
    Bug("covariance_one_pass", test="test_mvn_mle", says="XᵀX/n − mean·meanᵀ loses every digit",
        replace=[("cov = diff.T @ diff / n_samples", "cov = X.T @ X / n_samples - np.outer(mean, mean)")]),
    Bug("log_determinant_dropped", test="test_mvn_logpdf", says="−½·log det Σ term is missing",
        replace=[("return -0.5 * (n_features * LOG_2PI + log_det + maha)",
                  "return -0.5 * (n_features * LOG_2PI + maha)")]),
    Bug("normalising_constant_once", test="test_mvn_logpdf", says="log(2π) was counted once",
        replace=[("return -0.5 * (n_features * LOG_2PI + log_det + maha)",
                  "return -0.5 * (LOG_2PI + log_det + maha)")]),
    Bug("sigma_where_its_inverse_belongs", test="test_mvn_logpdf", says="Σ was used where Σ⁻¹ belongs",
        replace=[(MVN_MAHA, "z = chol.T @ (X - mean).T  # (d, n): Lᵀ(x − μ), so ‖z‖² = (x − μ)ᵀ Σ (x − μ)\n"
                            "    maha = np.sum(z**2, axis=0)")]),
    Bug("explicit_inverse", test="test_mvn_logpdf_ill_conditioned", says="formed explicitly",
        replace=[(MVN_MAHA, "diff = X - mean\n"
                            "    maha = np.einsum('ij,jk,ik->i', diff, np.linalg.inv(cov), diff)")]),
    Bug("log_of_determinant_overflows", test="test_mvn_logpdf_high_dimension", says="log(det(Σ))",
        replace=[("log_det = 2.0 * np.sum(np.log(np.diag(chol)))",
                  "with np.errstate(all='ignore'):\n"
                  "        log_det = np.log(np.linalg.det(cov))")]),
    Bug("spherical_variance_divided_by_n", test="test_spherical_mle", says="n·d",
        replace=[("var = np.mean((X - mean) ** 2)  # the mean over all n*d entries",
                  "var = np.sum((X - mean) ** 2) / X.shape[0]")]),
    Bug("spherical_constant_once_per_sample", test="test_spherical_log_likelihood",
        says="counted once per sample",
        replace=[("-0.5 * n_samples * n_features * (LOG_2PI + math.log(var)) - 0.5 * sq / var",
                  "-0.5 * n_samples * (LOG_2PI + math.log(var)) - 0.5 * sq / var")]),
    Bug("spherical_var_where_its_inverse_belongs", test="test_spherical_log_likelihood",
        says="var was used where 1/var belongs",
        replace=[("-0.5 * n_samples * n_features * (LOG_2PI + math.log(var)) - 0.5 * sq / var",
                  "-0.5 * n_samples * n_features * (LOG_2PI + math.log(var)) - 0.5 * sq * var")]),
    Bug("mixture_weights_are_counts", test="test_labeled_mixture_weights", says="weights are the counts",
        replace=[("weights = counts / n_samples", "weights = counts.astype(float)")]),
    Bug("mixture_covariance_divided_by_count_minus_1", test="test_labeled_mixture_covariances",
        says="count−1",
        replace=[("covariances[k] = diff.T @ diff / counts[k]",
                  "covariances[k] = diff.T @ diff / (counts[k] - 1)")]),
    Bug("mixture_empty_group_nan", test="test_labeled_mixture_empty_and_single_groups",
        says="empty group's mean came out as NaN",
        replace=[("        if counts[k] == 0:\n            continue  # empty component: weight 0, mean and covariance zeros\n",
                  "")]),
    Bug("kl_arguments_swapped", test="test_gaussian_kl", says="arguments were swapped",
        replace=[('mean_p, cov_p = _as_gaussian(mean_p, cov_p, "p")',
                  'mean_p, cov_p, mean_q, cov_q = mean_q, cov_q, mean_p, cov_p  # KL(q ‖ p)\n'
                  '    mean_p, cov_p = _as_gaussian(mean_p, cov_p, "p")')]),
    Bug("kl_minus_d_missing", test="test_gaussian_kl", says="−d term is missing",
        replace=[(KL_RETURN, "return float(0.5 * (trace + maha + log_det_q - log_det_p))")]),
    Bug("kl_log_determinants_swapped", test="test_gaussian_kl", says="log-determinants swapped",
        replace=[(KL_RETURN, "return float(0.5 * (trace + maha - n_features + log_det_p - log_det_q))")]),
    Bug("kl_half_missing", test="test_gaussian_kl", says="factor ½ is missing",
        replace=[(KL_RETURN, "return float(trace + maha - n_features + log_det_q - log_det_p)")]),
    Bug("kl_log_determinant_factor_2_dropped", test="test_gaussian_kl", says="factor 2 was dropped",
        replace=[(KL_LOG_DETS, "log_det_p = np.sum(np.log(np.diag(chol_p)))\n"
                               "    log_det_q = np.sum(np.log(np.diag(chol_q)))")]),
    Bug("kl_quadratic_form_with_sigma_p", test="test_gaussian_kl", says="quadratic form uses Σ_p⁻¹",
        replace=[("z = linalg.solve_triangular(chol_q, mean_q - mean_p, lower=True)",
                  "z = linalg.solve_triangular(chol_p, mean_q - mean_p, lower=True)")]),
    Bug("kl_explicit_inverse", test="test_gaussian_kl_ill_conditioned", says="explicit inverse of Σ_q",
        replace=[(KL_SOLVES, "inv_q = np.linalg.inv(cov_q)\n"
                             "    diff = mean_q - mean_p\n"
                             "    trace = np.trace(inv_q @ cov_p)\n"
                             "    maha = diff @ inv_q @ diff")]),
    Bug("kl_log_of_determinants", test="test_gaussian_kl_high_dimension", says="from det(Σ_q) and det(Σ_p)",
        replace=[(KL_LOG_DETS, "with np.errstate(all='ignore'):\n"
                               "        log_det_p = np.log(np.linalg.det(cov_p))\n"
                               "        log_det_q = np.log(np.linalg.det(cov_q))")]),
    Bug("monte_carlo_kl_sum_not_mean", test="test_monte_carlo_kl", says="summed over the samples",
        replace=[(MC_RETURN, "return float(np.sum(log_p - log_q))")]),
    Bug("monte_carlo_kl_wrong_way_round", test="test_monte_carlo_kl", says="log q − log p was averaged",
        replace=[(MC_RETURN, "return float(np.mean(log_q - log_p))")]),
    Bug("monte_carlo_kl_weighted_by_density", test="test_monte_carlo_kl", says="weighted by p(x_i):",
        replace=[(MC_RETURN, "return float(np.mean(np.exp(log_p) * (log_p - log_q)))")]),
    Bug("monte_carlo_kl_exponentiated", test="test_monte_carlo_kl", says="densities were exponentiated",
        replace=[(MC_RETURN, "with np.errstate(all='ignore'):\n"
                             "        return float(np.mean(np.log(np.exp(log_p) / np.exp(log_q))))")]),
]

#: Correct solutions written another way: each must score 100 (tests/test_assignments.py).
CORRECT = [
    # np.linalg.solve and slogdet instead of Cholesky factors, the float input handled by hand,
    # and the Monte-Carlo mean as np.average of a list
    Bug("kl_by_solve_and_slogdet", test="", says="", replace=[
        (KL_SOLVES + "\n    " + KL_LOG_DETS,
         "diff = mean_q - mean_p\n"
         "    trace = np.trace(np.linalg.solve(cov_q, cov_p))\n"
         "    maha = diff @ np.linalg.solve(cov_q, diff)\n"
         "    log_det_p = np.linalg.slogdet(cov_p)[1]\n"
         "    log_det_q = np.linalg.slogdet(cov_q)[1]"),
        (MC_RETURN, "return float(np.average(list(log_p - log_q)))")]),
    # scipy.linalg.cho_factor / cho_solve, and the log-determinants from the factors' diagonals
    Bug("kl_by_cho_solve", test="", says="", replace=[
        (KL_SOLVES,
         "factor_q = linalg.cho_factor(cov_q, lower=True)\n"
         "    diff = mean_q - mean_p\n"
         "    trace = np.trace(linalg.cho_solve(factor_q, cov_p))\n"
         "    maha = diff @ linalg.cho_solve(factor_q, diff)")]),
]
