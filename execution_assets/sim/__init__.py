"""Parametric execution market: problem definition and vectorized simulator."""
