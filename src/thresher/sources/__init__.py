"""Named sources of pages that are not local files: Common Crawl slices and snapshots, ...

Sources sit below extract: each makes :class:`~thresher.sources.page.Page` objects and is
named in :mod:`thresher.sources.registry`, which extract consults (by import path, so reading
a WARC file imports none of these packages).
"""
