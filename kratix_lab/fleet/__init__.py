"""The fleet at scale (issue 15): rows kept up to date incrementally (``rows``), from a source's change feed
(``feeds``), with the reads of objects every row shares tracked as facts (``track``)."""
