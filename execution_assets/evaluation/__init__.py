"""Evaluation protocol (DESIGN section 7): paired simulation, metrics, robustness and reports."""
