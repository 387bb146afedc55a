"""Write one benchmark's section of ``benchmarks/RESULTS.md`` without touching the others."""

from __future__ import annotations

import os
import platform
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nEach section is rewritten by the script it names.\n"


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    )


def write_section(name: str, body: str) -> None:
    """Replace the section ``name`` in RESULTS.md with ``body`` (plus machine and command)."""
    command = "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    section = (
        f"<!-- bench:{name} -->\n## {name}\n\nMachine: {machine_line()}  \n"
        f"Command: `{command}`\n\n{body.strip()}\n<!-- /bench:{name} -->\n"
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->\n", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)


class Load:
    """Mean 1-minute load average, sampled while a mode runs (the machine may be shared)."""

    def __init__(self) -> None:
        self.samples = [os.getloadavg()[0]]

    def sample(self) -> None:
        self.samples.append(os.getloadavg()[0])

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples)
