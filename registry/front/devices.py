"""`registry.devices`: devices as people ask for them (a filtered, sorted, paged list; one
device with everything its page shows; its graph)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import rdflib

from .. import facets as faceting
from ..entities import device_graph, device_view
from ..listing import DEVICE_SORTS, all_devices, matching, ordered, sort_order
from ..paging import Faceted, Page, Paged, whole_number
from ..references import resolve_device

if TYPE_CHECKING:
    from ..core import Registry


@dataclass(frozen=True)
class DeviceFilter:
    """Devices whose identifier, name, core or kind contains `q` (any case); of one `kind`,
    `core` and source `format` (whole values, any case); with at least `min_ram` and
    `min_flash` bytes (0 or None: no bound) and at most `max_ram` (None: no bound; a device
    of unknown RAM is not within it); with a `vendor`, a `sensor` of that kind (or a
    part of one), a `runtime` and a `connectivity` (whole values, any case); that the model
    version `fits` names fits (slug: its latest); ordered by `sort` (DEVICE_SORTS, -field
    for descending)."""
    q: str = ""
    kind: str = ""
    core: str = ""
    format: str = ""
    min_ram: int | None = None
    min_flash: int | None = None
    sort: str = ""
    max_ram: int | None = None
    vendor: str = ""
    sensor: str = ""
    runtime: str = ""
    connectivity: str = ""
    fits: str = ""

    def __post_init__(self) -> None:
        for name in ("min_ram", "min_flash", "max_ram"):
            if getattr(self, name) is not None:
                whole_number(name, getattr(self, name))
        sort_order(self.sort, DEVICE_SORTS)

    def select(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = matching(rows, self.q, ("id", "name", "core", "kind"))
        for name in ("kind", "core", "format"):
            wanted = getattr(self, name).strip().lower()
            if wanted:
                rows = [r for r in rows if str(r.get(name) or "").lower() == wanted]
        if self.min_ram:
            rows = [r for r in rows if (r["ram"] or 0) >= self.min_ram]
        if self.min_flash:
            rows = [r for r in rows if (r["flash"] or 0) >= self.min_flash]
        if self.max_ram is not None:
            rows = [r for r in rows if r["ram"] is not None and r["ram"] <= self.max_ram]
        return ordered(rows, self.sort, DEVICE_SORTS)


class Devices:
    """The registry's devices (`registry.devices`)."""

    def __init__(self, registry: Registry):
        self.registry = registry

    def resolve(self, ref: str) -> str:
        """The IRI of the device `ref` names (references.py)."""
        return resolve_device(self.registry, ref)

    def rows(self) -> list[dict[str, Any]]:
        """Every device's row, read once per store revision."""
        return all_devices(self.registry)

    def list(self, where: DeviceFilter = DeviceFilter(), page: Page = Page(),
             facets: tuple[str, ...] = ()) -> Paged[dict]:
        """A page of the devices the filter keeps; with `facets` (names of
        facets.DEVICE_FACETS), each one's values counted over all the devices it keeps."""
        found = faceting.listed(self.registry, where, counted=bool(facets))
        paged = page.of(found.rows)
        if not facets:
            return paged
        return Faceted(paged.items, paged.total, paged.limit, paged.offset,
                       faceting.device_counts(self.registry, found, facets, where))

    def get(self, ref: str) -> dict[str, Any]:
        """One device with everything its page shows."""
        return device_view(self.registry, ref)

    def graph(self, ref: str) -> rdflib.Graph:
        return device_graph(self.registry, ref)
