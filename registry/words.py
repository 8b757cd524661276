"""One spelling for tasks and metrics, wherever people type or read them.

People write `keyword-spotting` and `accuracy` (the card, `--task`, `--metric`, the API's
filters and the upload form); the ontology names them tr:KeywordSpotting and tr:Accuracy.
Every input goes through `task_iri` / `metric_iri`, which take the word, one of its aliases,
the ontology's local name or the IRI; every output shows `word` of the IRI. An unknown one
is refused with the list of the words that are known.
"""
from __future__ import annotations

from rdflib import URIRef

from .errors import Invalid
from .vocab import TR, local_name, slug

# The word first, then its aliases: the first spelling of a term is the one shown.
TASKS: dict[str, URIRef] = {
    "classification": TR.Classification, "keyword-spotting": TR.KeywordSpotting,
    "kws": TR.KeywordSpotting, "visual-wake-words": TR.VisualWakeWords, "vww": TR.VisualWakeWords,
    "person-detection": TR.PersonDetection, "anomaly-detection": TR.AnomalyDetection,
    "gesture": TR.GestureRecognition, "gesture-recognition": TR.GestureRecognition,
    "regression": TR.Regression, "object-detection": TR.ObjectDetection,
    "image-classification": TR.ImageClassification, "feature-extraction": TR.FeatureExtraction,
    "unsupervised": TR.Unsupervised, "activity-recognition": TR.ActivityRecognition,
}

METRICS: dict[str, URIRef] = {
    "accuracy": TR.Accuracy, "top1": TR.Top1Accuracy, "top-1": TR.Top1Accuracy,
    "top1-accuracy": TR.Top1Accuracy, "top5": TR.Top5Accuracy, "top-5": TR.Top5Accuracy,
    "f1": TR.F1Score, "auc": TR.AUC, "map": TR.MeanAveragePrecision, "mae": TR.MeanAbsoluteError,
}


def _words(table: dict[str, URIRef]) -> dict[str, str]:
    out: dict[str, str] = {}
    for spelling, iri in table.items():
        out.setdefault(str(iri), spelling)
    return out


_TASK_WORDS, _METRIC_WORDS = _words(TASKS), _words(METRICS)


def _key(text: str) -> str:
    try:
        return slug(text)
    except ValueError:  # nothing left of it in a slug: no task or metric is named so
        return ""


def _iri(text: str, table: dict[str, URIRef], words: dict[str, str], what: str,
         flag: str | None) -> URIRef:
    text = (text or "").strip()
    key = _key(text)
    if key in table:
        return table[key]
    if text in words:  # the IRI
        return URIRef(text)
    by_local = {_key(local_name(iri)): iri for iri in words}  # KeywordSpotting
    if key in by_local and ":" not in text:
        return URIRef(by_local[key])
    named = f"{flag}: " if flag else ""
    raise Invalid(f"{named}unknown {what} {text[:40]!r}; use one of: "
                  f"{', '.join(sorted(set(words.values())))}")


def task_iri(text: str, flag: str | None = None) -> URIRef:
    """The task a person means; `flag` names the option in the error (e.g. --task)."""
    return _iri(text, TASKS, _TASK_WORDS, "task", flag)


def metric_iri(text: str, flag: str | None = None) -> URIRef:
    return _iri(text, METRICS, _METRIC_WORDS, "metric", flag)


def word(iri) -> str | None:
    """The word for a task or metric IRI (keyword-spotting); other terms by local name."""
    if iri is None:
        return None
    text = str(iri)
    return _TASK_WORDS.get(text) or _METRIC_WORDS.get(text) or local_name(text)


def task_words() -> list[str]:
    return sorted(set(_TASK_WORDS.values()))
