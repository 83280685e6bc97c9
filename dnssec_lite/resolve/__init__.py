"""Resolving over the network: transports, upstream selection, caches and the
stub and iterative drivers of the validator.

The entry points are :class:`Resolver` and :class:`AsyncResolver`.
"""

from __future__ import annotations

from .cache import AnswerCache
from .exchange import Server
from .fetcher import AsyncFetcher, Batch, Fetcher, adrive, drive, job_steps
from .resolution import ExchangeRecord, Resolution
from .resolver import AsyncResolver, Resolver
from .upstreams import Upstreams, parse_resolv_conf, parse_server

__all__ = [
    "AnswerCache",
    "AsyncFetcher",
    "AsyncResolver",
    "Batch",
    "ExchangeRecord",
    "Fetcher",
    "Resolution",
    "Resolver",
    "Server",
    "Upstreams",
    "adrive",
    "drive",
    "job_steps",
    "parse_resolv_conf",
    "parse_server",
]
