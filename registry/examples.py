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

_MEMORY = """
  ?model tr:arenaBytes ?arena ; tr:flashBytes ?modelFlash .
  ?device tr:ramBytes ?ram ; tr:flashBytes ?flash .
  OPTIONAL { ?device tr:reservedRamBytes ?ramReserve }
  OPTIONAL { ?device tr:reservedFlashBytes ?flashReserve }
  FILTER(?ram - COALESCE(?ramReserve, 0) >= ?arena
         && ?flash - COALESCE(?flashReserve, 0) >= ?modelFlash)
"""


def _sensors_covered(side: str) -> str:
    """Pairs where the device has every sensor kind the model needs, keyed by `side`.

    A device covers a need when one of its sensors, or a part of one (an IMU's
    accelerometer), is typed with the needed class or a subclass of it. It is written as
    "needs counted = needs covered" rather than a double FILTER NOT EXISTS: Oxigraph
    evaluates a NOT EXISTS once per row, which made the query quadratic in the fleet
    (426 s against 0.02 s for 3,000 devices).
    """
    return f"""
  {{
    SELECT ?{side} WHERE {{
      {{ SELECT ?model (COUNT(DISTINCT ?n) AS ?needs) WHERE {{ ?model tr:requiresSensor ?n }}
         GROUP BY ?model }}
      {{ SELECT ?device ?model (COUNT(DISTINCT ?need) AS ?covered) WHERE {{
          ?model tr:requiresSensor ?need . ?kind rdfs:subClassOf* ?need . ?part a ?kind .
          ?device tr:hasSensor/ssn:hasSubSystem* ?part .
        }} GROUP BY ?device ?model }}
      FILTER(?covered = ?needs)
    }}
  }} UNION {{
    SELECT ?{side} WHERE {{
      ?model a tr:ModelVersion . ?device tr:ramBytes ?anyRam .
      FILTER NOT EXISTS {{ ?model tr:requiresSensor ?anyNeed }}
    }}
  }}"""


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    parameters: tuple[str, ...]  # the variables the caller binds
    sparql: str


DEVICES_FOR_MODEL = Example(
    "devices-for-model", "Which devices can run this model?", ("model",),
    _PREFIXES + "SELECT DISTINCT ?device ?name ?ram ?arena WHERE {"
    + _sensors_covered("device") + _MEMORY + "  ?device schema:name ?name .\n} ORDER BY ?name")

MODELS_FOR_DEVICE = Example(
    "models-for-device", "Which models can run on this device?", ("device",),
    _PREFIXES + "SELECT DISTINCT ?model ?name ?arena ?ram WHERE {"
    + _sensors_covered("model") + _MEMORY
    + "  ?model a tr:ModelVersion ; schema:name ?name .\n} ORDER BY ?name")

BEST_MODEL_FOR_TASK = Example(
    "best-model-for-task", "Which model ranks best for this task on this device?",
    ("task", "device"),
    _PREFIXES + """SELECT ?model ?name ?metric (MAX(?value) AS ?score) WHERE {
  ?model a tr:ModelVersion ; schema:name ?name ; tr:task ?task ;
         tr:evaluation ?evaluation .
  ?evaluation tr:metric ?metric ; schema:value ?value .
  FILTER NOT EXISTS { ?evaluation tr:slice ?slice }""" + _sensors_covered("model") + _MEMORY + """}
GROUP BY ?model ?name ?metric ORDER BY DESC(?score)""")

EXAMPLES = (DEVICES_FOR_MODEL, MODELS_FOR_DEVICE, BEST_MODEL_FOR_TASK)
