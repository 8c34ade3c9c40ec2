"""The value models against published results and simulated data (ml/engine/clv.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml import project
from ml.engine import clv

# The CDNOW sample (2,357 customers, first purchases in the first quarter of 1997, 39 weeks of calibration),
# as the lifetimes package ships it: data/reference/README.md.
CDNOW = project.root() / "data" / "reference" / "cdnow_customers_summary.csv"
# Fader, Hardie & Lee (2005), "Counting Your Customers" the Easy Way, Marketing Science 24(2), 275-284:
# BG/NBD on CDNOW, section 4 (log-likelihood -9582.4).
FHL_2005_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# Fader & Hardie (2013), The Gamma-Gamma Model of Monetary Value, note 025 at brucehardie.com: the 946
# CDNOW customers with a repeat purchase.
FH_2013_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW)


def within(fitted: dict[str, float], published: dict[str, float], tolerance: float) -> dict[str, float]:
    """The relative deviation of every parameter that misses the published value by more than tolerance."""
    deviations = {name: abs(fitted[name] / value - 1) for name, value in published.items()}
    return {name: deviation for name, deviation in deviations.items() if deviation > tolerance}


def test_bg_nbd_reproduces_the_published_cdnow_parameters(cdnow):
    fit = clv.fit_repeat_purchases(cdnow["x"], cdnow["t_x"], cdnow["T"], "bg_nbd")
    assert within(fit.parameters, FHL_2005_BG_NBD, 0.05) == {}
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert fit.customers == 2357


def test_gamma_gamma_reproduces_the_published_cdnow_parameters(cdnow):
    fit = clv.fit_spend(cdnow["x"], cdnow["zbar"])
    assert within(fit.parameters, FH_2013_GAMMA_GAMMA, 0.05) == {}
    assert fit.customers == 946


def test_the_no_dropout_model_reproduces_the_published_nbd_fit(cdnow):
    # FHL (2005), section 4, the NBD benchmark on the same data: r = 0.385, alpha = 12.072, LL = -9763.7.
    fit = clv.fit_no_dropout(cdnow["x"], cdnow["T"])
    assert within(fit.parameters, {"r": 0.385, "alpha": 12.072}, 0.05) == {}
    assert fit.log_likelihood == pytest.approx(-9763.7, abs=0.1)


def test_a_fit_without_dropout_falls_back_to_nbd_and_a_fit_with_it_does_not(cdnow):
    assert clv.fit_purchases_or_no_dropout(cdnow["x"], cdnow["t_x"], cdnow["T"], "bg_nbd").model == "bg_nbd"
    # Customers who never leave: Poisson purchases at Gamma rates over a year.
    rng = np.random.default_rng(1)
    rate = rng.gamma(0.8, 1 / 4, 5000)
    age = np.full(5000, 52.0)
    frequency = rng.poisson(rate * age)
    recency = np.where(frequency > 0, age * rng.beta(frequency + 1e-9, 1), 0)
    fit = clv.fit_purchases_or_no_dropout(frequency, recency, age, "mbg_nbd")
    assert fit.model == "nbd" and set(fit.parameters) == {"r", "alpha"}
    assert clv.probability_alive(fit.parameters, "nbd", [0, 3], [0, 10], [52, 52]).tolist() == [1.0, 1.0]


def test_bg_nbd_predictions_match_the_papers_worked_example(cdnow):
    # FHL (2005), section 4: customer 1 of CDNOW (x = 2, t_x = 30.43, T = 38.86) is expected to make 1.226
    # repeat purchases in the next 39 weeks; over 78 weeks a new customer makes about 1.86 (their figure 2).
    parameters = FHL_2005_BG_NBD
    assert clv.conditional_expected_purchases(parameters, "bg_nbd", 39, 2, 30.43, 38.86) == pytest.approx(
        1.226, abs=2e-3
    )
    assert clv.expected_purchases(parameters, "bg_nbd", 78) == pytest.approx(1.86, abs=0.01)


def simulate_mbg_nbd(parameters: dict[str, float], customers: int, seed: int) -> pd.DataFrame:
    """Customers drawn from the MBG/NBD story: Poisson purchases at rate lambda ~ Gamma(r, alpha) while
    alive; after every purchase, including the first at time 0, leave with probability p ~ Beta(a, b)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(parameters["r"], 1 / parameters["alpha"], customers)
    dropout = rng.beta(parameters["a"], parameters["b"], customers)
    age = rng.uniform(20, 52, customers)
    alive = rng.random(customers) >= dropout
    clock, frequency, recency = np.zeros(customers), np.zeros(customers), np.zeros(customers)
    while alive.any():
        clock = clock + rng.exponential(1 / np.maximum(rate, 1e-12))
        bought = alive & (clock <= age)
        frequency += bought
        recency = np.where(bought, clock, recency)
        alive = bought & (rng.random(customers) >= dropout)
    # Observed in whole days, as the warehouse summarises purchases.
    return pd.DataFrame({"x": frequency, "t_x": np.floor(recency * 7) / 7, "T": np.floor(age * 7) / 7})


def test_mbg_nbd_recovers_the_parameters_of_simulated_customers():
    truth = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    data = simulate_mbg_nbd(truth, 150_000, seed=7)
    fit = clv.fit_repeat_purchases(data["x"], data["t_x"], data["T"], "mbg_nbd")
    assert within(fit.parameters, truth, 0.10) == {}
    # The fitted model predicts the simulated customers' total purchases.
    expected = clv.expected_purchases(fit.parameters, "mbg_nbd", data["T"]).sum()
    assert expected == pytest.approx(data["x"].sum(), rel=0.02)


def test_a_fit_does_not_depend_on_row_order(cdnow):
    shuffled = cdnow.sample(frac=1, random_state=3)
    first = clv.fit_repeat_purchases(cdnow["x"], cdnow["t_x"], cdnow["T"], "mbg_nbd")
    second = clv.fit_repeat_purchases(shuffled["x"], shuffled["t_x"], shuffled["T"], "mbg_nbd")
    assert first == second


def test_probability_alive_treats_one_time_buyers_by_model(cdnow):
    parameters = FHL_2005_BG_NBD
    # BG/NBD cannot see a one-time buyer leave; MBG/NBD can.
    assert clv.probability_alive(parameters, "bg_nbd", 0, 0, 38.86)[()] == 1.0
    assert clv.probability_alive(parameters, "mbg_nbd", 0, 0, 38.86)[()] < 1.0
    # A customer who bought often and long ago is less likely alive than one who bought recently.
    assert clv.probability_alive(parameters, "bg_nbd", 5, 5, 38.86) < clv.probability_alive(
        parameters, "bg_nbd", 5, 38, 38.86
    )


def test_too_little_data_is_a_clear_error():
    with pytest.raises(clv.FitError, match="at least 10 customers"):
        clv.fit_repeat_purchases([0, 1, 2], [0, 1, 2], [3, 3, 3])
    with pytest.raises(ValueError, match="unknown repeat-purchase model 'bgnbd'"):
        clv.fit_repeat_purchases([0, 1], [0, 1], [3, 3], "bgnbd")
