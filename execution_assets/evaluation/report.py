"""A report: Markdown with embedded PNG plots, written as ``.md`` and a self-contained ``.html``.

Plots are inlined as base64 data URIs in both files, so either opens anywhere without the
warehouse or the artifacts folder; the same Markdown is what the Dagster UI shows.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt

from execution_assets.paths import artifacts_dir
from execution_assets.plots import png_markdown

_CSS = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; max-width: 1000px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; }
code { background: #f4f4f4; padding: 0 0.2em; }
.note { color: #555; font-size: 0.9em; }
"""


@dataclass
class Report:
    """Built section by section; ``markdown()`` is the whole document."""

    name: str  # file stem, e.g. "evaluation"
    title: str
    parts: list[str] = field(default_factory=list)

    def text(self, markdown: str) -> Report:
        self.parts.append(markdown.strip())
        return self

    def section(self, heading: str, markdown: str = "") -> Report:
        self.parts.append(f"## {heading}")
        if markdown:
            self.text(markdown)
        return self

    def image(self, png: bytes, alt: str) -> Report:
        self.parts.append(png_markdown(png, alt))
        return self

    def markdown(self) -> str:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return f"# {self.title}\n\n_Generated {stamp}._\n\n" + "\n\n".join(self.parts) + "\n"


def to_html(markdown: str, title: str) -> str:
    """A standalone HTML page of ``markdown`` (GitHub-style tables, inline images)."""
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)  # raw HTML escaped
    return (
        f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body>\n{body}</body></html>\n"
    )


def reports_dir() -> Path:
    return artifacts_dir() / "reports"


def write_report(report: Report, folder: Path | None = None) -> tuple[Path, Path, str]:
    """Write ``<name>.md`` and ``<name>.html``; returns both paths and the Markdown."""
    folder = folder or reports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    markdown = report.markdown()
    md_path, html_path = folder / f"{report.name}.md", folder / f"{report.name}.html"
    md_path.write_text(markdown)
    html_path.write_text(to_html(markdown, report.title))
    return md_path, html_path, markdown
