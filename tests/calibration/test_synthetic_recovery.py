"""Acceptance: calibration recovers the synthetic market's true parameters (issue 3).

Three parameter sets, 15 sessions each, through the SQL inputs and the library estimators:
the two built-in instruments (linear permanent impact; temporary exponents 0.6 and 0.5) and a
square-root market (temporary and permanent exponents 1/2).
"""

import datetime as dt

import numpy as np
import pytest

from execution_assets.calibration.truth import volume_curve_l1
from execution_assets.market.instruments import CALIBRATION_TEST_BEDS

from tests.calibration.helpers import NO_TRANSIENT, SQUARE_ROOT, calibrate_all, simulated_warehouse

N_DAYS = 15
SETS = {
    "liquid": CALIBRATION_TEST_BEDS["SYNTH_LIQ_HI"],
    "illiquid": CALIBRATION_TEST_BEDS["SYNTH_ILQ_HI"],
    "square_root": SQUARE_ROOT,
}


@pytest.fixture(scope="module", params=list(SETS))
def recovered(request):
    spec = SETS[request.param]
    con, truth = simulated_warehouse(spec, N_DAYS)
    curve, calibration, _ = calibrate_all(con, spec.name)
    con.close()
    return request.param, curve, calibration, truth


def _rel(estimate, truth):
    return abs(estimate.value - truth) / truth


def test_sigma_within_5_percent(recovered):
    name, _, calibration, truth = recovered
    assert _rel(calibration.sigma_daily, truth["sigma_daily"]) < 0.05, name


def test_volume_curve_l1_below_0_05(recovered):
    name, curve, _, truth = recovered
    assert curve["volume_share"].sum() == pytest.approx(1.0)
    assert volume_curve_l1(curve["volume_share"].to_numpy(), np.asarray(truth["volume_curve"])) < 0.05, name


def test_gamma_and_eta_within_25_percent(recovered):
    name, _, calibration, truth = recovered
    assert _rel(calibration.response.gamma, truth["gamma"]) < 0.25, name
    assert _rel(calibration.temporary.eta, truth["eta"]) < 0.25, name


def test_transient_within_30_percent(recovered):
    name, _, calibration, truth = recovered
    assert _rel(calibration.response.rho, truth["transient_decay_per_s"]) < 0.30, name
    assert _rel(calibration.response.kappa, truth["kappa"]) < 0.30, name


def test_exponent_intervals_cover_the_truth(recovered):
    name, _, calibration, truth = recovered
    assert calibration.temporary.beta.covers(truth["beta"]), (name, calibration.temporary.beta)
    assert calibration.response.delta.covers(truth["delta"]), (name, calibration.response.delta)
    assert calibration.response.delta_free.covers(truth["delta"]), (name, calibration.response.delta_free)


def test_square_root_is_told_apart_from_linear(recovered):
    name, _, calibration, truth = recovered
    delta = calibration.response.delta
    if truth["delta"] == 0.5:
        assert delta.ci_high < 1.0 and delta.value == calibration.response.delta_free.value
    else:
        assert delta.value == 1.0 and delta.covers(1.0)


def test_every_parameter_estimated_with_an_interval(recovered):
    name, _, calibration, _ = recovered
    assert calibration.null_reason() is None, name
    row = calibration.row(dt.datetime(2024, 6, 1)).row(0, named=True)
    for value in row.values():
        assert not (isinstance(value, float) and not np.isfinite(value))


@pytest.mark.slow
def test_no_transient_market_reports_null_kernel_with_reason():
    con, truth = simulated_warehouse(NO_TRANSIENT, 10)
    _, calibration, _ = calibrate_all(con, NO_TRANSIENT.name)
    assert calibration.response.kappa.value is None and calibration.response.rho.value is None
    assert "no significant transient impact" in calibration.response.kappa.reason
    assert _rel(calibration.response.gamma, truth["gamma"]) < 0.1  # the permanent part alone, refitted
    assert calibration.impact_params().kappa == 0.0
