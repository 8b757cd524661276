"""Work done once per key by whoever asks first, while the others asking for the same key
wait for that answer: four readers after a write at 100,000 devices each judged the fleet
or rendered the page again, and took 2-4 times as long as one."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable


class _Running:
    """Work under way: those who wait read its `value` (unset if it failed: they do the work
    themselves, and are told what failed)."""

    def __init__(self) -> None:
        self.ended = threading.Event()
        self.done = False
        self.value: Any = None


class SharedWork:
    """Answers by key, the `held` latest kept; askers of a key under way share that work."""

    def __init__(self, held: int):
        self.held = held
        self._lock = threading.Lock()
        self._done: OrderedDict[Hashable, Any] = OrderedDict()
        self._running: dict[Hashable, _Running] = {}

    def get(self, key: Hashable, work: Callable[[], Any], keep: bool = True) -> Any:
        """`work()`'s answer for `key`: kept, under way (waited for), or worked out now and
        kept when `keep`."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            running = self._running.get(key)
            leads = running is None
            if leads:
                running = self._running[key] = _Running()
        if not leads:
            running.ended.wait()
            return running.value if running.done else work()
        try:
            running.value = work()
            running.done = True
            if keep:
                with self._lock:
                    self._done[key] = running.value
                    while len(self._done) > self.held:
                        self._done.popitem(last=False)
            return running.value
        finally:
            with self._lock:
                del self._running[key]
            running.ended.set()

    def __len__(self) -> int:
        """How many answers are kept."""
        return len(self._done)
