"""The API's routes: parse the request, call one registry function, answer JSON.

Lists are paged (`limit`, `offset`; the total is in the body and in `X-Total-Count`).
One entity answers JSON by default and its graph as JSON-LD, Turtle, N-Triples or RDF/XML
when asked (Accept or `format=`). Writes need the write token.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, Response, jsonify, request, url_for

from tinyreg.registry.errors import Invalid
from tinyreg.registry.facets import DEVICE_FACETS, MODEL_FACETS
from tinyreg.registry.models.download import model_file
from tinyreg.registry.paging import Paged

from ..auth import require_write_token
from ..current import current_registry
from ..negotiation import NotAcceptable, rdf_response
from ..sparql.results import ALIASES, GRAPH_FORMATS, format_named
from . import args
from .openapi import openapi_document
from .uploads import model_card, uploaded_file

bp = Blueprint("api", __name__, url_prefix="/api")



@bp.get("")
def index():
    return jsonify({
        "title": "tinyreg API",
        "openapi": url_for("api.openapi", _external=True),
        "models": url_for("api.models", _external=True),
        "devices": url_for("api.devices", _external=True),
        "stats": url_for("api.stats", _external=True),
        "deployments": url_for("api.deployments", _external=True),
        "rollouts": url_for("api.rollouts", _external=True),
        "pull": url_for("pull.index", _external=True),
        "sparql": url_for("sparql.endpoint", _external=True),
        "ontology": url_for("documents.ontology", _external=True),
        "shapes": url_for("documents.shapes", _external=True),
    })


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/stats")
def stats():
    return jsonify(current_registry().stats())


def paged_json(listing: Paged) -> Response:
    """A page of a list as JSON, its total also in `X-Total-Count`."""
    response = jsonify(listing.as_dict())
    response.headers["X-Total-Count"] = str(listing.total)
    return response


@bp.get("/devices")
def devices():
    return paged_json(current_registry().devices.list(
        args.device_filter(request.args), args.page(request.args),
        args.facets(request.args, DEVICE_FACETS)))


@bp.get("/devices/<path:device_id>")
def device(device_id: str):
    devices = current_registry().devices
    return _entity(lambda: devices.get(device_id), lambda: devices.graph(device_id), device_id)


@bp.post("/devices")
def device_add():
    registry = current_registry()
    require_write_token(registry.settings)
    data, filename = uploaded_file("file")
    result = registry.intake.add_devices(data, filename)
    response = jsonify({"format": result.format, "devices": result.devices,
                        "models": result.models, "warnings": result.warnings})
    response.status_code = 201
    if result.devices:
        response.headers["Location"] = url_for(
            "api.device", device_id=result.devices[0].rsplit("/", 1)[-1])
    return response


@bp.get("/models")
def models():
    return paged_json(current_registry().models.list(
        args.model_filter(request.args), args.page(request.args),
        args.facets(request.args, MODEL_FACETS)))


@bp.get("/models/<path:ref>")
def model(ref: str):
    models = current_registry().models
    return _entity(lambda: models.get(ref), lambda: models.graph(ref), ref)


@bp.get("/models/<path:ref>/versions")
def model_versions(ref: str):
    return jsonify({"items": current_registry().models.versions(ref)})


@bp.get("/models/<path:ref>/file")
def model_download(ref: str):
    """The version's stored .tflite bytes. Read-only, so no token, as for every GET; the
    ETag is the SHA-256 the registry holds, so a client checks what it got against it."""
    found = model_file(current_registry(), ref)
    response = Response(found.data, mimetype="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{found.filename}"'})
    response.set_etag(found.sha256)
    return response.make_conditional(request)


@bp.post("/models")
def model_add():
    registry = current_registry()
    require_write_token(registry.settings)
    data, filename = uploaded_file("file")
    registered = registry.intake.add_model(data, model_card(filename), filename).registered
    ref = f"{registered.model}@{registered.number}"
    response = jsonify({"iri": registered.iri, "model": registered.model,
                        "version": registered.number, "sha256": registered.sha256,
                        "created": registered.created,
                        "url": url_for("api.model", ref=ref, _external=True)})
    response.status_code = 201 if registered.created else 200
    response.headers["Location"] = url_for("api.model", ref=ref)
    return response


def _entity(view: Callable[[], dict], graph: Callable[[], Any], name: str) -> Response:
    """JSON by default; the entity's graph in an RDF syntax when the client asks for one."""
    wanted = request.args.get("format")
    if wanted and wanted.lower() != "json":
        fmt = format_named("graph", wanted)
        if fmt is None:
            raise Invalid(f"unknown format {wanted!r}; use json, " +
                          ", ".join(f.name for f in GRAPH_FORMATS))
        return rdf_response(graph(), fmt, filename=name.replace("/", "-").replace("@", "-v"))
    if not wanted and request.accept_mimetypes:
        offers = ["application/json"] + [f.media_type for f in GRAPH_FORMATS] + [
            a for a in ALIASES["graph"] if "/" in a and a != "application/json"]
        best = request.accept_mimetypes.best_match(offers)
        if best is None:
            raise NotAcceptable("this entity is available as application/json, "
                                + ", ".join(f.media_type for f in GRAPH_FORMATS))
        if best != "application/json":
            return rdf_response(graph(), format_named("graph", best),
                                filename=name.replace("/", "-").replace("@", "-v"))
    response = jsonify(view())
    response.vary.add("Accept")
    return response
