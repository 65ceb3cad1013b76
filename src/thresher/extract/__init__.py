"""The extract stage: main content, metadata and structured records from WARC, WET, ARC and
HTML.

``extract(inputs, config)`` streams :class:`~thresher.document.Document` objects from files
and folders; ``extract_html(html, url)`` does one page. Counts of what was kept and dropped
(and why) are gathered in a :class:`~thresher.stats.StepStats`.
"""

from __future__ import annotations

from thresher.extract.config import ExtractConfig
from thresher.extract.page import extract_html
from thresher.extract.run import process_page
from thresher.extract.stream import extract

__all__ = ["ExtractConfig", "extract", "extract_html", "process_page"]
