"""What the files beside a model say about it: our card, a vendor's manifest, a Hugging Face
model card, each read for what it can tell, none of them a reason to refuse the model.

Beside `kws.tflite` the registry reads:

- our card, `kws.yaml`, `kws.yml` or `kws.json` (card.py), whose mistakes are the author's
  to fix and refuse the model;
- an ESPHome micro_wake_word manifest (any `.json` in the folder whose `model` names the
  file, or the same-named one): the wake word and author become the card's name and creator,
  and `micro.tensor_arena_size` is kept as the declared arena, beside the measured one;
- a Hugging Face model card, `README.md` with YAML front matter: license, datasets, tags,
  and the metrics of its `model-index`;
- any other file: a warning, and the model goes on.

Values are read through the typed readers of registry/fields.py, within the parsing bounds
of registry/parsing.py: a value of the wrong type, or a declared arena beyond any
microcontroller, is warned about and left out, and the rest of the file is still read.

Our card wins over the others, and options (the command line, an API form) over all.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar

from ..devices.facts import MAX_MCU_BYTES
from ..errors import Invalid
from ..fields import Fields
from ..parsing import load_json, load_yaml
from ..words import METRICS, TASKS
from .card import _FIELDS, read_sidecar

T = TypeVar("T")

logger = logging.getLogger(__name__)

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|\Z)", re.DOTALL)
_MAX_BYTES = 1 << 20  # a manifest or a card larger than this is not one


@dataclass
class Beside:
    card: dict[str, Any] = field(default_factory=dict)  # fields for card_from_mapping
    declared_arena: int | None = None
    declared_in: str | None = None  # the file that declared it
    read: list[str] = field(default_factory=list)  # "kws.json (ESPHome micro_wake_word manifest)"
    warnings: list[str] = field(default_factory=list)


def read_beside(model_path: Path) -> Beside:
    out = Beside()
    own = _own_card(model_path, out)
    for path in sorted(model_path.parent.glob("*.json")):
        data = _json(path)
        # A manifest names its model file; one that names none goes with its namesake.
        if _is_micro_wake_word(data) and Path(str(data.get("model") or path.stem + ".tflite")
                                               ).name == model_path.name:
            _micro_wake_word(data, path, out)
    readme = model_path.parent / "README.md"
    if readme.is_file():
        _hugging_face(readme, out)
    # Our card last: it wins over what the others said.
    out.card.update(own)
    return out


def _json(path: Path) -> Any:
    """A JSON file of the folder, or None: files that are not JSON are none of its business
    (the model's namesake was looked at, and warned about, as a card)."""
    try:
        if path.stat().st_size > _MAX_BYTES:
            return None
        return load_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, Invalid):
        return None


def _own_card(model_path: Path, out: Beside) -> dict[str, Any]:
    """Our card, when the same-named file is one; a foreign file there is warned about."""
    for suffix in (".yaml", ".yml", ".json"):
        path = model_path.with_suffix(suffix)
        if not path.is_file():
            continue
        try:
            data = read_sidecar(model_path)
        except Invalid as exc:
            out.warnings.append(f"{path.name}: {exc.detail}; ignored")
            return {}
        if _is_micro_wake_word(data):
            return {}  # read as a manifest below
        if data and not set(data) & (_FIELDS - {"model"}):
            out.warnings.append(f"{path.name}: not a model card (fields "
                                f"{', '.join(sorted(map(str, data))[:8])}); ignored")
            return {}
        out.read.append(f"{path.name} (model card)")
        return data
    return {}


def _is_micro_wake_word(data: Any) -> bool:
    return (isinstance(data, Mapping) and data.get("type") == "micro"
            and isinstance(data.get("micro"), Mapping))


def _typed(out: Beside, path: Path, read: Callable[[], T], default: T = None) -> T:
    """A value read through the typed readers (registry/fields.py); a value of the wrong
    type costs that value alone, with a warning naming it."""
    try:
        return read()
    except Invalid as exc:
        out.warnings.append(f"{path.name}: {exc.detail}; ignored")
        return default


def _micro_wake_word(data: dict, path: Path, out: Beside) -> None:
    manifest = Fields(data)
    micro = manifest.mapping("micro")
    arena = _typed(out, path, lambda: micro.integer("tensor_arena_size"))
    if arena is not None and not 0 <= arena <= MAX_MCU_BYTES:
        out.warnings.append(f"{path.name}: micro.tensor_arena_size of {_shown(arena)} B is beyond "
                            f"any microcontroller; ignored")
    elif arena is not None:
        out.declared_arena, out.declared_in = arena, path.name
    card = {"task": "keyword-spotting", "sensors": ["microphone"]}
    if word := _typed(out, path, lambda: manifest.text("wake_word", scalar=True)):
        card["name"] = word
        card["description"] = f"Wake word \"{word}\" (ESPHome micro_wake_word)"
    if author := _typed(out, path, lambda: manifest.text("author", scalar=True)):
        card["creator"] = author
    for key, value in card.items():
        out.card.setdefault(key, value)
    out.read.append(f"{path.name} (ESPHome micro_wake_word manifest)")


def _shown(value: int) -> str:
    text = f"{value:,}"
    return text if len(text) <= 24 else f"a number of {len(str(abs(value)))} digits"


def _hugging_face(path: Path, out: Beside) -> None:
    try:
        text = path.read_text(encoding="utf-8")[:_MAX_BYTES]
    except (OSError, UnicodeDecodeError) as exc:
        out.warnings.append(f"{path.name}: unreadable ({exc}); ignored")
        return
    match = _FRONT_MATTER.match(text)
    if not match:
        return  # a README without a card: nothing to read
    try:
        meta = load_yaml(match.group(1))
    except Invalid as exc:
        out.warnings.append(f"{path.name}: front matter is not valid YAML ({exc.detail[:80]}); "
                            f"ignored")
        return
    if not isinstance(meta, dict):
        return
    meta = Fields(meta)
    card: dict[str, Any] = {}
    if license_ := _typed(out, path, lambda: meta.text("license", scalar=True)):
        card["license"] = license_
    datasets = _typed(out, path, lambda: meta.texts("datasets", scalar=True, single=True), [])
    if datasets and datasets[0].strip():
        card["dataset"] = datasets[0].strip()
    tags = [_typed(out, path, lambda: meta.text("pipeline_tag", scalar=True)),
            *_typed(out, path, lambda: meta.texts("tags", scalar=True, single=True), [])]
    for tag in tags:
        key = re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-") if tag else ""
        if key in TASKS:
            card["task"] = key
            break
    metrics = []
    for entry in _typed(out, path, lambda: meta.mappings("model-index"), []):
        if name := _typed(out, path, lambda: entry.text("name", scalar=True)):
            card.setdefault("name", name)
        for result in _typed(out, path, lambda: entry.mappings("results"), []):
            dataset = _typed(out, path, lambda: result.mapping("dataset"))
            on = dataset and (_typed(out, path, lambda: dataset.text("name", scalar=True))
                              or _typed(out, path, lambda: dataset.text("type", scalar=True)))
            for metric in _typed(out, path, lambda: result.mappings("metrics"), []):
                _hugging_face_metric(metric, on, path, out, metrics)
    if metrics:
        card["metrics"] = metrics
    for key, value in card.items():
        out.card.setdefault(key, value)
    out.read.append(f"{path.name} (Hugging Face model card)")


def _hugging_face_metric(metric: Fields, on: str | None, path: Path, out: Beside,
                         metrics: list) -> None:
    kind = _typed(out, path, lambda: metric.text("type", scalar=True))
    value = _typed(out, path, lambda: metric.number("value"))
    if kind is None:
        return
    key = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")
    if key not in METRICS:
        out.warnings.append(f"{path.name}: metric {kind[:40]!r} is not one the registry knows; "
                            f"left out")
    elif isinstance(value, (int, float)) and math.isfinite(value):
        metrics.append({"metric": key, "value": value, **({"dataset": on} if on else {})})
    else:
        out.warnings.append(f"{path.name}: metric {kind[:40]!r} has no value that is a number; "
                            f"left out")
