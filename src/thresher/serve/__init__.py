"""One page read politely (``thresher read``) and the local HTTP API over it
(``thresher serve``): :mod:`.reader` fetches with :class:`thresher.crawl.PoliteFetcher` and
extracts with extract's, :mod:`.cache` keeps fetched pages, :mod:`.app` serves them,
:mod:`.schema` sends schema requests to :mod:`thresher.llm`, :mod:`.errors` says why a page
could not be read. See docs/read-serve.md."""
