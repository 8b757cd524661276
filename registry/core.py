"""The Registry: one object that owns the store, the data directory and the shipped graphs.

The CLI and the web app each hold one Registry and reach everything through it: the typed
collaborators `registry.models`, `registry.devices`, `registry.compat` and
`registry.deployments` (registry/front/) take typed filters and a `Page` and answer pages
with their counts; `registry.intake` is the one way in for files; the capability modules
underneath take a Registry.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import threading
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import pyoxigraph as ox
import rdflib

from . import querytext
from .counts import counts
from .errors import Invalid
from .entailment import shipped_closure
from .front.compat import Compat
from .front.deployments import Deployments
from .front.devices import Devices
from .front.models import Models
from .intake import Intake
from .keys import publish_key
from .migrate import DATA_VERSION, data_version, migrate
from .resources import reference_graph
from .settings import Settings, load_settings
from .store import IRI, EmbeddedStore, QueryResult, Store
from .vocab import FUNCTION_NS, ID, META_GRAPH, ONTOLOGY_IRI, TR

log = logging.getLogger(__name__)

# Which closure (registry/entailment.py) the store's graphs were written under.
_ENTAILED = "urn:tinyreg:entailment"
_ENTAILED_UNDER = f"ASK WHERE {{ GRAPH <{META_GRAPH}> {{ <{_ENTAILED}> <{_ENTAILED}> ?digest }} }}"
_SET_ENTAILED_UNDER = (f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{_ENTAILED}> <{_ENTAILED}> ?old }} }} ;\n"
                       f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{_ENTAILED}> <{_ENTAILED}> DIGEST }} }}")


def open_store(settings: Settings) -> Store:
    if settings.store_url:
        from .store.remote import RemoteStore  # only when configured
        return RemoteStore.from_settings(settings)
    return EmbeddedStore(settings.data_path / "store")


@functools.lru_cache(maxsize=1)
def _ontology_text() -> tuple[str, str, int]:
    """The shipped ontology graph as N-Triples, its digest and its size: serialised once a
    process (0.1-0.2 s), not on every `init`, which each CLI command's first use runs."""
    onto = reference_graph()
    text = onto.serialize(format="nt")
    return text, hashlib.sha256(text.encode()).hexdigest(), len(onto)


class Registry:
    def __init__(self, settings: Settings, store: Store | None = None):
        self.settings = settings
        self.store = store if store is not None else open_store(settings)
        # Every graph written through this registry carries its RDFS entailments.
        self.store.entailment = shipped_closure()
        # Derived state that capabilities keep per registry (e.g. the compatibility
        # engine's arrays), keyed by capability name; each entry checks store.revision().
        self.cache: dict[str, Any] = {}
        self._background: list[threading.Thread] = []

    @classmethod
    def open(cls, settings: Settings | None = None, **overrides: Any) -> "Registry":
        settings = settings or load_settings(**overrides)
        return cls(settings)

    # ---- the typed collaborators (registry/front/): what the CLI, the API and the dashboard call
    @cached_property
    def models(self) -> Models:
        return Models(self)

    @cached_property
    def devices(self) -> Devices:
        return Devices(self)

    @cached_property
    def compat(self) -> Compat:
        return Compat(self)

    @cached_property
    def deployments(self) -> Deployments:
        return Deployments(self)

    @cached_property
    def intake(self) -> Intake:
        """The one way in for model and device files (registry/intake/)."""
        return Intake(self)

    # ---- places on disk
    @property
    def data_path(self) -> Path:
        return self.settings.data_path

    @property
    def artifacts_path(self) -> Path:
        return self.data_path / "artifacts"

    # ---- set-up
    def init(self) -> dict[str, Any]:
        """Create the data directory and the signing key, load the shipped ontology graph
        when it changed, bring the stored data to the current layout (registry.migrate)
        and publish the registry's public key.

        Safe to run any number of times: the ontology graph is replaced only when its
        content hash differs from the one stored, and a store already migrated is left as
        it is.
        """
        self.data_path.mkdir(parents=True, exist_ok=True)
        self.artifacts_path.mkdir(parents=True, exist_ok=True)
        ontology, digest, triples = _ontology_text()
        stored = self.store.select(
            "SELECT ?h WHERE { GRAPH ?g { ?g <https://w3id.org/tinyreg/ontology#sourceDocument> ?h } }",
            {"g": IRI(ONTOLOGY_IRI)})
        loaded = False
        if not stored or stored[0]["h"] != digest:
            stamp = (rdflib.URIRef(ONTOLOGY_IRI).n3(), TR.sourceDocument.n3(), rdflib.Literal(digest).n3())
            self.store.put_graph(ONTOLOGY_IRI, ontology + " ".join(stamp) + " .\n")
            loaded = True
        migrated = migrate(self.store)
        publish_key(self.store, self.data_path)
        # after a migration the renamed terms need their own entailments, whatever closure
        # the store was written under before
        entailed = self._entail_written(again=bool(migrated))
        return {"data_dir": str(self.data_path), "ontology_loaded": loaded,
                "ontology_triples": triples, "migrated_to": migrated,
                "graphs_entailed": entailed, "revision": self.store.revision()}

    def ensure_initialized(self) -> None:
        """Run `init()` on first use of a data directory or of a store written by an earlier
        release, and bring the entailments of a store written before (or under other
        ontology axioms) in step (cheap when done)."""
        if not self.store.has_graph(ONTOLOGY_IRI) or data_version(self.store) < DATA_VERSION:
            self.init()
        else:
            self._entail_written()

    def _entail_written(self, again: bool = False, batch: int = 500) -> int:
        """Write every entity graph again with the current closure's entailments, unless
        the store says it was written under this closure (and `again` is false); how many
        graphs were written."""
        closure = self.store.entailment
        if not again and self.store.ask(_ENTAILED_UNDER, {"digest": closure.digest}):
            return 0
        names = self.store.graph_names(under=ID)
        for start in range(0, len(names), batch):
            self.store.put_graphs({n: self.store.get_graph(n) for n in names[start:start + batch]})
        self.store.update(_SET_ENTAILED_UNDER.replace("DIGEST", str(ox.Literal(closure.digest))))
        if names:
            log.info("wrote the RDFS entailments of %d graphs", len(names))
        return len(names)

    # ---- reading
    def query(self, sparql: str, bindings: Mapping[str, Any] | None = None,
              functions: Mapping[Any, Any] | None = None) -> QueryResult:
        """Run query text that a person wrote (`tinyreg query`, a deploy's --where), checked
        as the public endpoint checks it: size, nesting, and no SERVICE or LOAD unless
        `sparql_allow_federation` is on. `functions` are extension functions the text may
        call (the registry's own: sparql_functions.query passes them)."""
        self.check_query(sparql)
        store, options = self.store_for(sparql, functions)
        return store.query(sparql, bindings, **options)

    def check_query(self, sparql: str) -> None:
        """The checks `query` makes before the text reaches the engine."""
        if not sparql or not sparql.strip():
            raise Invalid("empty SPARQL query")
        querytext.check(sparql, allow_federation=self.settings.sparql_allow_federation)

    def store_for(self, sparql: str, functions: Mapping[Any, Any] | None = None
                  ) -> tuple[Store, dict[str, Any]]:
        """The store to run this query text on, and the keyword arguments that give it the
        `functions`: the store itself when it can run them, else, when the text calls them,
        a local copy of its graphs kept in step by its change log (an external server
        cannot call back into the registry)."""
        store = self.store
        if not functions or not (store.runs_functions or FUNCTION_NS in sparql):
            return store, {}
        if not store.runs_functions:
            from .store.mirror import mirror  # only for a remote store asked our functions
            store = mirror(self)
        return store, {"functions": functions}

    def stats(self) -> dict[str, int]:
        """How many models, versions, devices, deployments and graphs the registry holds,
        and its revision: kept from the store's change log (counts.py)."""
        return counts(self).as_dict()

    def in_background(self, work, name: str) -> None:
        """Run `work` in a thread of its own that `close` waits for: work that reads the
        store must not find it closed under it."""
        thread = threading.Thread(target=work, name=name, daemon=True)
        self._background = [t for t in self._background if t.is_alive()] + [thread]
        thread.start()

    def close(self) -> None:
        for thread in self._background:
            thread.join()
        self.store.close()

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


