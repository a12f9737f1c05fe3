"""The fleet at scale (issue 15): rows kept up to date incrementally (``rows``), each recording what it read
(``deps``), found again through an index of those reads (``index``), from a source's change feed (``feeds``), with
the reads of objects every row shares tracked as facts (``track``) through proxies (``proxies``); big batches of
rows computed by forked processes (``parallel``)."""
