"""Markdown calibration report of one instrument: estimates, truth when synthetic, diagnostics, plots."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from execution_assets.calibration.calibrate import ImpactCalibration
from execution_assets.calibration.truth import score, volume_curve_l1
from execution_assets.markdown import markdown_table
from execution_assets.market import reference
from execution_assets.plots import png_markdown

VENUE_SHARE_NOTE = 0.9  # below this share of the bars' volume the trades are taken as one venue's


def venue_note(adv_row: Mapping[str, Any]) -> str | None:
    """A warning when the traded volume is a fraction of the daily bars' (single-venue data),
    the volume of a partly covered day taken at the whole day's rate."""
    observed, bars = adv_row.get("observed_volume"), adv_row.get("bars_volume")
    if not observed or not bars:
        return None
    share = observed / (adv_row.get("session_coverage") or 1.0) / bars
    if share >= VENUE_SHARE_NOTE:
        return None
    return (
        f"The prints hold {share:.0%} of the daily bars' volume on {adv_row['date']}: a single-venue feed "
        "(a LOBSTER file is Nasdaq-only). ADV comes from the consolidated bars, while the flow regressors "
        "see only this venue's trades; if the other venues' flow moves with it, the flow-based estimates "
        f"(gamma, kappa) are overstated by up to 1/{share:.2f} = {1 / share:.1f}x."
    )


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _bps(estimate) -> str:
    if not estimate.ok:
        return f"not estimated ({estimate.reason})"
    return f"{estimate.value * 1e4:.3g} bps (95% CI {estimate.ci_low * 1e4:.3g} to {estimate.ci_high * 1e4:.3g})"


def calibration_report(
    calibration: ImpactCalibration,
    adv_row: Mapping[str, Any],
    curve: pl.DataFrame,
    figures: Mapping[str, bytes],
    truth: Mapping[str, Any] | None = None,
) -> str:
    c = calibration
    lines = [
        f"# Calibration of {c.instrument} as of {c.as_of}",
        "",
        f"Sessions {c.window_start} to {c.as_of} ({c.n_days}). ADV {c.adv_shares:,.0f} shares "
        f"(source: {adv_row['source']}, {adv_row['n_days']} sessions from {adv_row['window_start']}).",
        "Units: impact as a fraction of price, sizes as fractions of ADV, participation as a multiple of "
        f"the average volume rate ADV / {c.session_seconds:,} s (the instrument's sessions: "
        f"{reference.instrument(c.instrument).sessions_text}).",
        "",
    ]
    note = venue_note(adv_row)
    if note:
        lines += [f"> {note}", ""]
    if truth is not None:
        table = pl.DataFrame(score(c, truth)).with_columns(
            pl.col("rel_error").map_elements(lambda e: f"{e:+.1%}", return_dtype=pl.String).alias("rel_error")
        )
        lines += ["## Estimate vs truth (synthetic instrument)", "", markdown_table(table, max_rows=20), ""]
        if "volume_curve" in truth:
            l1 = volume_curve_l1(curve["volume_share"].to_numpy(), truth["volume_curve"])
            lines += [f"Volume curve L1 error vs truth: {l1:.4f} ({curve.height} buckets).", ""]
    else:
        rows = [
            {"parameter": name, "estimate": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high}
            for name, e in c.estimates().items()
        ]
        lines += ["## Estimates", "", markdown_table(pl.DataFrame(rows, strict=False), max_rows=20), ""]
    missing = [(name, e.reason) for name, e in c.estimates().items() if not e.ok]
    if missing:
        lines += ["## Not estimated", ""] + [f"- **{name}**: {reason}" for name, reason in missing] + [""]
    r, t = c.response, c.temporary
    lines += [
        "## Fit quality",
        "",
        f"- Price response (gamma, delta, kappa, rho): {r.n_obs:,} one-second returns, R2 {_fmt(r.r2)}; "
        f"free exponent delta {_fmt(r.delta_free.value)} "
        f"(CI {_fmt(r.delta_free.ci_low)} to {_fmt(r.delta_free.ci_high)}).",
        f"- Permanent impact of an order of 1% of ADV: {_bps(r.permanent_impact(0.01))} "
        "(gamma alone extrapolates the fit from second-sized flows to a whole ADV).",
        f"- Temporary impact (eta, beta): {t.n_obs:,} prints, R2 {_fmt(t.r2)}; offset at zero participation "
        f"{_fmt(None if not t.offset.ok else t.offset.value * 1e4)} bps.",
        f"- Volatility: sigma_daily {_fmt(c.sigma_daily.value)} without the flow's impact, "
        f"{_fmt(c.realized_vol_daily.value)} including it (two-scales realized variance, 60 s).",
        "",
        "## Diagnostics",
        "",
    ]
    for title, png in figures.items():
        lines += [f"### {title}", "", png_markdown(png, title), ""]
    return "\n".join(lines)
