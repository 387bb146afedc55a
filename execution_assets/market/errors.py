"""The one error a market-data reader raises for a file it cannot load."""

from __future__ import annotations

from pathlib import Path


class RawDataError(ValueError):
    """A raw file that cannot be loaded at all (as opposed to bad rows, which are quarantined).

    ``line`` is the 1-based line of a text file as an editor shows it (a CSV header is line 1),
    the 1-based row of a parquet file, the 1-based record of a binary file (``unit="record"``),
    or None when the problem is the file as a whole.
    """

    def __init__(self, file: str | Path, line: int | None, rule: str, *, unit: str = "line") -> None:
        self.file = str(file)
        self.line = line
        self.rule = rule
        where = self.file if line is None else f"{self.file}, {unit} {line}"
        super().__init__(f"{where}: {rule}")
