"""Typical mistakes in the `mle` assignment, each a patch of the reference.

Every entry must lose points in the named hidden test, with feedback that
names the mistake (tests/test_assignments.py checks both).
"""
from tests.submissions import Bug

BUGS = [
    Bug("variance_divided_by_n_minus_1", test="test_gaussian_mle", says="divided by n−1",
        replace=[("var = np.mean((x - mean) ** 2)", "var = np.var(x, ddof=1)")], sample=True),
    Bug("standard_deviation_not_variance", test="test_gaussian_mle", says="standard deviation",
        replace=[("return float(mean), float(var)", "return float(mean), float(np.sqrt(var))")]),
    Bug("bernoulli_count_not_fraction", test="test_bernoulli_mle", says="number of ones",
        replace=[("return float(np.mean(x))", "return float(np.sum(x))")]),
    Bug("zero_log_zero_is_nan", test="test_bernoulli_zero_log_zero", says="NaN", sample=True,
        replace=[("terms = xlogy(x, theta) + xlog1py(1.0 - x, -theta)",
                  "with np.errstate(all='ignore'):\n"
                  "        terms = x * np.log(theta) + (1.0 - x) * np.log(1.0 - theta)")]),
    Bug("bernoulli_missing_second_term", test="test_bernoulli_log_likelihood", says="(1 − x)",
        replace=[("terms = xlogy(x, theta) + xlog1py(1.0 - x, -theta)", "terms = xlogy(x, theta)")]),
    Bug("variance_used_as_standard_deviation", test="test_gaussian_log_likelihood",
        says="used as the standard deviation",
        replace=[("return float(-0.5 * n_samples * (LOG_2PI + math.log(var)) - 0.5 * sq / var)",
                  "return float(-0.5 * n_samples * (LOG_2PI + 2 * math.log(var)) - 0.5 * sq / var**2)")]),
    Bug("mean_not_sum_log_likelihood", test="test_gaussian_log_likelihood", says="the mean",
        replace=[("return float(-0.5 * n_samples * (LOG_2PI + math.log(var)) - 0.5 * sq / var)",
                  "return float((-0.5 * n_samples * (LOG_2PI + math.log(var)) - 0.5 * sq / var) / n_samples)")]),
    Bug("density_before_log_underflows", test="test_gaussian_log_likelihood_far_out", says="underflows",
        replace=[("return float(-0.5 * n_samples * (LOG_2PI + math.log(var)) - 0.5 * sq / var)",
                  "with np.errstate(all='ignore'):\n"
                  "        pdf = np.exp(-((x - mean) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)\n"
                  "        return float(np.sum(np.log(pdf)))")]),
    Bug("covariance_divided_by_n_minus_1", test="test_mvn_mle", says="n−1",
        replace=[("cov = diff.T @ diff / n_samples", "cov = diff.T @ diff / (n_samples - 1)")]),
    Bug("covariance_not_centred", test="test_mvn_mle", says="not centred",
        replace=[("cov = diff.T @ diff / n_samples", "cov = X.T @ X / n_samples")]),
    Bug("log_determinant_dropped", test="test_mvn_logpdf", says="log det",
        replace=[("return -0.5 * (n_features * LOG_2PI + log_det + maha)",
                  "return -0.5 * (n_features * LOG_2PI + maha)")]),
    Bug("normalising_constant_once", test="test_mvn_logpdf", says="log(2π) was counted once",
        replace=[("return -0.5 * (n_features * LOG_2PI + log_det + maha)",
                  "return -0.5 * (LOG_2PI + log_det + maha)")]),
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
    Bug("mixture_weights_are_counts", test="test_labeled_mixture_mle", says="counts",
        replace=[("weights = counts / n_samples", "weights = counts.astype(float)")]),
    Bug("mixture_covariance_divided_by_count_minus_1", test="test_labeled_mixture_mle", says="count−1",
        replace=[("covariances[k] = diff.T @ diff / counts[k]",
                  "covariances[k] = diff.T @ diff / (counts[k] - 1)")]),
]
