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

Our card wins over the others, and options (the command line, an API form) over all.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import Invalid
from ..parsing import load_json, load_yaml
from .card import _FIELDS, METRICS, TASKS, read_sidecar

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


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _micro_wake_word(data: Mapping, path: Path, out: Beside) -> None:
    micro = data["micro"]
    arena = micro.get("tensor_arena_size")
    if isinstance(arena, int) and not isinstance(arena, bool) and arena >= 0:
        out.declared_arena, out.declared_in = arena, path.name
    elif arena is not None:
        out.warnings.append(f"{path.name}: micro.tensor_arena_size is not a count of bytes; "
                            f"ignored")
    card = {"task": "keyword-spotting", "sensors": ["microphone"]}
    if word := _text(data.get("wake_word")):
        card["name"] = word
        card["description"] = f"Wake word \"{word}\" (ESPHome micro_wake_word)"
    if author := _text(data.get("author")):
        card["creator"] = author
    for key, value in card.items():
        out.card.setdefault(key, value)
    out.read.append(f"{path.name} (ESPHome micro_wake_word manifest)")


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
    if not isinstance(meta, Mapping):
        return
    card: dict[str, Any] = {}
    if license_ := _text(meta.get("license")):
        card["license"] = license_
    datasets = meta.get("datasets")
    datasets = [datasets] if isinstance(datasets, str) else datasets
    if isinstance(datasets, list) and datasets and _text(datasets[0]):
        card["dataset"] = datasets[0].strip()
    tags = meta.get("tags")
    tags = [tags] if isinstance(tags, str) else tags if isinstance(tags, list) else []
    for tag in [meta.get("pipeline_tag"), *tags]:
        key = re.sub(r"[^a-z0-9]+", "-", str(tag).lower()).strip("-") if tag else ""
        if key in TASKS:
            card["task"] = key
            break
    metrics = []
    for entry in meta.get("model-index") or []:
        if not isinstance(entry, Mapping):
            continue
        if name := _text(entry.get("name")):
            card.setdefault("name", name)
        for result in entry.get("results") or []:
            if not isinstance(result, Mapping):
                continue
            dataset = result.get("dataset") if isinstance(result.get("dataset"), Mapping) else {}
            on = _text(dataset.get("name")) or _text(dataset.get("type"))
            for metric in result.get("metrics") or []:
                if not isinstance(metric, Mapping):
                    continue
                kind = re.sub(r"[^a-z0-9]+", "-", str(metric.get("type", "")).lower()).strip("-")
                value = metric.get("value")
                if kind in METRICS and isinstance(value, (int, float)) and not isinstance(
                        value, bool):
                    metrics.append({"metric": kind, "value": value, **({"dataset": on} if on else {})})
                elif metric.get("type") is not None:
                    out.warnings.append(f"{path.name}: metric {str(metric.get('type'))[:40]!r} "
                                        f"is not one the registry knows; left out")
    if metrics:
        card["metrics"] = metrics
    for key, value in card.items():
        out.card.setdefault(key, value)
    out.read.append(f"{path.name} (Hugging Face model card)")
