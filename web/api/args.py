"""Request arguments parsed into the core's typed arguments: pages, filters, flags.

Every view that takes query parameters turns them into a `Page` or a filter here, so a bad
value gets the same one-line problem whichever list it was given to, and the dashboard and
its API twin hand the core the same typed arguments.
"""
from __future__ import annotations

from typing import Any, Mapping

from tinyreg.registry.errors import Invalid
from tinyreg.registry.facets import wanted
from tinyreg.registry.front.compat import MatchFilter
from tinyreg.registry.front.deployments import DeploymentFilter
from tinyreg.registry.front.devices import DeviceFilter
from tinyreg.registry.front.models import ModelFilter
from tinyreg.registry.paging import DEFAULT_LIMIT, Page


def whole(args: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    """The whole number `args[name]` (`default` when absent or empty); its bounds are the
    typed argument's to check."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise Invalid(f"`{name}` must be a whole number, got {raw!r}") from None


def page(args: Mapping[str, str], limit: int = DEFAULT_LIMIT) -> Page:
    return Page(limit=whole(args, "limit", limit), offset=whole(args, "offset", 0))


def flag(args: Mapping[str, str], name: str) -> bool:
    return (args.get(name) or "").lower() in ("1", "true", "yes", "on")


def listed(args: Mapping[str, str], name: str) -> list[str]:
    """A comma-separated list (`models=a,b@2`)."""
    return [v.strip() for v in (args.get(name) or "").split(",") if v.strip()]


def text(args: Mapping[str, str], name: str) -> str:
    return args.get(name) or ""


def device_filter(args: Mapping[str, str]) -> DeviceFilter:
    return DeviceFilter(q=text(args, "q"), kind=text(args, "kind"), core=text(args, "core"),
                        format=text(args, "format"), min_ram=whole(args, "min_ram"),
                        min_flash=whole(args, "min_flash"), max_ram=whole(args, "max_ram"),
                        sort=text(args, "sort"),
                        vendor=text(args, "vendor"), sensor=text(args, "sensor"),
                        runtime=text(args, "runtime"), connectivity=text(args, "connectivity"),
                        fits=text(args, "fits"))


def facets(args, known: Mapping[str, object]) -> tuple[str, ...]:
    """The facets `_facet` asks for (repeated, or names separated by commas)."""
    return wanted(args.getlist("_facet") if hasattr(args, "getlist") else
                  [args.get("_facet") or ""], known)


def model_filter(args: Mapping[str, str], q: str = "q") -> ModelFilter:
    """The model filter; `q` names the text field (the heatmap's is `mq`, beside the
    device filter's `q`)."""
    return ModelFilter(q=text(args, q), task=text(args, "task"),
                       sort=text(args, "sort") if q == "q" else "")


def deployment_filter(args: Mapping[str, str]) -> DeploymentFilter:
    return DeploymentFilter(device=args.get("device") or None, model=args.get("model") or None,
                            rollout=args.get("rollout") or None, status=args.get("status") or None)


def required(args: Mapping[str, str], *names: str, example: Mapping[str, str]) -> list[str]:
    """The values of `names`, each of which must be given."""
    for name in names:
        if not args.get(name):
            raise Invalid(f"`{name}` is required (e.g. " + "&".join(
                f"{n}={example[n]}" for n in names) + ")")
    return [args[name] for name in names]


def latency(args: Mapping[str, str]) -> float | None:
    """`max_latency_ms`: a number of milliseconds (its bounds are the filter's), or absent."""
    raw = args.get("max_latency_ms")
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise Invalid(f"`max_latency_ms` must be a number of milliseconds, got {raw[:40]!r}") from None


def match_filter(args: Mapping[str, str]) -> MatchFilter:
    return MatchFilter(explain=flag(args, "explain"), max_latency_ms=latency(args),
                       sort=args.get("sort") or "fit", runs_only=flag(args, "runs_only"))


def changes(args: Mapping[str, str]) -> dict[str, Any]:
    """The keyword arguments of a what-if: the deltas in bytes, `explain`, and how many of
    each list a page shows (`limit`)."""
    return {"explain": flag(args, "explain"), "limit": whole(args, "limit", DEFAULT_LIMIT),
            **{name: whole(args, name, 0) for name in ("arena_delta", "flash_delta", "ram_delta")}}
