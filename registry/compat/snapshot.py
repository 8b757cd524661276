"""The fleet engine kept on disk between processes, so that a CLI command need not read the
whole fleet again: `tinyreg match` at 100,000 devices spent 4 s building the engine that the
last command had built from the same store.

A snapshot is the engine as pickled, beside a header that says what it was built from: the
store (its location), the constraints and the engine's own code (a digest of each), and the
store's position in the change log. A process opening it brings it up to date with the
change log, as a running server refreshes its engine; a snapshot of another store, other
shapes or other code is not used. Pickle runs code when read, so the file lives in the data
directory, which only its owner can write to, as the registry's signing key does.
"""
from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomicfile import write_atomically
from ..store.changelog import LOG_ENTRIES, entries_at, holds_entries

if TYPE_CHECKING:
    from ..core import Registry

log = logging.getLogger(__name__)

FILE = Path("cache") / "engine.pickle"
# The package whose classes are pickled and whose queries key the facts: a change to any of
# its modules makes old snapshots unusable.
def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def _code_digest() -> str:
    here = Path(__file__).parent
    return _digest(*(path.read_bytes() for path in sorted(here.glob("*.py"))))


def _canonical(value: Any) -> str:
    """Text of a value that two processes agree on (dicts and collections in order: the
    shapes' parameters come out of a graph in an order of its own)."""
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{k!r}:{_canonical(v)}" for k, v in value.items())) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ",".join(sorted(_canonical(v) for v in value)) + "]"
    if hasattr(value, "__dataclass_fields__"):
        return _canonical(vars(value))
    return repr(value)


def _header(registry: Registry, constraints) -> dict[str, Any] | None:
    """What a snapshot of this registry's engine must have been built from; None when the
    store has no place of its own (one in memory) to tie a snapshot to."""
    where = registry.store.location()
    if where is None:
        return None
    return {"store": where, "constraints": _digest(_canonical(constraints).encode()),
            "code": _code_digest()}


def load(registry: Registry, constraints) -> Any:
    """The engine of the snapshot, on this registry's store, at the position the snapshot
    was taken (the caller refreshes it); None when there is none to use."""
    header = _header(registry, constraints)
    path = registry.data_path / FILE
    if header is None or not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            saved = pickle.load(f)
            history = saved.pop("history", None)
            # The writes the engine had seen are this store's (not those of a store since
            # replaced by another that counted as far).
            if saved != header or history is None or not holds_entries(registry.store, history):
                return None
            engine = pickle.load(f)
    except Exception as exc:  # a torn or foreign file is only a missed shortcut
        log.warning("could not read the engine snapshot %s (%s); building the engine", path, exc)
        return None
    engine.fleet.store = registry.store
    engine.constraints = constraints  # equal by the header; the caller compares identity
    engine.origin = "snapshot"
    return engine


def due(engine, saved_revision: int | None) -> bool:
    """Whether `engine` is worth writing over the snapshot at `saved_revision` (None: none
    is known): one built whole, or one refreshed from the snapshot itself (a process that
    came after it: the next would repeat the refresh), or one so far ahead of the snapshot
    that the change log might no longer reach back. A server's engine refreshed after each
    write is not written each time."""
    if engine.fleet.mark is None:
        return False  # an engine of one pair
    if saved_revision is None or engine.origin == "full":
        return True
    return engine.revision - saved_revision > LOG_ENTRIES // 4


def save(registry: Registry, engine) -> None:
    """Write the engine as the registry's snapshot (with the names listings show, read now
    so that no later process reads them again)."""
    header = _header(registry, engine.constraints)
    history = entries_at(registry.store, engine.fleet.mark)
    if header is None or history is None:
        return
    header["history"] = history
    engine.fleet.model_names, engine.fleet.device_names  # noqa: B018 - read to be kept
    store = engine.fleet.store
    engine.fleet.store = None  # a store is a connection, not data
    try:
        data = pickle.dumps(header, protocol=5) + pickle.dumps(engine, protocol=5)
    finally:
        engine.fleet.store = store
    path = registry.data_path / FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)  # made as mkstemp makes files: its owner's alone
    except OSError as exc:  # a read-only or full disk: the next process builds again
        log.warning("could not write the engine snapshot %s: %s", path, exc)
