"""Named sources of pages that are not local files: Common Crawl slices and snapshots, ...

Each source plugs into extract through :mod:`thresher.extract.sources` (its registry names a
source by import path, so reading a WARC file imports none of these packages).
"""
