"""Compatibility over HTTP: which devices for a model, which models for a device, one pair,
a slice of the matrix, what a change would win or lose, and the best model for a task.
Each view calls one question of `registry.compat`; the dashboard renders the same answers."""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from flask import jsonify, request

from tinyreg.registry import Registry
from tinyreg.registry.compat import (HEADROOM, best_model, check, devices_for_model, latency_matrix,
                                     matrix, misfit_reasons, models_for_device, resolve_device,
                                     resolve_model, version_names, what_if)
from tinyreg.registry.errors import Invalid

from ..current import current_registry
from tinyreg.registry.listing import version_ref
from tinyreg.registry.paging import whole_number
from tinyreg.registry.vocab import local_name
from . import args as parse
from .views import bp

MAX_MATRIX_CELLS = 200_000



def flag(args: Mapping[str, str], name: str) -> bool:
    return (args.get(name) or "").lower() in ("1", "true", "yes", "on")


def latency_arg(args: Mapping[str, str]) -> float | None:
    """`max_latency_ms`: a positive number of milliseconds, or absent."""
    raw = args.get("max_latency_ms")
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Invalid(f"`max_latency_ms` must be a number of milliseconds, got {raw[:40]!r}") from None
    if not 0 <= value < float("inf"):
        raise Invalid(f"`max_latency_ms` must be 0 or more, got {raw[:40]!r}")
    return value


def _sort_arg(args: Mapping[str, str]) -> bool:
    """`sort=latency`: fastest first; `sort=fit` (the default): as the engine lists them."""
    sort = args.get("sort") or "fit"
    if sort not in ("fit", "latency"):
        raise Invalid(f"`sort` is fit or latency, got {sort[:40]!r}")
    return sort == "latency"


def match_rows(matches, ident: Callable[[str], str]) -> list[dict[str, Any]]:
    """Matches as rows with an `id` people type back and a one-line reason: what rules the
    pair out, or what it warns about."""
    rows = []
    for m in matches:
        row = m.as_dict()
        row["id"] = ident(m.iri)
        row["reason"] = "; ".join(r.message for r in m.results if r.group != HEADROOM)
        rows.append(row)
    return rows


def _page(registry: Registry, question, iri: str, args: Mapping[str, str], fitting: int,
          everything: int,
          ident: Callable[[str], str]) -> dict[str, Any]:
    """One page of a match question: fitting entities first (running ones with
    `runs_only`), then (with `explain`) the unknown and the refused; only the page's pairs
    are explained."""
    explain = flag(args, "explain")
    page = parse.page(args)
    offset, limit = page.offset, page.limit
    max_latency_ms, by_latency = latency_arg(args), _sort_arg(args)
    matches = question(registry, iri, explain=explain, limit=limit, offset=offset,
                       max_latency_ms=max_latency_ms, by_latency=by_latency,
                       runs_only=flag(args, "runs_only"))
    out = {"items": match_rows(matches, ident), "total": everything if explain else fitting,
           "fitting": fitting, "limit": limit, "offset": offset}
    if max_latency_ms is not None:
        # The counts are of the whole fleet; a latency filter makes the list shorter.
        out["max_latency_ms"] = max_latency_ms
    return out


def devices_for(registry: Registry, version_iri: str, args: Mapping[str, str]) -> dict[str, Any]:
    """The devices a model version fits (or runs on); `fitting` counts them over the fleet."""
    row = matrix(registry, [version_iri])
    return {"model": version_iri, **_page(registry, devices_for_model, version_iri, args,
                                          int(row.counts(_answer(args))[0]), len(row.devices), local_name)}


def models_for(registry: Registry, device_iri: str, args: Mapping[str, str]) -> dict[str, Any]:
    """The model versions a device can run; `fitting` counts them."""
    column = matrix(registry, None, [device_iri])
    return {"device": device_iri, **_page(registry, models_for_device, device_iri, args,
                                          int(column.counts(_answer(args)).sum()), len(column.models),
                                          version_ref)}


def _answer(args: Mapping[str, str]) -> str:
    return "runs" if flag(args, "runs_only") else "fits"


def _listed(args: Mapping[str, str], name: str) -> list[str]:
    return [v.strip() for v in (args.get(name) or "").split(",") if v.strip()]


def matrix_slice(registry: Registry, args: Mapping[str, str]) -> dict[str, Any]:
    """The fit of the listed (or all) model versions on the listed devices, or on a page of
    all devices (`offset`, `limit`)."""
    models = [resolve_model(registry, m) for m in _listed(args, "models")] or None
    devices = [resolve_device(registry, d) for d in _listed(args, "devices")] or None
    page = parse.page(args, 100)
    offset, limit = page.offset, page.limit
    full = matrix(registry, models, devices)
    window = slice(offset, min(offset + limit, len(full.devices)))
    width = max(0, window.stop - window.start)
    if len(full.models) * width > MAX_MATRIX_CELLS:
        raise Invalid(f"the slice has more than {MAX_MATRIX_CELLS:,} cells; "
                      "list fewer models or ask for fewer devices (limit)")
    latency = latency_matrix(registry, full.models, full.devices[window])
    fits = [row[window] for row in full.answer_rows("fits")]
    out = {"models": full.models, "model_names": version_names(registry, full.models),
           "devices": full.devices[window],
           "total_devices": len(full.devices), "offset": offset, "limit": limit,
           "runs": [row[window] for row in full.answer_rows("runs")],
           "fits": fits,
           "warned": [full.warned_row(i)[window].tolist() for i in range(len(full.models))],
           # the fastest estimate of each pair in ms, null where there is none
           "latency_ms": [[None if math.isnan(x) else round(float(x), 3) for x in row]
                          for row in latency]}
    if flag(args, "reasons"):  # what rules out each pair that does not fit, for tooltips
        out["reasons"] = misfit_reasons(registry, full.models, out["devices"], fits)
    return out


# A change of a petabyte is not a question anyone means; the bound keeps the sums exact.
_MAX_DELTA = 2**50


def _delta(args: Mapping[str, str], name: str) -> int:
    return whole_number(name, parse.whole(args, name, 0), -_MAX_DELTA, _MAX_DELTA)


def _changes(answer, ident: Callable[[str], str], args: Mapping[str, str]) -> dict[str, Any]:
    limit = parse.page(args).limit
    return {"gained_count": len(answer.gained), "lost_count": len(answer.lost), "limit": limit,
            "gained": match_rows(answer.gained[:limit], ident),
            "lost": match_rows(answer.lost[:limit], ident)}


def what_if_answer(registry: Registry, args: Mapping[str, str], *, version_iri: str | None = None,
                   device_iri: str | None = None) -> dict[str, Any]:
    """The devices a model version would win or lose if it needed `arena_delta` and
    `flash_delta` bytes more (negative: fewer), or the model versions a device would win or
    lose with `ram_delta` and `flash_delta` bytes more. A delta of the other side is refused."""
    answer = what_if(registry, version_iri=version_iri, device_iri=device_iri,
                     explain=flag(args, "explain"),
                     **{name: _delta(args, name) for name in ("arena_delta", "flash_delta", "ram_delta")})
    subject = {"model": version_iri} if version_iri else {"device": device_iri}
    return {**subject, **_changes(answer, local_name if version_iri else version_ref, args)}


@bp.get("/models/<path:ref>/devices")
def model_devices(ref: str):
    registry = current_registry()
    return jsonify(devices_for(registry, resolve_model(registry, ref), request.args))


@bp.get("/devices/<path:device_id>/models")
def device_models(device_id: str):
    registry = current_registry()
    return jsonify(models_for(registry, resolve_device(registry, device_id), request.args))


@bp.get("/models/<path:ref>/what-if")
def model_changes(ref: str):
    registry = current_registry()
    return jsonify(what_if_answer(registry, request.args, version_iri=resolve_model(registry, ref)))


@bp.get("/devices/<path:device_id>/what-if")
def device_changes(device_id: str):
    registry = current_registry()
    return jsonify(what_if_answer(registry, request.args,
                                  device_iri=resolve_device(registry, device_id)))


def _required(*names: str) -> list[str]:
    for name in names:
        if not request.args.get(name):
            raise Invalid(f"`{name}` is required (e.g. " + "&".join(
                f"{n}={_EXAMPLE[n]}" for n in names) + ")")
    return [request.args[name] for name in names]


_EXAMPLE = {"model": "kws-tiny", "device": "arduino-nano-33-ble-sense",
            "task": "keyword-spotting", "metric": "accuracy"}


@bp.get("/compat/check")
def compat_check():
    registry = current_registry()
    model, device = _required("model", "device")
    verdict = check(registry, resolve_model(registry, model), resolve_device(registry, device))
    return jsonify(verdict.as_dict())


@bp.get("/compat/matrix")
def compat_matrix():
    return jsonify(matrix_slice(current_registry(), request.args))


@bp.get("/compat/best")
def compat_best():
    registry = current_registry()
    device, task, metric = _required("device", "task", "metric")
    ranked = best_model(registry, resolve_device(registry, device), task, metric,
                        on_slice=request.args.get("slice") or None,
                        explain=flag(request.args, "explain"),
                        max_latency_ms=latency_arg(request.args))
    return jsonify({"items": [dict(r.as_dict(), id=version_ref(r.iri)) for r in ranked]})
