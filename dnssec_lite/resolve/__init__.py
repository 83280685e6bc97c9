"""Resolving over the network: transports, upstream selection, caches and the
stub and iterative drivers of the validator.

The entry points are :class:`Resolver` and :class:`AsyncResolver`.
"""

from __future__ import annotations

from .cache import AnswerCache
from .exchange import Server
from .resolver import AsyncResolver, Resolver
from .upstreams import Upstreams, parse_resolv_conf, parse_server

__all__ = [
    "AnswerCache",
    "AsyncResolver",
    "Resolver",
    "Server",
    "Upstreams",
    "parse_resolv_conf",
    "parse_server",
]
