"""The endpoint's routes: read the protocol's parameters, check, run, negotiate, answer.

Query text from the request goes to the store as the query itself, never into another query.
Before anything parses it, registry/querytext.py checks its size and nesting and refuses
SERVICE and LOAD unless `sparql_allow_federation` is on; then runner.py runs it where it can
be stopped. The endpoint is read-only unless `sparql_allow_update` is on and the request
carries the write token.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, request, url_for

from tinyreg.registry import querytext
from tinyreg.registry.errors import Invalid
from tinyreg.registry.store.base import revision_update_text

from ..auth import Forbidden, require_write_token
from ..current import current_registry
# The module, not its names: negotiation imports this package's results module, so
# whichever is imported first finds the other half-made.
from .. import negotiation
from .description import service_description
from .runner import Dataset

bp = Blueprint("sparql", __name__)

QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
FORM_TYPE = "application/x-www-form-urlencoded"



@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    operation, text = _operation()
    if operation == "update":
        return _update(text)
    if text is None:
        return _describe()
    return _query(text)


@bp.route("/update", methods=["POST"])
def update_endpoint():
    operation, text = _operation()
    if operation != "update" or text is None:
        raise Invalid("POST a SPARQL Update as `update=` (form) or as application/sparql-update")
    return _update(text)


def _operation() -> tuple[str, str | None]:
    """Which operation the request carries and its text, per the protocol's three encodings."""
    mimetype = request.mimetype
    if request.method == "GET":
        if "update" in request.args:
            raise Invalid("SPARQL Update must be sent with POST")
        return "query", _single(request.args, "query")
    if mimetype == QUERY_TYPE:
        return "query", _body()
    if mimetype == UPDATE_TYPE:
        return "update", _body()
    if mimetype in (FORM_TYPE, "multipart/form-data"):
        query, update = _single(request.form, "query"), _single(request.form, "update")
        if query is not None and update is not None:
            raise Invalid("send either `query` or `update`, not both")
        if update is not None:
            return "update", update
        if query is None:
            raise Invalid("the form has no `query` parameter")
        return "query", query
    raise Invalid(f"unsupported content type {mimetype or '(none)'}: use {QUERY_TYPE}, "
                  f"{UPDATE_TYPE} or {FORM_TYPE}")


def _single(params, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise Invalid(f"exactly one `{name}` parameter is allowed, got {len(values)}")
    if values and not values[0].strip():
        raise Invalid(f"the `{name}` parameter is empty")
    return values[0] if values else None


def _body() -> str:
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the request body is not UTF-8: {exc}") from exc
    if not text.strip():
        raise Invalid("the request body is empty")
    return text


def _dataset() -> Dataset:
    params = request.args if request.method == "GET" or request.mimetype != FORM_TYPE \
        else request.form
    # With a query in the body the graph parameters are in the URL; with a form, in the form.
    default = params.getlist("default-graph-uri") or request.args.getlist("default-graph-uri")
    named = params.getlist("named-graph-uri") or request.args.getlist("named-graph-uri")
    return Dataset(tuple(default), tuple(named))


def _check(text: str) -> None:
    querytext.check(text, allow_federation=current_registry().settings.sparql_allow_federation)


def _query(text: str) -> Response:
    _check(text)
    settings = current_registry().settings
    formats = {kind: negotiation.acceptable(kind) for kind in ("results", "graph")}
    answer = current_app.extensions["tinyreg.runner"].run(
        text, _dataset(), formats={k: f and f.name for k, f in formats.items()},
        timeout_ms=settings.sparql_timeout_ms, max_rows=settings.sparql_max_rows)
    kind = "graph" if answer.kind == "graph" else "results"
    fmt = formats[kind] or negotiation.choose(kind)  # choose() says why none fits
    response = Response(answer.body, mimetype=fmt.media_type)
    response.vary.add("Accept")
    response.headers["X-Tinyreg-Rows"] = str(answer.rows)
    if answer.truncated:
        response.headers["X-Tinyreg-Truncated"] = "true"
        response.headers["X-Tinyreg-Row-Limit"] = str(settings.sparql_max_rows)
    if request.values.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="results.{fmt.extension}"'
    return response


def _update(text: str) -> Response:
    registry = current_registry()
    if not registry.settings.sparql_allow_update:
        raise Forbidden("SPARQL Update is disabled on this endpoint (setting sparql_allow_update)")
    require_write_token(registry.settings)
    _check(text)
    registry.store.update(text)
    # Caches compare revisions, so a change made here must bump it like any other write.
    registry.store.update(revision_update_text())
    return Response(status=204)


def _describe() -> Response:
    fmt = negotiation.choose("graph", extra=("text/html",))
    if fmt == "text/html":
        return redirect(url_for("dashboard.query_page"))
    graph = service_description(url_for("sparql.endpoint", _external=True),
                                update=current_registry().settings.sparql_allow_update)
    return negotiation.rdf_response(graph, fmt)
