"""A negative binomial count model of areas' counts on a deprivation covariate.

:func:`fit_deprivation_model` fits a negative binomial (NB2) regression of a count per area (e.g.
children looked after by each local authority) on a deprivation measure, with the population as
exposure and, optionally, the centred log population and a squared deprivation term. The result,
:class:`DeprivationModel`, gives each area its expected count and rate, its observed/expected
(O/E) ratio with an interval (:func:`oe_interval`), its ranks and the 95% range of counts the
model expects for an area like it; the coefficients as rate ratios; the fitted curve with its
confidence interval; and diagnostics (dispersion, calibration, residuals, curvature).

The input is one row per area with columns ``la_code``, ``la_name``, ``observed`` (the count),
``population_0_17`` (the exposure) and ``deprivation`` (the covariate, in percent); other
columns are carried through. Page 05 builds it with
:func:`solihull_analytics.pages.benchmarking.compute.model_frame`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from solihull_analytics.methods import rates
from solihull_analytics.methods.rates import PER_10K

#: Covariate scaling in the model: coefficients are per 10 percentage points of the share.
COVARIATE_SCALE = 10.0


@dataclass
class DeprivationModel:
    """A fitted negative binomial model of counts on deprivation.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per modelled area: the input columns (``la_code``, ``la_name``, ``observed``,
        ``population_0_17``, ``deprivation``, ...), then ``expected``, ``rate``,
        ``expected_rate``, ``oe``, ``oe_lower``, ``oe_upper``, ``nb_lower``/``nb_upper`` (95%
        range of counts the model expects for an area with that deprivation and population),
        ``oe_rank`` (1 = furthest above expected), ``rate_rank`` (1 = highest crude rate),
        ``pearson_resid`` and ``deviance_resid``.
    series, covariate, release : str
        What was modelled (labels only).
    year : int
    size : bool
        Whether log population is a covariate (centred at ``size_centre``).
    quadratic : bool
        Whether a squared deprivation term is included.
    params : pandas.DataFrame
        ``term``, ``coef``, ``se``, ``lower``, ``upper``, ``p``, and ``rate_ratio`` with limits
        (per 10 percentage points of deprivation; per doubling of the population).
    alpha : float
        NB2 dispersion (variance = mu + alpha mu^2), with ``alpha_lower``/``alpha_upper``.
    diagnostics : dict
        ``poisson_dispersion`` (Pearson chi2 / df of a Poisson fit), ``nb_dispersion`` (same for
        the NB fit), ``lr_stat``/``lr_p`` (NB against Poisson), AICs, ``observed_total``,
        ``fitted_total``, ``total_ratio``, residual correlations, ``curvature_p``, ``n_las``,
        ``excluded`` and ``converged``.
    """

    data: pd.DataFrame
    series: str
    covariate: str
    release: str
    year: int
    size: bool
    quadratic: bool
    size_centre: float
    params: pd.DataFrame
    alpha: float
    alpha_lower: float
    alpha_upper: float
    diagnostics: dict[str, Any]
    #: Covariance of the regression coefficients (``params["coef"]``), for the curve's interval.
    coef_cov: np.ndarray | None = None

    def row(self, la_code: str) -> pd.Series | None:
        """The modelled row of one area (None when it was not in the model)."""
        sel = self.data[self.data["la_code"] == la_code]
        return None if sel.empty else sel.iloc[0]

    def _curve_design(self, share: Any, population: float | None) -> np.ndarray:
        x = np.asarray(share, dtype=float)
        if population is None:
            population = float(self.data["population_0_17"].median())
        log_size = np.full_like(x, np.log(population) - self.size_centre) if self.size else None
        return design_matrix(x, log_size, self.quadratic)

    def expected_rate_at(self, share: Any, population: float | None = None) -> np.ndarray:
        """Expected rate per 10,000 at given deprivation values (the fitted curve).

        ``population`` matters only when size is in the model; it defaults to the median of the
        modelled areas.
        """
        design = self._curve_design(share, population)
        return np.exp(design @ self.params["coef"].to_numpy()) * PER_10K

    def expected_rate_interval(
        self, share: Any, population: float | None = None, level: float = 0.95
    ) -> tuple[np.ndarray, np.ndarray]:
        """Confidence interval of :meth:`expected_rate_at` (per 10,000).

        The interval of the fitted curve itself (where the expected rate lies), not the range of
        rates single areas show: exp(x'b -/+ z se(x'b)), with se from the coefficients'
        covariance (delta method on the log scale, so the limits stay positive).
        """
        if self.coef_cov is None:
            raise ValueError("this model was built without its coefficient covariance.")
        design = self._curve_design(share, population)
        eta = design @ self.params["coef"].to_numpy()
        se = np.sqrt(np.einsum("ij,jk,ik->i", design, self.coef_cov, design))
        z = stats.norm.ppf(0.5 + level / 2)
        return np.exp(eta - z * se) * PER_10K, np.exp(eta + z * se) * PER_10K


def design_matrix(
    x: np.ndarray, log_size: np.ndarray | None = None, quadratic: bool = False
) -> np.ndarray:
    """Columns: intercept, deprivation / :data:`COVARIATE_SCALE`, [its square], [log size]."""
    cols = [np.ones_like(x), x / COVARIATE_SCALE]
    if quadratic:
        cols.append((x / COVARIATE_SCALE) ** 2)
    if log_size is not None:
        cols.append(log_size)
    return np.column_stack(cols)


def oe_interval(
    observed: Any, expected: Any, se_log_expected: Any = 0.0, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for an observed/expected ratio.

    The observed count's limits are Byar's (exact Poisson below 10, via
    :func:`rates.poisson_count_ci`); the uncertainty of the expected count from the model's
    coefficients (``se_log_expected``, standard error of log E) is added in quadrature on the
    log scale to each half-width. For a count of 0 the lower limit is 0 and the upper limit is
    the exact Poisson upper limit over E, times ``exp(z * se_log_expected)``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits of O/E.
    """
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    ci = rates.poisson_count_ci(o, level)
    z = stats.norm.ppf(0.5 + level / 2)
    se_e = np.asarray(se_log_expected, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo_half = np.log(o) - np.log(np.asarray(ci.lower, dtype=float))
        hi_half = np.log(np.asarray(ci.upper, dtype=float)) - np.log(o)
        lo = np.exp(np.log(o / e) - np.sqrt(lo_half**2 + (z * se_e) ** 2))
        hi = np.exp(np.log(o / e) + np.sqrt(hi_half**2 + (z * se_e) ** 2))
        # A zero count has no log-scale half-width: its upper limit is the count's exact upper
        # limit over E, widened by the expected count's own uncertainty.
        hi_zero = np.asarray(ci.upper, dtype=float) / e * np.exp(z * se_e)
    return np.where(o > 0, lo, 0.0), np.where(o > 0, hi, hi_zero)


@dataclass
class _Fit:
    """The statsmodels fits behind a :class:`DeprivationModel`."""

    y: np.ndarray
    x: np.ndarray
    offset: np.ndarray
    centre: float
    log_size: np.ndarray | None
    design: np.ndarray
    poisson: Any
    nb: Any

    @property
    def k(self) -> int:
        return self.design.shape[1]

    @property
    def beta(self) -> np.ndarray:
        return np.asarray(self.nb.params[: self.k])

    @property
    def cov(self) -> np.ndarray:
        return np.asarray(self.nb.cov_params())[: self.k, : self.k]

    @property
    def alpha(self) -> float:
        return float(self.nb.params[-1])


def _fit(frame: pd.DataFrame, size: bool, quadratic: bool) -> _Fit:
    """Poisson GLM (for start values and the dispersion test), then the NB2 maximum likelihood."""
    # direct imports: statsmodels.api also loads time-series and graphics modules (~2 s)
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    y = frame["observed"].to_numpy(dtype=float)
    x = frame["deprivation"].to_numpy(dtype=float)
    offset = np.log(frame["population_0_17"].to_numpy(dtype=float))
    centre = float(offset.mean())
    log_size = offset - centre if size else None
    design = design_matrix(x, log_size, quadratic)
    poisson = GLM(y, design, family=families.Poisson(), offset=offset).fit()
    nb = NegativeBinomial(y, design, offset=offset, loglike_method="nb2").fit(
        start_params=np.append(poisson.params, 0.1), disp=0, maxiter=300
    )
    return _Fit(y, x, offset, centre, log_size, design, poisson, nb)


def _area_columns(frame: pd.DataFrame, fit: _Fit, level: float) -> pd.DataFrame:
    """``frame`` with each area's expected count and rate, O/E and interval, ranks, residuals."""
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    y, design, alpha = fit.y, fit.design, fit.alpha
    glm = GLM(y, design, family=families.NegativeBinomial(alpha=alpha), offset=fit.offset).fit()
    mu = np.exp(design @ fit.beta + fit.offset)
    se_log_mu = np.sqrt(np.einsum("ij,jk,ik->i", design, fit.cov, design))
    lower, upper = oe_interval(y, mu, se_log_mu, level)
    n_param = 1.0 / alpha
    p_param = n_param / (n_param + mu)
    population = frame["population_0_17"].to_numpy(dtype=float)
    data = frame.copy()
    data["expected"] = mu
    data["rate"] = y / population * PER_10K
    data["expected_rate"] = mu / population * PER_10K
    data["oe"] = y / mu
    data["oe_lower"] = lower
    data["oe_upper"] = upper
    data["nb_lower"] = stats.nbinom.ppf(0.025, n_param, p_param)
    data["nb_upper"] = stats.nbinom.ppf(0.975, n_param, p_param)
    data["oe_rank"] = data["oe"].rank(ascending=False, method="min").astype(int)
    data["rate_rank"] = data["rate"].rank(ascending=False, method="min").astype(int)
    data["pearson_resid"] = (y - mu) / np.sqrt(mu + alpha * mu**2)
    data["deviance_resid"] = np.asarray(glm.resid_deviance)
    return data


def _params_table(fit: _Fit, size: bool, quadratic: bool, level: float) -> pd.DataFrame:
    """Coefficients with Wald intervals and p-values, and rate ratios for the slopes."""
    beta = fit.beta
    se = np.sqrt(np.diag(fit.cov))
    z = stats.norm.ppf(0.5 + level / 2)
    terms = [
        "intercept (log rate per child)",
        f"deprivation (per {COVARIATE_SCALE:g} percentage points)",
    ]
    if quadratic:
        terms.append("deprivation squared")
    if size:
        terms.append("log children aged 0-17 (centred)")
    params = pd.DataFrame(
        {
            "term": terms,
            "coef": beta,
            "se": se,
            "lower": beta - z * se,
            "upper": beta + z * se,
            "p": 2 * stats.norm.sf(np.abs(beta / se)),
        }
    )
    # rate ratios: per 10 points of deprivation; per doubling of the population
    scale = np.ones(fit.k)
    if size:
        scale[-1] = np.log(2)
    ratio_cols = ["rate_ratio", "rate_ratio_lower", "rate_ratio_upper"]
    for col, src in zip(ratio_cols, ("coef", "lower", "upper"), strict=True):
        params[col] = np.exp(params[src] * scale)
    params.loc[0, ratio_cols] = np.nan
    if quadratic:
        params.loc[2, ratio_cols] = np.nan
    return params


def _curvature_p(fit: _Fit, quadratic: bool) -> float:
    """Likelihood-ratio p-value for adding a squared deprivation term (NaN if already in)."""
    if quadratic:
        return np.nan
    from statsmodels.discrete.discrete_model import NegativeBinomial

    nb_sq = NegativeBinomial(
        fit.y, design_matrix(fit.x, fit.log_size, True), offset=fit.offset, loglike_method="nb2"
    ).fit(disp=0, maxiter=300)
    return float(stats.chi2.sf(2 * (nb_sq.llf - fit.nb.llf), 1))


def _diagnostics(
    fit: _Fit, data: pd.DataFrame, quadratic: bool, excluded: list[dict[str, str]] | None
) -> dict[str, Any]:
    """Dispersion, NB against Poisson, calibration, residual patterns and curvature."""
    y, poisson, nb = fit.y, fit.poisson, fit.nb
    mu = data["expected"].to_numpy(dtype=float)
    df_resid = len(y) - fit.k
    lr = 2 * (nb.llf - poisson.llf)
    return {
        "n_las": int(len(y)),
        "poisson_dispersion": float(poisson.pearson_chi2 / df_resid),
        "nb_dispersion": float(np.sum(data["pearson_resid"] ** 2) / df_resid),
        "lr_stat": float(lr),
        # alpha = 0 lies on the boundary: the LR statistic is a 50:50 mixture of chi2(0), chi2(1)
        "lr_p": float(0.5 * stats.chi2.sf(lr, 1)),
        "aic_poisson": float(poisson.aic),
        "aic_nb": float(nb.aic),
        "observed_total": float(y.sum()),
        "fitted_total": float(mu.sum()),
        "total_ratio": float(mu.sum() / y.sum()),
        "resid_deprivation_spearman": float(
            stats.spearmanr(fit.x, data["pearson_resid"]).statistic
        ),
        "resid_size_spearman": float(stats.spearmanr(fit.offset, data["pearson_resid"]).statistic),
        "large_residuals": int((np.abs(data["pearson_resid"]) > 2).sum()),
        "curvature_p": _curvature_p(fit, quadratic),
        "excluded": list(excluded or []),
        "converged": bool(nb.mle_retvals.get("converged", True)),
    }


def fit_deprivation_model(
    frame: pd.DataFrame,
    series: str = "non_uasc",
    covariate: str = "idaci_top20_share",
    release: str = "",
    year: int = 0,
    excluded: list[dict[str, str]] | None = None,
    size: bool = True,
    quadratic: bool = False,
    level: float = 0.95,
) -> DeprivationModel:
    """Negative binomial (NB2) regression of counts on deprivation across areas.

    ``log E[count] = log(population) + b0 + b1 x deprivation / 10 [+ b2 (deprivation/10)^2]
    [+ b3 x (log population - mean)]``, with ``Var = mu + alpha mu^2``.

    Why this model: the outcome is a count of children, so a log-linear count model with the
    population as exposure models the rate directly. Rates of children looked after vary between
    LAs far more than Poisson chance allows (``poisson_dispersion``, typically about 60); the
    negative binomial adds between-area variation in the underlying rate with a constant
    coefficient of variation, so every area informs the fit and the largest ones do not dominate
    as they would under Poisson or quasi-Poisson weighting. The size term is there because, at
    the same deprivation, larger authorities have lower rates; without it the NB2 fit
    over-predicts them and its fitted England total is several per cent above the observed total.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per area: ``la_code``, ``observed``, ``population_0_17``, ``deprivation``.
    series, covariate, release : str
        Labels of what is modelled (kept on the result).
    year : int
        Year (kept on the result).
    excluded : list of dict, optional
        Areas left out (kept in ``diagnostics``).
    size : bool, default True
        Include the centred log population.
    quadratic : bool, default False
        Include a squared deprivation term.
    level : float, default 0.95
        Level of the O/E intervals and of the coefficients' intervals.

    Returns
    -------
    DeprivationModel
    """
    fit = _fit(frame, size, quadratic)
    data = _area_columns(frame, fit, level)
    alpha_ci = np.asarray(fit.nb.conf_int())[-1]
    return DeprivationModel(
        data=data,
        series=series,
        covariate=covariate,
        release=release,
        year=int(year),
        size=size,
        quadratic=quadratic,
        size_centre=fit.centre,
        params=_params_table(fit, size, quadratic, level),
        alpha=fit.alpha,
        alpha_lower=float(alpha_ci[0]),
        alpha_upper=float(alpha_ci[1]),
        diagnostics=_diagnostics(fit, data, quadratic, excluded),
        coef_cov=fit.cov,
    )
