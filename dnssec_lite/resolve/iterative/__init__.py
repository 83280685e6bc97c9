"""An iterative resolution engine: resolves from the root, no recursive
resolver needed, as sans-I/O step generators.

A lookup returns a message shaped like what a recursive resolver answers to
a ``DO=1 CD=1`` query: the question as asked, the CNAME/DNAME chain
concatenated into the answer section (signatures attached), the authority
section of the last response (denial proofs), ``RA``/``RD``/``CD`` set.  It
never validates: that is the validator's job.

What the engine does:

* follows referrals from the root servers given, using glue when present and
  resolving the addresses of glueless name servers itself (with a loop
  guard and a depth limit);
* skips lame servers (errors, timeouts, SERVFAIL/REFUSED, upward or
  sideways referrals) and tries the next one; retries over TCP when an
  answer comes back truncated;
* skips DNSSEC-lame servers of zones known to be signed: an answer without
  any RRSIG (from a trust-anchor zone or a zone whose referral carried a
  DS), or a referral whose DS RRset is unsigned or which has neither a DS
  nor a signed NSEC/NSEC3 denial (from a trust-anchor zone or a zone whose
  DS was seen signed): a server or middlebox that strips DNSSEC.  The other
  servers of the zone are tried first; only when all are DNSSEC-lame is the
  first such response used (the validator then says what is missing);
* follows CNAME and DNAME chains across zones (at most :data:`MAX_CHAIN`
  responses, from ``Limits.max_chain_links``, also under an NXDOMAIN
  rcode); an in-answer chain is walked first, but not past a name outside
  the answering server's zone (that name is asked of its own servers), and
  irrelevant records are dropped;
* sends DS queries to the *parent* side of the zone cut, and answers them
  from the DS records (or the NSEC/NSEC3 denial) seen in referrals when the
  parent has no answer of its own;
* keeps per-engine caches (:mod:`.memory`): zone cut -> name servers and
  addresses, zone cut -> DS/denial from referrals, and name -> A/AAAA
  addresses seen in the answer or additional section of a zone's answers
  when the name is in that zone's bailiwick;
* optionally minimises query names (RFC 9156, "relaxed" like Unbound's
  default; :mod:`.minimise`);
* returns which servers answered each lookup and can be told to avoid
  servers for a zone (:meth:`IterativeEngine.exclude`): :mod:`.restarts`
  uses both to retry a validation that came out bogus with the servers that
  supplied the bogus data left out (Unbound's server blacklist and
  ``val-max-restart``).

Modules: :mod:`.common` (types, limits, pure helpers), :mod:`.memory`,
:mod:`.minimise`, :mod:`.engine` (the step generators), :mod:`.parallel`
(lookups side by side), :mod:`.restarts`, :mod:`.mode` (the resolver's
iterative mode), :mod:`.transports` (the older one-query transports as
fetchers).  Every query is logged at DEBUG level on
``dnssec_lite.resolve.iterative``.
"""

from __future__ import annotations

from ..exchange import Server
from .common import MAX_CHAIN, MAX_MINIMISE_COUNT, MAX_RESTARTS, MINIMISE_ONE_LAB, Source
from .engine import IterativeEngine, LookupResult
from .parallel import gather
from .restarts import Lookup, parallel_round, restart_steps, validate_with_restarts
from .transports import QueryTransport, QueryTransportFetcher

__all__ = [
    "MAX_CHAIN",
    "MAX_MINIMISE_COUNT",
    "MAX_RESTARTS",
    "MINIMISE_ONE_LAB",
    "IterativeEngine",
    "Lookup",
    "LookupResult",
    "QueryTransport",
    "QueryTransportFetcher",
    "Server",
    "Source",
    "gather",
    "parallel_round",
    "restart_steps",
    "validate_with_restarts",
]
