"""The dashboard's pages. Each parses its arguments into the core's typed ones (web/api/
args.py), calls the same registry method as its API twin (/api/...), and renders the
answer."""
from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from tinyreg.registry import Registry
from tinyreg.registry.deployments import ACTIVE, STATUSES
from tinyreg.registry.devices.rows import device_rows
from tinyreg.registry.errors import TinyregError
from tinyreg.registry.examples import bound_examples
from tinyreg.registry.facets import DEVICE_FACETS, MODEL_FACETS
from tinyreg.registry.front.deployments import DeploymentFilter
from tinyreg.registry.listing import local_name, per_revision, version_ref
from tinyreg.registry.paging import MAX_LIMIT, Page
from tinyreg.registry.sparql_functions import load_functions

from ..api import args as parse
from ..api.uploads import model_card, uploaded_file
from ..auth import require_write_token
from ..current import current_registry
from .charts import bar_chart, counted, human_bytes, size_buckets
from .export import match_rows, table_response, wanted_format
from .kept_pages import kept_page

bp = Blueprint("dashboard", __name__)
bp.add_app_template_filter(human_bytes, "bytes")
bp.add_app_template_filter(local_name, "local")
bp.add_app_template_filter(version_ref, "ref")

# Rows of each kind a page lists; the API pages through the rest.
SHOWN = 100
# Devices the heatmap shows at once, and a device page's recent deployments.
HEATMAP_DEVICES = 40
RECENT = 20


def _overview(registry: Registry) -> dict[str, Any]:
    """Counts and charts, recomputed only when the store has changed, from counts that
    follow the change log (a write recounts only what it changed)."""
    def build():
        tallies = device_rows(registry).tallies
        return {
            "stats": registry.stats(),
            "charts": [
                counted("Devices by core", tallies["core"], field="core",
                        endpoint="dashboard.devices"),
                bar_chart("Devices by RAM", size_buckets(tallies["ram"]), ordered=True,
                          endpoint="dashboard.devices"),
                counted("Models by task", Counter(r["task"] for r in registry.models.rows()),
                        field="task", endpoint="dashboard.models"),
            ],
        }
    return per_revision(registry, "web.overview", build)


@bp.get("/")
def index():
    return render_template("index.html", **_overview(current_registry()))


@bp.get("/models")
def models():
    registry = current_registry()
    return _list_page(registry.models, parse.model_filter(request.args), MODEL_FACETS, "models")


def _list_page(collection, where, facets, name: str):
    """A list page of `collection` (registry.models or .devices), or its table as a file:
    the same call as the API's list, with the page's facets when it is shown."""
    fmt = wanted_format(request.args)
    listing = collection.list(where, parse.page(request.args),
                              () if fmt else tuple(facets)).as_dict()
    if fmt:
        return table_response(listing, fmt, name)
    return render_template(f"{name}.html", listing=listing, args=request.args)


@bp.get("/devices")
def devices():
    registry = current_registry()
    where = parse.device_filter(request.args)

    def render():
        return _list_page(registry.devices, where, DEVICE_FACETS, "devices")
    # an export (CSV, JSON) is a response of its own, not a page to keep
    return render() if wanted_format(request.args) else kept_page(registry, render)


@bp.get("/models/<path:ref>")
def model(ref: str):
    registry = current_registry()
    fmt = wanted_format(request.args)
    view = registry.models.get(ref)
    compat = registry.compat.fit_of_model(view["iri"], SHOWN).as_dict()
    if fmt:  # the page's table of devices
        return table_response(match_rows(compat), fmt, f"{view['id']}-v{view['version']}-devices")
    arena = bar_chart("Bytes by allocation", _arena_parts(view), unit=" B")
    return render_template("model.html", m=view, arena_chart=arena if arena.bars else None,
                           compat=compat, history=registry.models.versions(view["iri"]))


# TFLM's recording allocator itemises the arena's persistent tail; what the measured arena
# holds beyond it is the head: the tensors' buffers the memory planner lays out (and padding).
NON_PERSISTENT = "Non-persistent: tensor buffers (planned), padding"


def _arena_parts(view: dict[str, Any]) -> list[tuple[str, int]]:
    """The arena's recorded allocations and, from the measured arena, the rest."""
    parts = [(r["category"], r["bytes"]) for r in view["arena_breakdown"]]
    measured = view["measured_arena_bytes"]
    rest = measured - sum(b for _, b in parts) if parts and measured is not None else 0
    return parts + [(NON_PERSISTENT, rest)] if rest > 0 else parts


@bp.get("/devices/<path:device_id>")
def device(device_id: str):
    registry = current_registry()
    fmt = wanted_format(request.args)
    view = registry.devices.get(device_id)
    compat = registry.compat.fit_of_device(view["iri"], SHOWN).as_dict()
    if fmt:  # the page's table of models
        return table_response(match_rows(compat), fmt, f"{view['id']}-models")
    deployments = registry.deployments
    return render_template(
        "device.html", d=view, compat=compat,
        running=deployments.list(DeploymentFilter(device=view["iri"], status=ACTIVE)).items,
        history=deployments.list(DeploymentFilter(device=view["iri"]), Page(limit=RECENT)).as_dict())


@bp.get("/deployments")
def deployments():
    """Rollouts, and deployments filtered by device, model, rollout and status."""
    deployments = current_registry().deployments
    args = request.args
    fmt = wanted_format(args)
    listing = deployments.list(parse.deployment_filter(args), parse.page(args)).as_dict()
    if fmt:  # the page's table of deployments
        return table_response(listing, fmt, "deployments")
    return render_template(
        "deployments.html", args=args, listing=listing,
        rollouts=deployments.rollout_list(Page(limit=RECENT)).as_dict(), statuses=STATUSES,
        chosen=deployments.rollout(args["rollout"]) if args.get("rollout") else None)


@bp.get("/compat")
def compat():
    """A heatmap over a selection: the devices a filter picks (a page of them) against the
    latest versions of the models another filter picks (every version when there is none)."""
    registry = current_registry()
    args = request.args
    where, page, choice = parse.device_filter(args), parse.page(args, HEATMAP_DEVICES), \
        parse.model_filter(args, q="mq")
    return kept_page(registry, lambda: _heatmap(registry, where, page, choice))


def _heatmap(registry: Registry, where, page: Page, choice) -> str:
    args = request.args
    devices = registry.devices.list(where, page)
    models = registry.models.latest(choice)[:MAX_LIMIT] if choice.chosen else None
    grid = None
    if devices.items and (models or not choice.chosen):
        grid = registry.compat.matrix_slice(models, [d["id"] for d in devices.items],
                                            Page(limit=MAX_LIMIT), reasons=True).as_dict()
    names = {d["iri"]: d["name"] for d in devices.items}
    return render_template("compat.html", grid=grid, listing=devices.as_dict(), names=names,
                           args=args, tasks=registry.models.tasks())


@bp.get("/compat/explain")
def explain():
    registry = current_registry()
    verdict = registry.compat.check(request.args.get("model", ""), request.args.get("device", ""))
    return render_template("explain.html", v=verdict, m=registry.models.get(verdict.model),
                           d=registry.devices.get(verdict.device))


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
        kind = request.form.get("kind") or ""
        try:
            require_write_token(registry.settings, request.form.get("token"))
            data, filename = uploaded_file("file")
            card = model_card(filename) if kind == "model" else None
            result = registry.intake.add(kind, data, filename, card)
            if kind == "model":
                return redirect(url_for("dashboard.model", ref=version_ref(result.models[0])), 303)
            done = result
        except TinyregError as exc:
            error = exc.problem()
    return render_template("upload.html", done=done, error=error,
                           writable=bool(registry.settings.write_token)), (error or {}).get("status", 200)
