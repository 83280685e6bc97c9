"""Record data types, one small class per RR type, found through a registry.

Importing this package registers every built-in type.
"""

from . import address, dane, denial, dnssec, names, opt, txt  # noqa: F401  (registration)
from .base import (
    REGISTRY,
    GenericRdata,
    Rdata,
    rdata_class,
    rdata_from_text,
    rdata_from_wire,
)

__all__ = [
    "REGISTRY",
    "GenericRdata",
    "Rdata",
    "rdata_class",
    "rdata_from_text",
    "rdata_from_wire",
]
