"""Optimal-execution workflow: market data, calibration, simulation, agents, evaluation.

The top-level package is the domain library (no Dagster import); the Dagster layer lives
in ``execution_assets.defs`` and ``execution_assets.definitions``.
"""
