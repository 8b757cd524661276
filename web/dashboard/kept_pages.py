"""The device list and the heatmap rendered once per state of what they show.

Such a page is a function of the store's revision (its rows, facet counts, model list),
of the compatibility engine it reads, and of the request's path and arguments; nothing in
it depends on who asks. A page is kept under the store's revision, the app and the path,
a few at a time, when the engine held before it was rendered was at that revision (so the
page read that engine). Readers asking for the same page at the same revision while it
renders wait for that one render rather than each doing it again (at 100,000 devices, four
at once after a write took 126-185 ms each): they read what it read, which after a write
in a large fleet may be the engine from before the write, as compat.engine_for allows. A
write moves the store's revision, so the next request renders the page afresh.
"""
from __future__ import annotations

from typing import Callable

from flask import current_app, request

from tinyreg.registry import Registry
from tinyreg.registry.compat.engine import held_revision, refresh_ahead
from tinyreg.registry.shared_work import SharedWork

_CACHE_KEY = "web.pages"
# Pages kept: each filter, sort and page of the two lists is one; people try few at a time.
HELD = 16


def kept_page(registry: Registry, render: Callable[[], str]) -> str:
    """The page `render()` gives for this request, rendered once per state (see above)."""
    pages = registry.cache.setdefault(_CACHE_KEY, SharedWork(HELD))
    revision = registry.store.revision()
    fresh = held_revision(registry) == revision  # else the render may read an engine a write behind
    key = (revision, id(current_app._get_current_object()), request.script_root, request.full_path)

    def rendered() -> str:
        refresh_ahead(registry)  # while the rows and their counts are brought up to date
        return render()
    return pages.get(key, rendered, keep=fresh)
