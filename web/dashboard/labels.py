"""Labels for people where the data holds an ontology local name or an IRI.

The registry states cores, kinds, tasks and methods as ontology terms (`CortexM4F`,
`MicrocontrollerBoard`, `GreedyPlannerEstimate`); the pages print them as words, and keep
the term itself one hover away.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

# Arm names its cores with a hyphen ("Cortex-M4F"); the ontology cannot.
_ARM = re.compile(r"^(Cortex|Ethos)([AMRU]\d+\w*)$")
# A word boundary inside a CamelCase name: before a capital that starts a lower-case run,
# or between a lower-case letter or digit and a capital ("PDMMicrophone" -> PDM Microphone).
_WORDS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CAPS = re.compile(r"[A-Z0-9]*[0-9][A-Z0-9]*")
_NAMES = {"WiFi": "Wi-Fi"}


def human_label(value: object) -> str:
    """`CortexM4F` -> Cortex-M4F, `MicrocontrollerBoard` -> Microcontroller board,
    `https://w3id.org/tinyreg/ontology#Accuracy` -> Accuracy; other text unchanged."""
    if value is None:
        return "–"
    text = str(value)
    if "://" in text:
        text = re.split(r"[#/]", text.rstrip("/#"))[-1]
    if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", text):
        return text  # already words, a slug or a part number: leave as written
    arm = _ARM.match(text)
    if arm:
        return f"{arm.group(1)}-{arm.group(2)}"
    words = _WORDS.split(text)
    if all(_CAPS.fullmatch(w) for w in words):
        return "-".join(words)  # a part number: ESP32S3 -> ESP32-S3
    if any(len(w) < 3 or w.isupper() for w in words[1:]):
        return _NAMES.get(text, text)  # a product's own spelling: LiteRT, LoRaWAN
    return " ".join([words[0]] + [w.lower() for w in words[1:]])


def human_time(value: object) -> str:
    """An xsd:dateTime as people read it, in UTC to the minute: 2026-12-06 19:03 UTC."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.tzinfo else "")
