"""The device list and the heatmap rendered once per state of what they show.

Such a page is a function of the store's revision (its rows, facet counts, model list),
of the compatibility engine it reads (which may be one write behind, compat.engine_for),
and of the request's path and arguments; nothing in it depends on who asks. A page is kept
under those, a few at a time, when the engine it was keyed by was at the store's revision;
readers asking for the same page while it renders wait for that one render rather than
each doing it again (at 100,000 devices, four at once after a write took 126-185 ms each,
one alone 30-110 ms). A write moves the store's revision, so the next request renders it
afresh: a kept page never shows an older store than its key.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

from flask import current_app, request

from tinyreg.registry import Registry
from tinyreg.registry.compat.engine import held_revision

_CACHE_KEY = "web.pages"
# Pages kept: each filter, sort and page of the two lists is one; people try few at a time.
HELD = 16


class _Render:
    """A render under way: readers of the same page wait for its `page` (None if it failed:
    they render on their own, and are told what failed)."""

    def __init__(self) -> None:
        self.ended = threading.Event()
        self.page: str | None = None


class _Pages:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done: OrderedDict[tuple, str] = OrderedDict()
        self.running: dict[tuple, _Render] = {}


def kept_page(registry: Registry, render: Callable[[], str]) -> str:
    """The page `render()` gives for this request, rendered once per state (see above)."""
    pages = registry.cache.setdefault(_CACHE_KEY, _Pages())
    revision = registry.store.revision()
    engine = held_revision(registry)
    key = (revision, engine, id(current_app._get_current_object()), request.script_root,
           request.full_path)
    with pages.lock:
        if key in pages.done:
            pages.done.move_to_end(key)
            return pages.done[key]
        running = pages.running.get(key)
        leads = running is None
        if leads:
            running = pages.running[key] = _Render()
    if not leads:
        running.ended.wait()
        return running.page if running.page is not None else render()
    try:
        running.page = render()
        with pages.lock:
            if engine == revision:  # a page from an engine a write behind is shared, not kept
                pages.done[key] = running.page
                while len(pages.done) > HELD:
                    pages.done.popitem(last=False)
        return running.page
    finally:
        with pages.lock:
            del pages.running[key]
        running.ended.set()
