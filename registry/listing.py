"""Lists with filters and pages: one function per list, shared by the API and the dashboard."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from .errors import Invalid
from .vocab import local_name
from .words import task_iri, word

if TYPE_CHECKING:
    from .core import Registry

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


def int_arg(args: Mapping[str, str], name: str, default: int | None = None, *,
            minimum: int = 0, maximum: int | None = None) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(f"`{name}` must be a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise Invalid(f"`{name}` must be {bound}, got {value}")
    return value


def page(rows: list[dict[str, Any]], args: Mapping[str, str]) -> dict[str, Any]:
    """One page of `rows` as `{items, total, limit, offset}`, from `limit` and `offset`."""
    limit = int_arg(args, "limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    offset = int_arg(args, "offset", 0)
    return {"items": rows[offset:offset + limit], "total": len(rows), "limit": limit,
            "offset": offset}


def matching(rows: Iterable[dict[str, Any]], text: str | None,
             fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows whose `fields` contain `text` (case-insensitive); all rows when there is none."""
    rows = list(rows)
    needle = (text or "").strip().lower()
    if not needle:
        return rows
    return [r for r in rows if any(needle in str(r.get(f) or "").lower() for f in fields)]


def ordered(rows: list[dict[str, Any]], args: Mapping[str, str],
            fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows by `sort` (a field, `-field` for descending; text without regard to case), rows
    without the field last either way; as they were when there is no `sort`."""
    raw = (args.get("sort") or "").strip()
    if not raw:
        return rows
    field = raw.removeprefix("-")
    if field not in fields:
        raise Invalid(f"`sort` must be one of {', '.join(fields)} (-field for descending), "
                      f"got {raw!r}")
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


def device_listing(registry: Registry, args: Mapping[str, str]) -> dict[str, Any]:
    """Devices filtered by `q`, `kind`, `core`, `format`, `min_ram`, `min_flash`, sorted by
    `sort`, paged."""
    rows = matching(all_devices(registry), args.get("q"), ("id", "name", "core", "kind"))
    min_ram, min_flash = int_arg(args, "min_ram"), int_arg(args, "min_flash")
    for field_name in ("kind", "core", "format"):
        wanted = (args.get(field_name) or "").strip().lower()
        if wanted:
            rows = [r for r in rows if str(r.get(field_name) or "").lower() == wanted]
    if min_ram:
        rows = [r for r in rows if (r["ram"] or 0) >= min_ram]
    if min_flash:
        rows = [r for r in rows if (r["flash"] or 0) >= min_flash]
    return page(ordered(rows, args, DEVICE_SORTS), args)


def model_listing(registry: Registry, args: Mapping[str, str]) -> dict[str, Any]:
    """Models filtered by `q` and `task`, sorted by `sort`, paged."""
    from .models import list_models
    rows = [{"id": local_name(r["model"]), "name": r["name"], "task": word(r["task"]),
             "latest": int(r["latest"]), "versions": int(r["versions"]), "iri": r["model"]}
            for r in list_models(registry)]
    rows = matching(rows, args.get("q"), ("id", "name", "task"))
    task = (args.get("task") or "").strip()
    if task:  # the word, an alias, the IRI or the ontology's name: one task
        wanted = word(task_iri(task))
        rows = [r for r in rows if r["task"] == wanted]
    return page(ordered(rows, args, MODEL_SORTS), args)
