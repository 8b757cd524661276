"""Faults an agent can be told to commit, for tests and benchmarks of the registry side.

    drop[=N]     cut the connection half way through the model's bytes
    corrupt[=N]  flip a byte of the model as it arrives, as a bad link would
    reject[=N]   refuse the model after it arrived intact, as a device that cannot run it
    delay=S      wait S seconds before handling each deployment (a slow device)

N is how many deployments the fault hits (each device counts its own); without N, all.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

KINDS = ("drop", "corrupt", "reject")


@dataclass
class Faults:
    remaining: dict[str, int | None] = field(default_factory=dict)  # None: every time
    delay_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def parse(cls, specs: tuple[str, ...] | list[str]) -> "Faults":
        faults = cls()
        for spec in specs:
            name, _, count = spec.partition("=")
            name = name.strip().lower()
            try:
                if name == "delay":
                    faults.delay_s = float(count)
                    if faults.delay_s < 0:
                        raise ValueError
                    continue
                if name not in KINDS:
                    raise KeyError
                faults.remaining[name] = int(count) if count else None
                if count and int(count) < 0:
                    raise ValueError
            except KeyError:
                raise ValueError(f"unknown fault {name!r}; known: {', '.join(KINDS)}, delay") from None
            except ValueError:
                raise ValueError(f"fault {spec!r}: the count must be a whole number "
                                 "(delay: seconds) and not negative") from None
        return faults

    def copy(self) -> "Faults":
        return Faults(dict(self.remaining), self.delay_s)

    def take(self, kind: str) -> bool:
        """Whether this deployment meets fault `kind` (and count it)."""
        with self._lock:
            if kind not in self.remaining:
                return False
            left = self.remaining[kind]
            if left is None:
                return True
            if left <= 0:
                return False
            self.remaining[kind] = left - 1
            return True
