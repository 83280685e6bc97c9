"""Recorded test vectors: record a live resolution, replay it offline.

* :mod:`.format` -- the JSON file (docs/vectors.md), typed;
* :mod:`.record` -- a fetcher that wraps another and keeps every exchange;
* :mod:`.replay` -- a fetcher answering from a vector, and the comparison;
* :mod:`.dane` -- DANE check vectors (recording and replaying STARTTLS probes);
* :mod:`.dnsviz` -- reading DNSViz probe output;
* :mod:`.graph` -- the checked chain drawn as Graphviz DOT;
* :mod:`.command` -- the ``record`` subcommand.

This layer sits with the command line: it drives the resolver, reads and
writes files; nothing below imports it.
"""

from __future__ import annotations

from .format import SCHEMA, Exchange, Expected, Vector, load_vector, parse_vector
from .record import Recorder, record_resolution
from .replay import Replayer, VectorResult, replay_vector

__all__ = [
    "SCHEMA",
    "Exchange",
    "Expected",
    "Recorder",
    "Replayer",
    "Vector",
    "VectorResult",
    "load_vector",
    "parse_vector",
    "record_resolution",
    "replay_vector",
]
