"""Deploy targets by name: the two built in, and any a package registers under the
`tinyreg.deploy_targets` entry point group (a `Target` subclass)."""
from __future__ import annotations

from importlib.metadata import entry_points

from tinyreg.registry.errors import Invalid

from ..protocol import Form
from .base import UNKNOWN, Outcome, Target
from .http import HttpPush
from .pull import Pull

__all__ = ["UNKNOWN", "Outcome", "Target", "available", "choose", "get"]

AUTO = "auto"


def available() -> dict[str, type[Target]]:
    found: dict[str, type[Target]] = {"http": HttpPush, "pull": Pull}
    for entry in entry_points(group="tinyreg.deploy_targets"):
        found.setdefault(entry.name, entry.load())
    return found


def get(name: str) -> Target:
    targets = available()
    if name not in targets:
        raise Invalid(f"unknown deploy target {name!r}; known: {', '.join(sorted(targets))}, {AUTO}")
    return targets[name]()


def choose(requested: str, forms: dict[str, Form]) -> str | None:
    """The target for one device: the one asked for if it can reach the device, else None;
    with `auto`, http when the device's TD offers the deploy action, else pull."""
    if requested == AUTO:
        return "http" if HttpPush().serves(forms) else "pull"
    return requested if get(requested).serves(forms) else None
