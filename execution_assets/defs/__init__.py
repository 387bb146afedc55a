"""The Dagster layer: thin assets, one folder per domain, loaded by ``load_from_defs_folder``."""
