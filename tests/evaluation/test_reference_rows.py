"""The theory reports' reference order comes from an instrument where Almgren-Chriss is defined."""

from __future__ import annotations

import dataclasses

from execution_assets.evaluation.reports_theory import reference_rows
from execution_assets.impact import ImpactParams
from execution_assets.scenarios import default_calibration, scenario_grid


def test_an_instrument_whose_ac_has_no_minimum_is_passed_over():
    good = default_calibration("SYNTH_LIQ")
    # first by name, permanent impact outweighing temporary (eta~ < 0), like GOOG's one-day calibration
    bad = dataclasses.replace(good, instrument="AAA", impact=ImpactParams(eta=1e-6, beta=1.0, gamma=0.5, delta=1.0))
    rows = reference_rows(scenario_grid([bad, good], ["test"]))
    assert rows["instrument"].unique().to_list() == ["SYNTH_LIQ"]
    assert rows["impact_model"].to_list() == ["linear", "square_root", "transient"]
    alone = reference_rows(scenario_grid([bad], ["test"]))
    assert alone["instrument"].unique().to_list() == ["AAA"]  # nothing better: the first instrument
