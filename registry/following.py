"""State derived from the store that follows its change log, one refresh at a time.

A holder (the device rows, the overview counts) keeps the `ChangeMark` it was read at and
can bring itself forward from the change log, or says it cannot. Readers that find it
behind while another thread brings it forward wait for that thread's answer: after a
write, four requests at once used to read the same graphs four times over.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Protocol, TypeVar

from .store.changelog import ChangeMark

if TYPE_CHECKING:
    from .core import Registry


class Followed(Protocol):
    mark: ChangeMark


F = TypeVar("F", bound=Followed)

_LOCKS_GUARD = threading.Lock()


def _lock(registry: Registry, key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return registry.cache.setdefault(key + ".lock", threading.Lock())


def followed(registry: Registry, key: str, read: Callable[[], F],
             refreshed: Callable[[F], F | None]) -> F:
    """The registry's `key` at the store's revision now: the one held when it is current,
    else the held one `refreshed`, else (None: the log cannot say) `read()` whole."""
    held = registry.cache.get(key)
    if held is not None and held.mark.revision == registry.store.revision():
        return held
    with _lock(registry, key):
        held = registry.cache.get(key)
        if held is not None and held.mark.revision == registry.store.revision():
            return held
        found = refreshed(held) if held is not None else None
        if found is None:
            found = read()
        registry.cache[key] = found
        return found
