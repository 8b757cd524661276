"""The example questions the demo asks and the SPARQL page offers.

Each asks the compatibility engine through the registry's SPARQL functions (trf:fits,
trf:why; sparql_functions.py), so an example never lists a device the engine refuses: the
research prototype's version of these questions, which compared memory figures and sensors
in SPARQL (ontology/competency/), once listed 20 devices for a model that fits none. Each
takes its subject as a bound variable (`?model`, `?device`, `?task`), never pasted into the
text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .store import IRI
from .store.terms import inline_bindings
from .vocab import prefixes

if TYPE_CHECKING:
    from .core import Registry


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    parameters: tuple[str, ...]  # the variables the caller binds
    sparql: str


_HEAD = prefixes("tr", "trf", "schema", "rdfs")

DEVICES_FOR_MODEL = Example(
    "devices-for-model", "Which devices can run this model?", ("model",), _HEAD + """\
SELECT ?device ?name ?notes WHERE {
  ?device a tr:Device ; schema:name ?name .
  FILTER(trf:fits(?model, ?device))
  BIND(trf:why(?model, ?device) AS ?notes)   # warnings and notes, if any
} ORDER BY ?name""")

MODELS_FOR_DEVICE = Example(
    "models-for-device", "Which models can run on this device?", ("device",), _HEAD + """\
SELECT ?model ?name ?notes WHERE {
  ?model a tr:ModelVersion ; schema:name ?name .
  FILTER(trf:fits(?model, ?device))
  BIND(trf:why(?model, ?device) AS ?notes)
} ORDER BY ?name""")

BEST_MODEL_FOR_TASK = Example(
    "best-model-for-task", "Which model ranks best for this task on this device?",
    ("task", "device"), _HEAD + """\
SELECT ?model ?name ?metric (MAX(?value) AS ?score) WHERE {
  ?model a tr:ModelVersion ; schema:name ?name ; tr:evaluation ?evaluation .
  { ?model tr:task ?task } UNION { ?model tr:versionOf/tr:task ?task }
  ?evaluation tr:metric ?metricTerm ; schema:value ?value .
  ?metricTerm rdfs:label ?metric .
  FILTER NOT EXISTS { ?evaluation tr:slice ?slice }   # whole datasets only
  FILTER(trf:fits(?model, ?device))
} GROUP BY ?model ?name ?metric ORDER BY DESC(?score)""")

WHY_NOT = Example(
    "why-not", "Where does this model not fit, or is not known to, and why?", ("model",), _HEAD + """\
SELECT ?device ?name ?fits ?runs ?why WHERE {
  ?device a tr:Device ; schema:name ?name .
  BIND(trf:fits(?model, ?device) AS ?fits)   # no value: unknown, a fact is not stated
  FILTER(!BOUND(?fits) || !?fits)
  BIND(trf:runs(?model, ?device) AS ?runs)   # true: only a sensor is missing
  BIND(trf:why(?model, ?device) AS ?why)
} ORDER BY DESC(?runs) ?name""")

EXAMPLES = (DEVICES_FOR_MODEL, MODELS_FOR_DEVICE, BEST_MODEL_FOR_TASK, WHY_NOT)

_FIRST_VERSION = prefixes("tr") + """
SELECT ?v ?t WHERE { ?v a tr:ModelVersion OPTIONAL { ?v tr:task ?t } } ORDER BY ?v LIMIT 1"""
_ROOMIEST_DEVICE = prefixes("tr") + "SELECT ?d WHERE { ?d tr:usableRamBytes ?r } ORDER BY DESC(?r) LIMIT 1"


def bound_examples(registry: Registry) -> list[dict[str, str]]:
    """The example questions with their subjects written in: the first registered model
    version and its task, and the device with the most RAM (a question's text stays as it
    is while the registry has no such subject). The values come from the store, serialised
    as RDF terms, never from a request."""
    model = registry.store.select(_FIRST_VERSION)
    device = registry.store.select(_ROOMIEST_DEVICE)
    values = {"model": model[0]["v"] if model else None,
              "task": model[0]["t"] if model else None,
              "device": device[0]["d"] if device else None}
    out = []
    for example in EXAMPLES:
        bound = {p: IRI(values[p]) for p in example.parameters if values[p]}
        text = (inline_bindings(example.sparql, bound) if len(bound) == len(example.parameters)
                else example.sparql)
        out.append({"key": example.key, "title": example.title, "sparql": text})
    return out
