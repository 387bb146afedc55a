"""Markdown rendering of small tables, for asset metadata and reports."""

from __future__ import annotations

import polars as pl


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def round_floats(frame: pl.DataFrame, digits: int = 3) -> pl.DataFrame:
    """Float columns to ``digits`` significant figures, for tables people read."""
    return frame.with_columns(pl.col(pl.Float64).round_sig_figs(digits))


def markdown_table(frame: pl.DataFrame, max_rows: int = 10) -> str:
    """The first ``max_rows`` rows of ``frame`` as a GitHub-flavoured Markdown table."""
    head = frame.head(max_rows)
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in head.iter_rows()]
    if frame.height > max_rows:
        lines.append(f"\n({frame.height - max_rows:,} more rows)")
    return "\n".join(lines)
