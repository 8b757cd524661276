"""The prototype's own kind of question, in its own terms, asked of the registry after an
import: the same rows as over its Turtle, because each entity's graph keeps the prototype's
statements beside ours.

The queries are written here in the shape of the prototype's three examples (its
sparql_queries.py: devices with given sensors and enough RAM and flash; models whose RAM and
flash needs fit a device and take a given sensor's input; models for a task ranked by their
accuracy), against this fixture's vocabulary; they are not copies of its text.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from tinyreg.registry.devices.register import add_device

DATA = Path(__file__).resolve().parents[1] / "data" / "devices" / "prototype.ttl"
PREFIXES = """PREFIX s3n: <http://w3id.org/s3n/>
PREFIX ssn: <http://www.w3.org/ns/ssn/>
PREFIX ssn-system: <http://www.w3.org/ns/ssn/systems/>
PREFIX schema: <http://schema.org/>
PREFIX om: <http://www.ontology-of-units-of-measure.org/resource/om-2/>
PREFIX nnet: <http://tinyml-schema.org/networkschema#>
PREFIX s3n_extend: <http://tinyml-schema.org/s3n_extend/>
PREFIX sosa_extend: <http://tinyml-schema.org/sosa_extend/>
PREFIX ssn_extend: <http://tinyml-schema.org/ssn_extend/>
"""
QUESTIONS = {
    "devices with an accelerometer, a gyroscope and room for a model": """
SELECT ?device ?ram ?flash WHERE {
  ?device a s3n:SmartSensor ; ssn:hasSubSystem ?a , ?g , ?mcu .
  ?a a sosa_extend:Accelerometer . ?g a sosa_extend:Gyroscope .
  ?mcu a s3n:MicroController ; s3n:hasSystemCapability ?cap .
  ?cap ssn-system:hasSystemProperty ?r , ?f .
  ?r a s3n_extend:RAM ; schema:value ?ram ; schema:unitCode om:kilobyte .
  ?f a s3n_extend:Flash ; schema:value ?flash ; schema:unitCode om:kilobyte .
  FILTER (?ram >= 116.5) FILTER (?flash >= 531.6)
}""",
    "models a microphone feeds that fit 117 kB of RAM and 237 kB of flash": """
SELECT ?model ?name ?macs ?ram ?flash WHERE {
  ?model a nnet:NeuralNetwork ; schema:name ?name ; ssn:hasInput ?input ;
    s3n:hasProcedureFeature ?x1 , ?x2 .
  OPTIONAL { ?model nnet:hasMultiplyAccumulateOps ?macs }
  ?sensor a sosa_extend:Microphone ; ssn_extend:provideInput ?input .
  ?x1 ssn-system:inCondition ?c1 . ?c1 a s3n_extend:RAM ; schema:minValue ?ram .
  ?x2 ssn-system:inCondition ?c2 . ?c2 a s3n_extend:Flash ; schema:minValue ?flash .
  FILTER (?ram <= 117) FILTER (?flash <= 237)
}""",
    "classification models by top-1 accuracy": """
SELECT ?model ?name ?accuracy WHERE {
  ?model a nnet:NeuralNetwork ; schema:name ?name ; nnet:hasCategory nnet:Classification ;
    nnet:hasMetric ?metric .
  ?metric a nnet:Top_1_accuracy .
  { ?metric nnet:hasMetricValue ?accuracy } UNION { ?metric schema:value ?accuracy }
} ORDER BY DESC(?accuracy)""",
}


def _plain(value):
    """One form for a value from either side: numbers as floats, the rest as text."""
    if hasattr(value, "toPython"):
        value = value.toPython()
    if value is None:
        return None
    try:
        return float(value) if not isinstance(value, bool) and not isinstance(value, str) \
            else str(value)
    except (TypeError, ValueError):
        return str(value)


def _rows(result) -> list[tuple]:
    return [tuple(_plain(v) for v in row) for row in result]


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_prototypes_questions_give_its_own_rows(registry, question):
    source = rdflib.Graph().parse(DATA, format="turtle", publicID="http://example.org/tinyml/")
    expected = _rows(source.query(PREFIXES + QUESTIONS[question]))
    assert expected, "the question finds something in the prototype's own graph"
    add_device(registry, DATA.read_bytes(), "prototype.ttl")
    rows = registry.store.select(PREFIXES + QUESTIONS[question])
    ours = [tuple(_plain(v) for v in row.values()) for row in rows]
    assert sorted(ours, key=repr) == sorted(expected, key=repr)
