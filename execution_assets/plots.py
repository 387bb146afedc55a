"""Small matplotlib figures rendered to PNG, for asset metadata and reports."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402


def figure_png(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def png_markdown(png: bytes, alt: str) -> str:
    """Inline image that the Dagster UI's Markdown metadata renders."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def mid_and_spread_png(book: pl.DataFrame, title: str) -> bytes:
    """The day's mid price and spread (bps) from a frame with ts, mid, spread_bps."""
    fig, (ax_mid, ax_spread) = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True, height_ratios=(3, 1))
    ts = book["ts"].to_numpy()
    ax_mid.plot(ts, book["mid"].to_numpy(), lw=0.7)
    ax_mid.set_ylabel("mid")
    ax_mid.set_title(title)
    ax_spread.plot(ts, book["spread_bps"].to_numpy(), lw=0.5, color="tab:orange")
    ax_spread.set_ylabel("spread (bps)")
    fig.autofmt_xdate()
    return figure_png(fig)
