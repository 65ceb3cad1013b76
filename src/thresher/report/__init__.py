"""HTML reports of corpora and crawls."""

from thresher.report.html_report import build_report

__all__ = ["build_report"]
