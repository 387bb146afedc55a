"""Report rendering: Markdown with inline PNGs, and a standalone HTML page."""

from __future__ import annotations

import matplotlib.pyplot as plt

from execution_assets.evaluation.report import Report, to_html, write_report
from execution_assets.plots import figure_png


def test_report_writes_markdown_and_self_contained_html(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    report = Report("demo", "Demo <report>").section("Numbers", "| a | b |\n|---|---:|\n| 1 | 2.5 |").image(figure_png(fig), "line")
    md_path, html_path, markdown = write_report(report, tmp_path)
    assert md_path.read_text() == markdown and markdown.startswith("# Demo <report>")
    assert "![line](data:image/png;base64," in markdown
    html = html_path.read_text()
    assert "<title>Demo &lt;report&gt;</title>" in html
    assert '<td style="text-align:right">2.5</td>' in html
    assert '<img src="data:image/png;base64,' in html and 'src="http' not in html


def test_html_escapes_raw_html_in_markdown():
    assert "<script>" not in to_html("<script>alert(1)</script>", "t")
