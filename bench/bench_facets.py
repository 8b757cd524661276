"""Facets on the device list of a large registry (TINYREG_BENCH_FACET_DEVICES, 10,000 by
default): the facet values' rows read whole (sensors, runtimes, vendor, connectivity; read
apart from the listing's rows and only when a facet is asked for; anchor: the listing's rows
read whole); the device list with every facet counted, unfiltered (counts kept from the
change log), filtered by a size (the rows' own filter, then sums over the facet codes) and
by a facet value (a mask over the facet codes); anchor: the same list without facets."""
from __future__ import annotations

import os
import tempfile

from bench_web import build
from common import best_of, report
from tinyreg.registry import Registry, load_settings
from tinyreg.registry.compat import fleet_engine
from tinyreg.registry.devices import rows
from tinyreg.registry.facets import DEVICE_FACETS
from tinyreg.registry.front.devices import DeviceFilter
from tinyreg.registry.paging import Page

DEVICES = int(os.environ.get("TINYREG_BENCH_FACET_DEVICES", "10000"))
REPEAT = 5


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        build(f"{tmp}/data", DEVICES)
        with Registry(load_settings(environ={}, data_dir=f"{tmp}/data")) as registry:
            store = registry.store
            facet_rows = best_of(lambda: rows.read_facet_rows(store), REPEAT)
            listing_rows = best_of(lambda: rows.read_rows(store), REPEAT)
            report(f"facet values' rows read whole, {DEVICES} devices", facet_rows, listing_rows,
                   "the listing's rows read whole")
            fleet_engine(registry)
            devices, page, every = registry.devices, Page(limit=50), tuple(DEVICE_FACETS)
            devices.list(DeviceFilter(), page, every)  # the facet rows read, the engine built
            bare = best_of(lambda: devices.list(DeviceFilter(), page), REPEAT)
            unfiltered = best_of(lambda: devices.list(DeviceFilter(), page, every), REPEAT)
            report("device list with all 8 facets, unfiltered", unfiltered, bare,
                   "the same list without facets")
            sized = best_of(lambda: devices.list(DeviceFilter(min_ram=1), page, every), REPEAT)
            report("device list with all 8 facets, filtered by RAM", sized, bare,
                   "the same list without facets")
            by_value = best_of(lambda: devices.list(DeviceFilter(sensor="Microphone"), page, every), REPEAT)
            report("device list with all 8 facets, filtered by a sensor", by_value, bare,
                   "the same list without facets")


if __name__ == "__main__":
    import sys
    sys.path.insert(0, os.path.dirname(__file__))
    main()
