"""What a person says about a model that the .tflite file cannot: the model card.

It comes from command-line options, an API form, or a sidecar YAML/JSON file beside the
model (`kws.tflite` + `kws.yaml`). Every field is checked here, so a bad card is refused
before anything is measured or stored.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml
from rdflib import URIRef

from ..devices.sensors import sensor_class
from ..errors import Invalid
from ..vocab import TR, slug

TASKS = {
    "classification": TR.Classification, "keyword-spotting": TR.KeywordSpotting,
    "kws": TR.KeywordSpotting, "visual-wake-words": TR.VisualWakeWords, "vww": TR.VisualWakeWords,
    "person-detection": TR.PersonDetection, "anomaly-detection": TR.AnomalyDetection,
    "gesture": TR.GestureRecognition, "gesture-recognition": TR.GestureRecognition,
    "regression": TR.Regression, "object-detection": TR.ObjectDetection,
    "image-classification": TR.ImageClassification, "feature-extraction": TR.FeatureExtraction,
    "unsupervised": TR.Unsupervised, "activity-recognition": TR.ActivityRecognition,
}

METRICS = {
    "accuracy": TR.Accuracy, "top1": TR.Top1Accuracy, "top-1": TR.Top1Accuracy,
    "top1-accuracy": TR.Top1Accuracy, "top5": TR.Top5Accuracy, "top-5": TR.Top5Accuracy,
    "f1": TR.F1Score, "auc": TR.AUC, "map": TR.MeanAveragePrecision, "mae": TR.MeanAbsoluteError,
}

_FIELDS = {"name", "model", "task", "sensors", "description", "license", "creator",
           "dataset", "trained_on", "metrics", "npu"}


@dataclass(frozen=True)
class Metric:
    metric: URIRef
    value: float
    dataset: str | None = None
    slice: str | None = None


@dataclass(frozen=True)
class ModelCard:
    name: str
    model: str  # the model's slug: versions of one model share it
    task: URIRef | None = None
    sensors: tuple[URIRef, ...] = ()
    description: str | None = None
    license: str | None = None
    creator: str | None = None
    trained_on: str | None = None
    metrics: tuple[Metric, ...] = field(default_factory=tuple)
    npu: URIRef | None = None


def task_iri(word: str) -> URIRef:
    key = slug(word)
    if key not in TASKS:
        raise Invalid(f"unknown task {word!r}; known: {', '.join(sorted(TASKS))}")
    return TASKS[key]


def _metric(entry: Any, default_dataset: str | None) -> Metric:
    if not isinstance(entry, Mapping) or "metric" not in entry or "value" not in entry:
        raise Invalid(f"a metric needs 'metric' and 'value', got {entry!r}")
    key = slug(str(entry["metric"]))
    if key not in METRICS:
        raise Invalid(f"unknown metric {entry['metric']!r}; known: {', '.join(sorted(METRICS))}")
    try:
        value = float(entry["value"])
    except (TypeError, ValueError):
        raise Invalid(f"metric {entry['metric']!r} has a value that is not a number: "
                      f"{entry['value']!r}") from None
    slice_ = entry.get("slice")
    if isinstance(slice_, Mapping):
        slice_ = ",".join(f"{k}={v}" for k, v in slice_.items())
    return Metric(METRICS[key], value, entry.get("dataset") or default_dataset,
                  str(slice_) if slice_ else None)


def card_from_mapping(data: Mapping[str, Any], fallback_name: str | None = None) -> ModelCard:
    unknown = set(data) - _FIELDS
    if unknown:
        raise Invalid(f"unknown model card field(s): {', '.join(sorted(unknown))}; "
                      f"known: {', '.join(sorted(_FIELDS))}")
    name = data.get("name") or fallback_name
    if not name or not str(name).strip():
        raise Invalid("a model needs a name (--name or `name:` in its card)")
    name = str(name).strip()
    try:
        model_slug = slug(str(data.get("model") or name))
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    sensors = data.get("sensors") or ()
    if isinstance(sensors, str):
        sensors = [s for s in re.split(r"[,\s]+", sensors) if s]
    dataset = data.get("dataset")
    npu = data.get("npu")
    return ModelCard(
        name=name, model=model_slug,
        task=task_iri(str(data["task"])) if data.get("task") else None,
        sensors=tuple(dict.fromkeys(sensor_class(str(s)) for s in sensors)),
        description=data.get("description"), license=data.get("license"),
        creator=data.get("creator"), trained_on=data.get("trained_on") or dataset,
        metrics=tuple(_metric(m, dataset) for m in (data.get("metrics") or ())),
        npu=_npu(str(npu)) if npu else None,
    )


def _npu(word: str) -> URIRef:
    key = re.sub(r"[^a-z0-9]", "", word.lower())
    known = {"ethosu55": TR.EthosU55, "ethosu65": TR.EthosU65, "ethosu85": TR.EthosU85}
    if key not in known:
        raise Invalid(f"unknown NPU {word!r}; known: Ethos-U55, Ethos-U65, Ethos-U85")
    return known[key]


def read_sidecar(model_path: Path) -> dict[str, Any]:
    """The card beside a model file (`x.yaml`, `x.yml` or `x.json`), or {} if there is none."""
    for suffix in (".yaml", ".yml", ".json"):
        path = model_path.with_suffix(suffix)
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            try:
                data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
            except (json.JSONDecodeError, yaml.YAMLError) as exc:
                raise Invalid(f"{path.name}: not valid {suffix[1:].upper()}: {exc}") from None
            if not isinstance(data, Mapping):
                raise Invalid(f"{path.name}: a model card must be a mapping of fields")
            return dict(data)
    return {}
