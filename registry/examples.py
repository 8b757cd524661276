"""The registry's three acceptance questions, as SPARQL over the ontology's terms.

They are the research prototype's example queries, written for byte-exact figures and
sensor subsumption. Each takes its subject as a bound variable (`?model`, `?device`,
`?task`), never pasted into the text. The dashboard's SPARQL page offers them as examples;
the compatibility engine answers the same questions with every constraint of the shapes.
"""
from __future__ import annotations

from dataclasses import dataclass

_PREFIXES = """PREFIX tr: <https://w3id.org/tinyreg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX ssn: <http://www.w3.org/ns/ssn/>
PREFIX schema: <https://schema.org/>
"""

# A device "has" a sensor class when one of its sensors, or a part of one (an IMU's
# accelerometer), is typed with that class or a subclass of it.
_FITS = """
  ?model tr:arenaBytes ?arena ; tr:flashBytes ?modelFlash .
  ?device tr:ramBytes ?ram ; tr:flashBytes ?flash .
  OPTIONAL { ?device tr:reservedRamBytes ?ramReserve }
  OPTIONAL { ?device tr:reservedFlashBytes ?flashReserve }
  FILTER(?ram - COALESCE(?ramReserve, 0) >= ?arena
         && ?flash - COALESCE(?flashReserve, 0) >= ?modelFlash)
  FILTER NOT EXISTS {
    ?model tr:requiresSensor ?need .
    FILTER NOT EXISTS {
      ?device tr:hasSensor ?sensor .
      { ?sensor a ?kind } UNION { ?sensor ssn:hasSubSystem+ ?part . ?part a ?kind }
      ?kind rdfs:subClassOf* ?need .
    }
  }
"""


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    parameters: tuple[str, ...]  # the variables the caller binds
    sparql: str


DEVICES_FOR_MODEL = Example(
    "devices-for-model", "Which devices can run this model?", ("model",),
    _PREFIXES + """SELECT DISTINCT ?device ?name ?ram ?arena WHERE {
  ?device schema:name ?name .""" + _FITS + "} ORDER BY ?name")

MODELS_FOR_DEVICE = Example(
    "models-for-device", "Which models can run on this device?", ("device",),
    _PREFIXES + """SELECT DISTINCT ?model ?name ?arena ?ram WHERE {
  ?model a tr:ModelVersion ; schema:name ?name .""" + _FITS + "} ORDER BY ?name")

BEST_MODEL_FOR_TASK = Example(
    "best-model-for-task", "Which model ranks best for this task on this device?",
    ("task", "device"),
    _PREFIXES + """SELECT ?model ?name ?metric (MAX(?value) AS ?score) WHERE {
  ?model a tr:ModelVersion ; schema:name ?name ; tr:task ?task ;
         tr:evaluation ?evaluation .
  ?evaluation tr:metric ?metric ; schema:value ?value .
  FILTER NOT EXISTS { ?evaluation tr:slice ?slice }""" + _FITS + """}
GROUP BY ?model ?name ?metric ORDER BY DESC(?score)""")

EXAMPLES = (DEVICES_FOR_MODEL, MODELS_FOR_DEVICE, BEST_MODEL_FOR_TASK)
