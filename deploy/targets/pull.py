"""Pull: the model waits in the registry until the device asks for it.

For devices the registry cannot reach. Delivering only opens the assignment (the
deployment is recorded as Sending); the device collects it through the pull endpoints
(deploy/assignments.py) and reports back, and the rollout waits for those reports.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol import Form
from .base import Outcome, Target

if TYPE_CHECKING:
    from ..jobs import Job


class Pull(Target):
    name = "pull"

    def serves(self, forms: dict[str, Form]) -> bool:
        return True  # any device can poll

    def describe(self, forms: dict[str, Form], action: str) -> str:
        return f"{action} queued for the device to collect (pull)"

    def deliver(self, job: Job, timeout_s: float) -> Outcome:
        return Outcome(False, queued=True)
