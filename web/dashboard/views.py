"""The dashboard's pages. Each calls the same function as its API twin and renders it."""
from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from tinyreg.deploy.records import STATUSES
from tinyreg.registry import Registry
from tinyreg.registry.compat import check, resolve_device, resolve_model
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.devices.rows import device_rows
from tinyreg.registry.errors import Invalid, TinyregError
from tinyreg.registry.examples import bound_examples
from tinyreg.registry.sparql_functions import load_functions
from tinyreg.registry.words import word
from tinyreg.registry.models import list_models, register_model

from ..api.compat import devices_for, matrix_slice, models_for
from ..api.deployments import deployment_listing, rollout, rollout_listing
from tinyreg.registry.entities import device_view, model_view
from tinyreg.registry.listing import (MAX_LIMIT, all_devices, device_listing, local_name, model_listing,
                           per_revision, version_ref)
from ..api.uploads import model_card, uploaded_file
from ..auth import require_write_token
from ..current import current_registry
from .charts import bar_chart, counted, human_bytes, size_buckets
from .export import table_response, wanted_format

bp = Blueprint("dashboard", __name__)
bp.add_app_template_filter(human_bytes, "bytes")
bp.add_app_template_filter(local_name, "local")
bp.add_app_template_filter(version_ref, "ref")



def _overview(registry: Registry) -> dict[str, Any]:
    """Counts and charts, recomputed only when the store has changed, from counts that
    follow the change log (a write recounts only what it changed)."""
    def build():
        tallies = device_rows(registry).tallies
        models = list_models(registry)
        return {
            "stats": registry.stats(),
            "charts": [
                counted("Devices by core", tallies["core"]),
                bar_chart("Devices by RAM", size_buckets(tallies["ram"]), ordered=True),
                counted("Models by task", Counter(word(r["task"]) for r in models)),
            ],
        }
    return per_revision(registry, "web.overview", build)


@bp.get("/")
def index():
    return render_template("index.html", **_overview(current_registry()))


@bp.get("/models")
def models():
    listing = model_listing(current_registry(), request.args)
    fmt = wanted_format(request.args)
    if fmt:
        return table_response(listing, fmt, "models")
    return render_template("models.html", listing=listing, args=request.args)


@bp.get("/models/<path:ref>")
def model(ref: str):
    registry = current_registry()
    view = model_view(registry, ref)
    arena = bar_chart("Bytes by allocation", [(r["category"], r["bytes"])
                                               for r in view["arena_breakdown"]], unit=" B")
    return render_template("model.html", m=view, arena_chart=arena if arena.bars else None,
                           compat=_fits_and_misfits(devices_for, registry, view["iri"]))


@bp.get("/devices")
def devices():
    listing = device_listing(current_registry(), request.args)
    fmt = wanted_format(request.args)
    if fmt:
        return table_response(listing, fmt, "devices")
    return render_template("devices.html", listing=listing, args=request.args)


@bp.get("/devices/<path:device_id>")
def device(device_id: str):
    registry = current_registry()
    view = device_view(registry, device_id)
    return render_template(
        "device.html", d=view, compat=_fits_and_misfits(models_for, registry, view["iri"]),
        running=deployment_listing(registry, {"device": view["iri"], "status": "Active"})["items"],
        history=deployment_listing(registry, {"device": view["iri"], "limit": "20"}))


@bp.get("/deployments")
def deployments():
    """Rollouts, and deployments filtered by device, model, rollout and status."""
    registry = current_registry()
    args = request.args
    return render_template(
        "deployments.html", listing=deployment_listing(registry, args), args=args,
        rollouts=rollout_listing(registry, {"limit": "20"}), statuses=STATUSES,
        chosen=rollout(registry, args["rollout"]) if args.get("rollout") else None)


# Rows of each kind a page lists; the API pages through the rest.
SHOWN = 100


def _fits_and_misfits(question, registry, iri: str) -> dict[str, Any]:
    """The first fitting and the first other entities, each explained, and how many of each."""
    head = question(registry, iri, {"explain": "1", "limit": SHOWN})
    rows = head["items"]
    if head["fitting"] >= SHOWN:
        rows = rows + question(registry, iri, {"explain": "1", "offset": head["fitting"],
                                               "limit": SHOWN})["items"]
    return {"fitting": head["fitting"], "total": head["total"],
            "fits": [r for r in rows if r["fits"]], "misfits": [r for r in rows if not r["fits"]]}


@bp.get("/compat")
def compat():
    """A heatmap over a selection: the devices a filter picks (a page of them) against the
    latest versions of the models another filter picks (every version when there is none)."""
    registry = current_registry()
    args = request.args
    devices = device_listing(registry, {**args, "limit": args.get("limit") or "40"})
    wanted = {"q": args.get("mq", ""), "task": args.get("task", ""), "limit": str(MAX_LIMIT)}
    models = (",".join(f"{m['id']}@{m['latest']}" for m in model_listing(registry, wanted)["items"])
              if wanted["q"] or wanted["task"] else "")
    grid = None
    if devices["items"] and (models or not (wanted["q"] or wanted["task"])):
        grid = matrix_slice(registry, {"models": models, "limit": str(MAX_LIMIT),
                                       "devices": ",".join(d["id"] for d in devices["items"])})
    names = {d["iri"]: d["name"] for d in devices["items"]}
    return render_template("compat.html", grid=grid, listing=devices, names=names, args=args,
                           tasks=sorted({m["task"] for m in model_listing(
                               registry, {"limit": str(MAX_LIMIT)})["items"] if m["task"]}))


@bp.get("/compat/explain")
def explain():
    registry = current_registry()
    version = resolve_model(registry, request.args.get("model", ""))
    verdict = check(registry, version, resolve_device(registry, request.args.get("device", "")))
    return render_template("explain.html", v=verdict, m=model_view(registry, verdict.model),
                           d=device_view(registry, verdict.device))


@bp.get("/query")
def query_page():
    registry = current_registry()
    return render_template("query.html", examples=bound_examples(registry),
                           functions=list(load_functions().values()),
                           initial=request.args.get("query", ""),
                           max_rows=registry.settings.sparql_max_rows,
                           timeout_ms=registry.settings.sparql_timeout_ms)


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    registry = current_registry()
    done = error = None
    if request.method == "POST":
        kind = request.form.get("kind")
        try:
            require_write_token(registry.settings, request.form.get("token"))
            data, filename = uploaded_file("file")
            if kind == "model":
                registered = register_model(registry, data, model_card(filename))
                return redirect(url_for("dashboard.model",
                                        ref=f"{registered.model}@{registered.number}"), 303)
            if kind == "device":
                result = add_device(registry, data, filename)
                done = result
            else:
                raise Invalid("choose whether the file is a model or a device")
        except TinyregError as exc:
            error = exc.problem()
    return render_template("upload.html", done=done, error=error,
                           writable=bool(registry.settings.write_token)), (error or {}).get("status", 200)
