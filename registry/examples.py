"""The registry's three acceptance questions, as SPARQL over the ontology's terms.

They are the research prototype's example queries, written for byte-exact figures and
sensor subsumption, and three of the ontology's competency questions: their text lives in
`ontology/competency/` with the others. Each takes its subject as a bound variable
(`?model`, `?device`, `?task`), never pasted into the text. The dashboard's SPARQL page
offers them as examples; the compatibility engine answers the same questions with every
constraint of the shapes.
"""
from __future__ import annotations

from dataclasses import dataclass

from .competency import competency_question


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    parameters: tuple[str, ...]  # the variables the caller binds
    sparql: str


def _example(key: str) -> Example:
    question = competency_question(key)
    return Example(question.key, question.question, question.parameters, question.sparql)


DEVICES_FOR_MODEL = _example("devices-for-model")
MODELS_FOR_DEVICE = _example("models-for-device")
BEST_MODEL_FOR_TASK = _example("best-model-for-task")

EXAMPLES = (DEVICES_FOR_MODEL, MODELS_FOR_DEVICE, BEST_MODEL_FOR_TASK)
