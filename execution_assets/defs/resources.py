"""Resources of the code location: the DuckDB warehouse."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from execution_assets import warehouse
from execution_assets.paths import warehouse_path


class WarehouseResource(dg.ConfigurableResource):
    """Short-lived connections to the DuckDB warehouse, with its tables ensured.

    Uses the library's own ``warehouse.connect`` (not ``DuckDBResource``) so that Dagster
    assets, the CLI and tests open the file with one configuration: DuckDB refuses a second,
    differently configured connection to the same file in one process.
    """

    database: str

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.database) as con:
            yield con


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"duckdb": WarehouseResource(database=str(warehouse_path()))})
