"""Pages of a list: which window a caller asks for (`Page`) and what comes back (`Paged`).

Every list the registry answers (models, devices, matches, deployments, rollouts) is asked
for with a `Page` and answered with a `Paged` that carries the total beside the window, so
the API, the dashboard and the CLI page the same way and check the bounds in one place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Sequence, TypeVar

from .errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

T = TypeVar("T")


def whole_number(name: str, value: Any, minimum: int = 0, maximum: int | None = None) -> int:
    """`value` when it is a whole number within the bounds; `Invalid` naming `name` else."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"`{name}` must be a whole number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise Invalid(f"`{name}` must be {bound}, got {value}")
    return value


def rows(items: Sequence[Any]) -> list[Any]:
    """Items as a list shows them: a typed answer by its `as_dict()`, a dict as it is."""
    return [item.as_dict() if hasattr(item, "as_dict") else item for item in items]


@dataclass(frozen=True)
class Page:
    """At most `limit` items (1 to MAX_LIMIT) after skipping `offset`."""
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        whole_number("limit", self.limit, 1, MAX_LIMIT)
        whole_number("offset", self.offset)

    @property
    def end(self) -> int:
        return self.offset + self.limit

    def of(self, items: Sequence[T]) -> "Paged[T]":
        """This window of `items`, with their count."""
        return Paged(list(items[self.offset:self.end]), len(items), self.limit, self.offset)


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list and the count of the whole list."""
    items: list[T]
    total: int
    limit: int
    offset: int

    def as_dict(self) -> dict[str, Any]:
        return {"items": rows(self.items), "total": self.total, "limit": self.limit,
                "offset": self.offset}


@dataclass(frozen=True)
class Counted(Paged[T]):
    """A page of matches that also says how many of the whole list fit (`fitting`), and
    about what (`subject`: {"model": IRI} or {"device": IRI}); `extra` carries what the
    question was asked with (e.g. max_latency_ms) so the answer can say it back."""
    fitting: int = 0
    subject: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**self.subject, "items": rows(self.items), "total": self.total,
                "fitting": self.fitting, "limit": self.limit, "offset": self.offset,
                **self.extra}


@dataclass(frozen=True)
class Faceted(Paged[T]):
    """A page of a list and, for each facet asked for, its values with how many rows of the
    whole list have each (registry/facets.py)."""
    facets: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "facets": self.facets}
