"""Helpers of the lists `registry.models` and `registry.devices` answer: text search, order,
the version reference people type back, and a per-revision cache of whole lists."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from .errors import Invalid
from .vocab import local_name

if TYPE_CHECKING:
    from .core import Registry


def matching(rows: Iterable[dict[str, Any]], text: str | None,
             fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows whose `fields` contain `text` (case-insensitive); all rows when there is none."""
    rows = list(rows)
    needle = (text or "").strip().lower()
    if not needle:
        return rows
    return [r for r in rows if any(needle in str(r.get(f) or "").lower() for f in fields)]


def sort_order(sort: str, fields: tuple[str, ...]) -> str:
    """`sort` (a field, `-field` for descending, "" for none) when it names one of `fields`."""
    raw = (sort or "").strip()
    if raw and raw.removeprefix("-") not in fields:
        raise Invalid(f"`sort` must be one of {', '.join(fields)} (-field for descending), "
                      f"got {raw!r}")
    return raw


def ordered(rows: list[dict[str, Any]], sort: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows by `sort` (a field, `-field` for descending; text without regard to case), rows
    without the field last either way; as they were when there is no `sort`."""
    raw = sort_order(sort, fields)
    if not raw:
        return rows
    field = raw.removeprefix("-")
    known = [r for r in rows if r.get(field) is not None]

    def key(row):
        return row[field].lower() if isinstance(row[field], str) else row[field]
    return (sorted(known, key=key, reverse=raw.startswith("-"))
            + [r for r in rows if r.get(field) is None])


DEVICE_SORTS = ("name", "kind", "core", "ram", "flash", "format")
MODEL_SORTS = ("name", "task", "versions", "latest")


def version_ref(iri: str) -> str:
    """`slug@N` for a model version IRI (…/model/slug/vN), as the API and the CLI take it back."""
    head, _, number = str(iri).rpartition("/v")
    return f"{local_name(head)}@{number}" if number.isdigit() and "/model/" in head else str(iri)


def per_revision(registry: Registry, name: str, build: Callable[[], Any]) -> Any:
    """`build()`, kept in the registry's cache until the store changes."""
    revision = registry.store.revision()
    cached = registry.cache.get(name)
    if cached is None or cached[0] != revision:
        cached = registry.cache[name] = (revision, build())
    return cached[1]


def all_devices(registry: Registry) -> list[dict[str, Any]]:
    """Every device's row, read once per store revision: listing 100,000 devices takes
    seconds, and the device list, the heatmap and the overview all filter the same rows."""
    from .devices.register import list_devices
    return per_revision(registry, "web.devices", lambda: list_devices(registry))
