"""What a person says about a model that the .tflite file cannot: the model card.

It comes from command-line options, an API form, or a sidecar YAML/JSON file beside the
model (`kws.tflite` + `kws.yaml`). Every field is checked here, so a bad card is refused
before anything is measured or stored.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from rdflib import URIRef

from ..devices.sensors import sensor_class
from ..errors import Invalid
from ..fields import Fields, as_text, describe
from ..parsing import load_json, load_yaml
from ..vocab import TR, slug
from ..words import metric_iri, task_iri
from .figure import RuntimeFigure, runtime_iri

_FIELDS = {"name", "model", "task", "sensors", "description", "license", "creator", "source",
           "dataset", "trained_on", "metrics", "npu", "figures", "max_latency_ms",
           "inference_rate"}
_FIGURE_FIELDS = {"runtime", "source", "basis", "ram_bytes", "flash_bytes", "latency_ms"}
# A budget beyond an hour is no real-time constraint, and a typo more likely than a wish.
MAX_BUDGET_MS = 3_600_000.0


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
    source: str | None = None  # where the file comes from: a URL or a package and version
    trained_on: str | None = None
    metrics: tuple[Metric, ...] = field(default_factory=tuple)
    npu: URIRef | None = None
    # What other runtimes need, as their vendors' tools reported it (e.g. X-CUBE-AI's report).
    figures: tuple[RuntimeFigure, ...] = ()
    max_latency_ms: float | None = None  # the budget: max_latency_ms or the rate's period


def _metric(entry: Fields, default_dataset: str | None) -> Metric:
    name = entry.text("metric", scalar=True)
    if name is None or entry.get("value") is None:
        raise Invalid(f"{entry.where} needs 'metric' and 'value'")
    metric = metric_iri(name)
    value = entry.number("value")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number):
        raise Invalid(f"metric {name!r} has a value that is not a number: {describe(value)}")
    slice_ = entry.get("slice")
    if isinstance(slice_, dict):
        slice_ = ",".join(f"{k}={as_text(v, entry.name('slice'), scalar=True)}"
                          for k, v in slice_.items())
    elif slice_ is not None:
        slice_ = as_text(slice_, entry.name("slice"), scalar=True)
    return Metric(metric, number, entry.text("dataset", scalar=True) or default_dataset,
                  slice_ or None)


def _figure(entry: Fields) -> RuntimeFigure:
    """`figures: [{runtime: x-cube-ai, source: "X-CUBE-AI 10.2", ram_bytes: 41210, ...}]`"""
    unknown = set(entry.data) - _FIGURE_FIELDS
    if unknown:
        raise Invalid(f"{entry.where}: unknown field(s) {', '.join(sorted(map(str, unknown)))[:100]}; "
                      f"known: {', '.join(sorted(_FIGURE_FIELDS))}")
    latency = entry.number("latency_ms")
    if isinstance(latency, str):
        try:
            latency = float(latency)
        except ValueError:
            raise Invalid(f"{entry.name('latency_ms')} is not a number: {describe(latency)}") from None
    try:
        return RuntimeFigure(runtime=runtime_iri(entry.required("runtime", scalar=True)), npu=None,
                             basis=entry.text("basis") or "declared",
                             source=entry.required("source", scalar=True),
                             ram_bytes=entry.integer("ram_bytes"),
                             flash_bytes=entry.integer("flash_bytes"), latency_ms=latency)
    except Invalid as exc:
        raise Invalid(f"{entry.where}: {exc.detail}") from None


def card_from_mapping(data: Mapping[str, Any], fallback_name: str | None = None) -> ModelCard:
    card = Fields(dict(data) if isinstance(data, Mapping) else data, "the model card")
    unknown = set(card.data) - _FIELDS
    if unknown:
        raise Invalid(f"unknown model card field(s): {', '.join(sorted(map(str, unknown)))[:200]}; "
                      f"known: {', '.join(sorted(_FIELDS))}")
    name = card.text("name", scalar=True) or (fallback_name or "").strip()
    if not name:
        raise Invalid("a model needs a name (--name or `name:` in its card)")
    try:
        model_slug = slug(card.text("model", scalar=True) or name)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    sensors = card.get("sensors")
    if isinstance(sensors, str):
        sensors = [s for s in re.split(r"[,\s]+", sensors) if s]
    else:
        sensors = card.texts("sensors")
    dataset = card.text("dataset", scalar=True)
    task, npu = card.text("task"), card.text("npu")
    return ModelCard(
        name=name, model=model_slug,
        task=task_iri(task) if task else None,
        sensors=tuple(dict.fromkeys(sensor_class(s) for s in sensors)),
        description=card.text("description", scalar=True),
        license=card.text("license", scalar=True), creator=card.text("creator", scalar=True),
        source=card.text("source", scalar=True),
        trained_on=card.text("trained_on", scalar=True) or dataset,
        metrics=tuple(_metric(m, dataset) for m in card.mappings("metrics")),
        npu=_npu(npu) if npu else None,
        figures=tuple(_figure(f) for f in card.mappings("figures")),
        max_latency_ms=_budget(card),
    )


_RATE = re.compile(r"^(?:every\s+)?(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*"
                   r"(ms|milliseconds?|s|seconds?|us|µs|microseconds?|hz|/\s*s|per\s+second)$", re.I)
_TO_MS = {"ms": 1.0, "millisecond": 1.0, "milliseconds": 1.0, "s": 1000.0, "second": 1000.0,
          "seconds": 1000.0, "us": 0.001, "µs": 0.001, "microsecond": 0.001,
          "microseconds": 0.001}


def _period_ms(text: str) -> float:
    """An inference rate as the time one inference may take: "every 20 ms", "50 Hz"."""
    match = _RATE.match(text.strip())
    if not match:
        raise Invalid(f"inference_rate {text[:40]!r} is not a rate; write e.g. 'every 20 ms' or '50 Hz'")
    value, unit = float(match.group(1)), re.sub(r"\s+", " ", match.group(2).lower())
    if unit in _TO_MS:
        return value * _TO_MS[unit]
    if value <= 0:
        raise Invalid(f"inference_rate {text[:40]!r} must be more than 0 per second")
    return 1000.0 / value  # Hz, /s, per second


def _budget(card: Fields) -> float | None:
    """The latency budget in ms: max_latency_ms, or the period of inference_rate, or the
    smaller of the two when both are given."""
    budgets = []
    stated = card.number("max_latency_ms")
    if stated is not None:
        try:
            budgets.append((float(stated), "max_latency_ms"))
        except (TypeError, ValueError, OverflowError):
            raise Invalid(f"max_latency_ms is not a number: {describe(stated)}") from None
    rate = card.text("inference_rate", scalar=True)
    if rate is not None:
        budgets.append((_period_ms(rate), "inference_rate"))
    for value, name in budgets:
        if not (math.isfinite(value) and 0 < value <= MAX_BUDGET_MS):
            raise Invalid(f"the latency budget must be more than 0 and at most an hour "
                          f"({MAX_BUDGET_MS:.0f} ms); {name} gives {value:g} ms")
    return min(value for value, _ in budgets) if budgets else None


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
            try:
                text = path.read_text(encoding="utf-8")
                data = load_json(text) if suffix == ".json" else load_yaml(text)
            except UnicodeDecodeError as exc:
                raise Invalid(f"{path.name}: not UTF-8 text (byte {exc.start})") from None
            except Invalid as exc:
                raise Invalid(f"{path.name}: {exc.detail}") from None
            if not isinstance(data, Mapping):
                raise Invalid(f"{path.name}: a model card must be a mapping of fields")
            return dict(data)
    return {}
