"""Version numbers that stay distinct and gapless however many processes and hosts register.

A lock serialises the threads of one process, not two `tinyreg serve` workers behind a load
balancer, nor two hosts on one SPARQL server. The number is claimed in the store instead:

1. The next number is one more than the highest version written.
2. A conditional update records a claim (a token of ours, the version IRI, the time) unless
   that version's graph exists already.
3. The claims of that version are read back. The claim is won when it is there and no other
   live claim is. Otherwise it is withdrawn and the next try starts at 1 after a random
   pause: a number another holds is waited for, never skipped (skipping it would leave a
   gap when the other withdraws too).

Two claimers cannot both win: each reads after its own claim is stored, so the later of the
two reads sees the other's claim (a winner never withdraws). The winner writes the version's
graph and then drops its claim. A claim older than STALE_S counts for nothing: its process
died between claim and write (a window of a validation and one write), and the next
registration takes its number again. On a store one process holds at a time (the embedded
one, locked while open), every claim but ours was left by a process that is gone.
"""
from __future__ import annotations

import random
import time
import uuid

from ..errors import Conflict
from ..store import IRI, Store
from ..vocab import model_iri, prefixes

CLAIMS_GRAPH = "urn:tinyreg:claims"
STALE_S = 60
ATTEMPTS = 200

_CLAIM = "urn:tinyreg:claim:"
_CLAIMS = "urn:tinyreg:claims:version"
_AT = "urn:tinyreg:claims:at"

_VERSIONS = prefixes("tr") + """
SELECT ?n WHERE { ?v tr:versionOf ?model ; tr:versionNumber ?n }"""

_CLAIMS_OF = f"SELECT ?c ?at WHERE {{ GRAPH <{CLAIMS_GRAPH}> {{ ?c <{_CLAIMS}> ?v ; <{_AT}> ?at }} }}"


def _live(store: Store, at: int, now: float) -> bool:
    """Whether another's claim made at `at` may still be followed by its version."""
    return store.shared_by_processes and now - at < STALE_S


def _next_number(store: Store, model: str) -> int:
    rows = store.select(_VERSIONS, {"model": IRI(model_iri(model))})
    return max((int(row["n"]) for row in rows), default=0) + 1


def claim(store: Store, model: str, version_iri) -> tuple[int, str]:
    """Claim the next version number of `model`; returns it and the claim to `release`
    once the version's graph is written. `version_iri(model, n)` names version n."""
    token = f"{_CLAIM}{uuid.uuid4().hex}"
    for attempt in range(ATTEMPTS):
        now = time.time()
        number = _next_number(store, model)
        version = version_iri(model, number)
        store.update_graphs(
            f"INSERT {{ GRAPH <{CLAIMS_GRAPH}> {{ <{token}> <{_CLAIMS}> <{version}> ; "
            f"<{_AT}> {int(now)} }} }} "
            f"WHERE {{ FILTER NOT EXISTS {{ GRAPH <{version}> {{ ?s ?p ?o }} }} BIND(1 AS ?one) }}",
            [CLAIMS_GRAPH])
        rows = store.select(_CLAIMS_OF, {"v": IRI(version)})
        mine = any(row["c"] == token for row in rows)
        # Asked apart: Virtuoso answers nothing for a GRAPH ?v sub-select with ?v bound.
        taken = store.has_graph(version) or any(
            row["c"] != token and _live(store, int(row["at"]), now) for row in rows)
        if mine and not taken:
            return number, token
        if mine:
            release(store, token)
        time.sleep(random.uniform(0, min(0.5, 0.02 * (attempt + 1))))
    raise Conflict(f"could not number a new version of {model!r}: {ATTEMPTS} tries met "
                   f"other registrations of it; try again")


def release(store: Store, token: str) -> None:
    """Drop a claim: its version is written, or it was not won."""
    store.update_graphs(
        f"DELETE WHERE {{ GRAPH <{CLAIMS_GRAPH}> {{ <{token}> ?p ?o }} }}", [CLAIMS_GRAPH])
