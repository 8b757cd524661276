"""What every deploy target offers the rollout runner.

A target moves one job (a model and its signed manifest) to one device and says how it
went. Targets are chosen per device: `http` when the device's Thing Description offers the
deployModel action, `pull` when it does not (the device collects the model itself).
Others can be plugged in through the `tinyreg.deploy_targets` entry point group, like
Datasette's publish plugins.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..protocol import Form

if TYPE_CHECKING:
    from ..jobs import Job


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retryable: bool = False
    reason: str | None = None
    queued: bool = False  # handed over; the device reports the outcome later


UNKNOWN = object()  # a device that could not be asked what it runs


class Target(abc.ABC):
    name: str

    @abc.abstractmethod
    def serves(self, forms: dict[str, Form]) -> bool:
        """Whether this target can reach a device that offers `forms`."""

    @abc.abstractmethod
    def describe(self, forms: dict[str, Form], action: str) -> str:
        """One line saying where and how `action` would be sent (for --dry-run)."""

    @abc.abstractmethod
    def deliver(self, job: Job, timeout_s: float) -> Outcome:
        """One attempt; never raises for what a device or the network does."""

    def active_deployment(self, job: Job, timeout_s: float):
        """The deployment IRI the device reports as active, None, or UNKNOWN."""
        return UNKNOWN
