"""The dashboard's pages. Each calls the same function as its API twin and renders it."""
from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for

from tinyreg.registry.devices.register import add_device, list_devices
from tinyreg.registry.errors import Invalid, TinyregError
from tinyreg.registry.examples import EXAMPLES
from tinyreg.registry.models import list_models, register_model
from tinyreg.registry.store.terms import IRI, inline_bindings

from ..api.entities import device_view, model_view
from ..api.listing import device_listing, local_name, model_listing
from ..api.uploads import model_card, uploaded_file
from ..auth import require_write_token
from . import bp
from .charts import bar_chart, counted, human_bytes, size_buckets

bp.add_app_template_filter(human_bytes, "bytes")
bp.add_app_template_filter(local_name, "local")


def _registry():
    return current_app.extensions["tinyreg"]


def _overview(registry) -> dict[str, Any]:
    """Counts and charts, recomputed only when the store has changed."""
    revision = registry.store.revision()
    cached = registry.cache.get("web.overview")
    if cached and cached[0] == revision:
        return cached[1]
    devices = list_devices(registry)
    models = list_models(registry)
    data = {
        "stats": registry.stats(),
        "charts": [
            counted("Devices by core", (r["core"] for r in devices)),
            bar_chart("Devices by RAM", size_buckets(r["ram"] for r in devices), ordered=True),
            counted("Models by task", (local_name(r["task"]) for r in models)),
        ],
    }
    registry.cache["web.overview"] = (revision, data)
    return data


@bp.get("/")
def index():
    return render_template("index.html", **_overview(_registry()))


@bp.get("/models")
def models():
    return render_template("models.html", listing=model_listing(_registry(), request.args),
                           args=request.args)


@bp.get("/models/<path:ref>")
def model(ref: str):
    registry = _registry()
    view = model_view(registry, ref)
    arena = bar_chart("Bytes by allocation", [(r["category"], r["bytes"])
                                               for r in view["arena_breakdown"]], unit=" B")
    return render_template("model.html", m=view, arena_chart=arena if arena.bars else None)


@bp.get("/devices")
def devices():
    return render_template("devices.html", listing=device_listing(_registry(), request.args),
                           args=request.args)


@bp.get("/devices/<path:device_id>")
def device(device_id: str):
    registry = _registry()
    view = device_view(registry, device_id)
    return render_template("device.html", d=view)


def _examples(registry) -> list[dict[str, str]]:
    """The acceptance questions, bound to the first registered model, device and task.

    The bound values come from the store, serialised as RDF terms, never from the request.
    """
    model = registry.store.select(
        "SELECT ?v ?t WHERE { ?v a <https://w3id.org/tinyreg/ontology#ModelVersion> "
        "OPTIONAL { ?v <https://w3id.org/tinyreg/ontology#task> ?t } } ORDER BY ?v LIMIT 1")
    device = registry.store.select(
        "SELECT ?d WHERE { ?d <https://w3id.org/tinyreg/ontology#ramBytes> ?r } "
        "ORDER BY DESC(?r) LIMIT 1")
    values = {"model": model[0]["v"] if model else None,
              "task": model[0]["t"] if model else None,
              "device": device[0]["d"] if device else None}
    out = []
    for example in EXAMPLES:
        bound = {p: IRI(values[p]) for p in example.parameters if values[p]}
        text = (inline_bindings(example.sparql, bound) if len(bound) == len(example.parameters)
                else example.sparql)
        out.append({"key": example.key, "title": example.title, "sparql": text})
    return out


@bp.get("/query")
def query_page():
    registry = _registry()
    return render_template("query.html", examples=_examples(registry),
                           initial=request.args.get("query", ""),
                           max_rows=registry.settings.sparql_max_rows,
                           timeout_ms=registry.settings.sparql_timeout_ms)


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    registry = _registry()
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
