"""Data contracts: column names, dtypes and invariants of every table (pandera/polars)."""
