"""Customer value models: repeat purchases (BG/NBD family) and spend per order (Gamma-Gamma).

Maximum-likelihood fits with scipy, the formulas of the papers:
- BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers" the Easy Way, Marketing Science 24(2).
- MBG/NBD: Batislam, Denizel & Filiztekin (2007), IJRM 24(3); a customer may also drop out right after the
  first purchase, so one-time buyers do not all count as surely active (as they do in BG/NBD).
- NBD (Ehrenberg 1959; no drop-out), when the data shows none: the limit of both as a / (a + b) -> 0.
- Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", brucehardie.com note 025.

Inputs per customer: frequency x (repeat purchase occasions), recency t_x and age T (time from the first
purchase to the last one, and to the end of observation) in one time unit. The fits work on the distinct
(x, t_x, T) patterns with their counts, so their cost grows with the patterns, not the customers, and the
result does not depend on row order. The optimiser starts from fixed values: a fit is deterministic.

The per-customer predictions the warehouse holds are computed in SQL (dbt_project/macros/value.sql);
the functions here are the reference those tables are tested against, and serve the holdout plot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

REPEAT_PURCHASE_MODELS = ("bg_nbd", "mbg_nbd")
REPEAT_PURCHASE_PARAMETERS = ("r", "alpha", "a", "b")
NBD_PARAMETERS = ("r", "alpha")
# NBD (no drop-out) is the BG/NBD family's limit a -> 0: the nested model. Where the drop-out parameters
# do not improve the likelihood significantly (likelihood-ratio test at 5%, chi-squared with 2 degrees of
# freedom), the data shows no one leaving: the fit runs to that edge, where P(alive) = 1 says nothing and
# the formulas subtract nearly equal numbers. NBD is then the honest and exact choice.
NO_DROPOUT_LR_CRITICAL = 5.991
SPEND_PARAMETERS = ("p", "q", "gamma")


class FitError(ValueError):
    """A model could not be fitted to the data it was given (too few customers, no convergence)."""


@dataclass(frozen=True)
class Fit:
    model: str
    parameters: dict[str, float]
    log_likelihood: float
    customers: int
    iterations: int


def _patterns(columns: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    frame = pd.DataFrame(columns)
    grouped = frame.groupby(list(columns), sort=True).size().reset_index(name="weight")
    return {name: grouped[name].to_numpy(float) for name in columns}, grouped["weight"].to_numpy(float)


def _maximise(model: str, names: tuple[str, ...], log_likelihood, gradient, data, weights: np.ndarray) -> Fit:
    """Maximise the mean log-likelihood over log-parameters (keeps every parameter positive), from the fixed
    start 1 for every parameter in ``names``.

    ``gradient(params, *data)`` gives each row's derivatives by each parameter: with the exact gradient,
    BFGS needs one likelihood evaluation per step instead of one per parameter more, and converges to a
    tolerance a numerical gradient cannot reach (tests check it against finite differences)."""
    total = weights.sum()
    start = np.zeros(len(names))

    def objective(log_params: np.ndarray) -> float:
        value = -(weights * log_likelihood(np.exp(log_params), *data)).sum() / total
        return value if np.isfinite(value) else 1e300

    def jacobian(log_params: np.ndarray) -> np.ndarray:
        params = np.exp(log_params)
        slope = -(weights[:, None] * gradient(params, *data)).sum(axis=0) * params / total
        return np.where(np.isfinite(slope), slope, 0.0)

    best = minimize(objective, start, jac=jacobian, method="BFGS", options={"gtol": 1e-9})
    iterations = int(best.nit)
    # BFGS also stops with "precision loss" where the likelihood is flat to machine precision: at the
    # optimum, or on the way to an edge the data prefers (a -> 0, no drop-out; the nested NBD fit covers
    # it). With a gradient that small there is nothing left to find.
    stationary = best.status == 2 and np.max(np.abs(best.jac)) < 1e-6
    if not (best.success or stationary):
        # Where BFGS stops short (a poor start far from the optimum), Nelder-Mead, which needs no
        # gradient, and BFGS again from its optimum.
        rough = minimize(
            objective, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000}
        )
        polished = minimize(objective, rough.x, jac=jacobian, method="BFGS", options={"gtol": 1e-9})
        iterations += int(rough.nit) + int(polished.nit)
        best = min((best, rough, polished), key=lambda candidate: candidate.fun)
    if not np.isfinite(best.fun) or best.fun >= 1e299:
        raise FitError("the likelihood could not be evaluated at any parameter value tried")
    values = dict(zip(names, map(float, np.exp(best.x)), strict=True))
    return Fit(model, values, -best.fun * total, int(total), iterations)


def repeat_purchase_log_likelihood(params, x, t_x, big_t, model: str = "bg_nbd") -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under BG/NBD or MBG/NBD."""
    r, alpha, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    if model == "bg_nbd":
        survived = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        dropped = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x)
        alive_term = -(r + x) * np.log(alpha + big_t)
        dropped = np.where(x > 0, dropped, -np.inf)
        return common + survived + np.logaddexp(alive_term, dropped)
    if model == "mbg_nbd":
        survived = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
        alive_term = -(r + x) * np.log(alpha + big_t)
        dropped = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        return common + survived + alive_term + np.logaddexp(dropped, 0)
    raise ValueError(f"unknown repeat-purchase model {model!r}; known: {', '.join(REPEAT_PURCHASE_MODELS)}")


def repeat_purchase_gradient(params, x, t_x, big_t, model: str = "bg_nbd") -> np.ndarray:
    """Derivatives of repeat_purchase_log_likelihood by r, alpha, a and b: one row per customer.

    Both models mix two terms (alive at T, or gone after t_x); `gone` is the weight of the second, so each
    derivative is the derivative of the common part plus the weighted derivatives of the two terms."""
    r, alpha, a, b = params
    d_r = digamma(r + x) - digamma(r) + np.log(alpha)
    d_alpha = r / alpha
    log_alive, log_gone = np.log(alpha + big_t), np.log(alpha + t_x)
    if model == "bg_nbd":
        alive_term = -(r + x) * log_alive
        dropped = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * log_gone, -np.inf)
        gone = np.exp(dropped - np.logaddexp(alive_term, dropped))
        d_r = d_r - (1 - gone) * log_alive - gone * log_gone
        d_alpha = d_alpha - (1 - gone) * (r + x) / (alpha + big_t) - gone * (r + x) / (alpha + t_x)
        d_a = digamma(a + b) - digamma(a + b + x) + gone / a
        d_b = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x) - gone / np.maximum(b + x - 1, 1e-300)
    elif model == "mbg_nbd":
        dropped = np.log(a) - np.log(b + x) + (r + x) * (log_alive - log_gone)
        gone = np.exp(dropped - np.logaddexp(dropped, 0))
        d_r = d_r - log_alive + gone * (log_alive - log_gone)
        d_alpha = d_alpha - (r + x) / (alpha + big_t) + gone * (r + x) * (1 / (alpha + big_t) - 1 / (alpha + t_x))
        d_a = digamma(a + b) - digamma(a + b + x + 1) + gone / a
        d_b = digamma(a + b) + digamma(b + x + 1) - digamma(b) - digamma(a + b + x + 1) - gone / (b + x)
    else:
        raise ValueError(f"unknown repeat-purchase model {model!r}; known: {', '.join(REPEAT_PURCHASE_MODELS)}")
    return np.column_stack([d_r, d_alpha, d_a, d_b])


def fit_repeat_purchases(frequency, recency, age, model: str = "bg_nbd") -> Fit:
    if model not in REPEAT_PURCHASE_MODELS:
        raise ValueError(f"unknown repeat-purchase model {model!r}; known: {', '.join(REPEAT_PURCHASE_MODELS)}")
    data, weights = _patterns({"x": np.asarray(frequency), "t_x": np.asarray(recency), "T": np.asarray(age)})
    if weights.sum() < 10 or not (data["x"] > 0).any():
        raise FitError("a repeat-purchase model needs at least 10 customers, some of whom bought again")
    return _maximise(
        model,
        REPEAT_PURCHASE_PARAMETERS,
        lambda params, x, t_x, big_t: repeat_purchase_log_likelihood(params, x, t_x, big_t, model),
        lambda params, x, t_x, big_t: repeat_purchase_gradient(params, x, t_x, big_t, model),
        (data["x"], data["t_x"], data["T"]),
        weights,
    )


def nbd_log_likelihood(params, x, big_t) -> np.ndarray:
    """Purchases at a Gamma(r, alpha)-distributed Poisson rate, for ever (no drop-out)."""
    r, alpha = params
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + big_t)


def nbd_gradient(params, x, big_t) -> np.ndarray:
    r, alpha = params
    return np.column_stack(
        [digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + big_t), r / alpha - (r + x) / (alpha + big_t)]
    )


def fit_no_dropout(frequency, age) -> Fit:
    data, weights = _patterns({"x": np.asarray(frequency), "T": np.asarray(age)})
    return _maximise("nbd", NBD_PARAMETERS, nbd_log_likelihood, nbd_gradient, (data["x"], data["T"]), weights)


def fit_purchases_or_no_dropout(frequency, recency, age, model: str) -> Fit:
    """The chosen BG/NBD-family model, or NBD where drop-out adds nothing (see NO_DROPOUT_LR_CRITICAL)."""
    fit = fit_repeat_purchases(frequency, recency, age, model)
    nested = fit_no_dropout(frequency, age)
    return nested if 2 * (fit.log_likelihood - nested.log_likelihood) < NO_DROPOUT_LR_CRITICAL else fit


def spend_log_likelihood(params, x, m) -> np.ndarray:
    """Gamma-Gamma log-likelihood of each customer's mean spend m over x repeat purchases (x > 0)."""
    p, q, gamma = params
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + gamma)
    )


def spend_gradient(params, x, m) -> np.ndarray:
    p, q, gamma = params
    common = digamma(p * x + q) - np.log(x * m + gamma)
    return np.column_stack(
        [
            x * (common - digamma(p * x) + np.log(m) + np.log(x)),
            common - digamma(q) + np.log(gamma),
            q / gamma - (p * x + q) / (x * m + gamma),
        ]
    )


def fit_spend(frequency, mean_spend) -> Fit:
    """Gamma-Gamma on the customers with at least one repeat purchase and a positive mean spend."""
    x, m = np.asarray(frequency, float), np.asarray(mean_spend, float)
    keep = (x > 0) & (m > 0)
    data, weights = _patterns({"x": x[keep], "m": m[keep]})
    if weights.sum() < 10:
        raise FitError("the spend model needs at least 10 customers with a repeat purchase of positive value")
    return _maximise(
        "gamma_gamma", SPEND_PARAMETERS, spend_log_likelihood, spend_gradient, (data["x"], data["m"]), weights
    )


def probability_alive(params: dict[str, float], model: str, x, t_x, big_t) -> np.ndarray:
    x, t_x, big_t = (np.asarray(v, float) for v in (x, t_x, big_t))
    if model == "nbd":
        return np.ones_like(x)
    r, alpha, a, b = (params[name] for name in REPEAT_PURCHASE_PARAMETERS)
    ratio = ((alpha + big_t) / (alpha + t_x)) ** (r + x)
    if model == "bg_nbd":
        return np.where(x > 0, 1 / (1 + a / np.maximum(b + x - 1, 1e-300) * ratio), 1.0)
    return 1 / (1 + a / (b + x) * ratio)


def conditional_expected_purchases(params: dict[str, float], model: str, t, x, t_x, big_t) -> np.ndarray:
    """Expected repeat purchases in the next t time units of a customer with history (x, t_x, T)."""
    t, x, t_x, big_t = (np.asarray(v, float) for v in (t, x, t_x, big_t))
    if model == "nbd":
        return (params["r"] + x) * t / (params["alpha"] + big_t)
    r, alpha, a, b = (params[name] for name in REPEAT_PURCHASE_PARAMETERS)
    z = t / (alpha + big_t + t)
    shrink = ((alpha + big_t) / (alpha + big_t + t)) ** (r + x)
    if model == "bg_nbd":
        scale = (a + b + x - 1) / (a - 1)
        unalive = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * ((alpha + big_t) / (alpha + t_x)) ** (r + x), 0)
        return scale * (1 - shrink * hyp2f1(r + x, b + x, a + b + x - 1, z)) / (1 + unalive)
    scale = (a + b + x) / (a - 1)
    unalive = a / (b + x) * ((alpha + big_t) / (alpha + t_x)) ** (r + x)
    return scale * (1 - shrink * hyp2f1(r + x, b + x + 1, a + b + x, z)) / (1 + unalive)


def expected_purchases(params: dict[str, float], model: str, t) -> np.ndarray:
    """Expected repeat purchases within t time units of the first purchase, for a new customer."""
    t = np.asarray(t, float)
    if model == "nbd":
        return params["r"] * t / params["alpha"]
    r, alpha, a, b = (params[name] for name in REPEAT_PURCHASE_PARAMETERS)
    shrink = (alpha / (alpha + t)) ** r
    if model == "bg_nbd":
        return (a + b - 1) / (a - 1) * (1 - shrink * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    return b / (a - 1) * (1 - shrink * hyp2f1(r, b + 1, a + b, t / (alpha + t)))


def expected_spend(params: dict[str, float], x, mean_spend) -> np.ndarray:
    """Expected spend per future purchase: the customer's mean pulled towards the population mean."""
    p, q, gamma = (params[name] for name in SPEND_PARAMETERS)
    x = np.asarray(x, float)
    m = np.where(x > 0, np.nan_to_num(np.asarray(mean_spend, float)), 0.0)
    return (gamma + x * m) * p / (p * x + q - 1)
