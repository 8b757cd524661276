"""What a person means by a model, a device, a deployment or a rollout: the one resolver.

Every front end (CLI, API, dashboard, deploy's commands) turns what a user typed into an IRI
here, so that the same text names the same thing everywhere:

- a model version: its IRI, a model's identifier (its latest version), `identifier@N`, or
  an IRI its source file gave it (kept as owl:sameAs, e.g. the prototype's);
- a device: its IRI, its identifier, the id its source gives it (a TD's `id`), or that id
  as an IRI (kept as owl:sameAs);
- a deployment or a rollout: its IRI or its token.

Text that cannot name anything of the kind is `Invalid`; a name of the right form that
names nothing registered is `NotFound`. Both errors quote at most 80 characters of it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from .errors import Invalid, NotFound
from .store import IRI
from .vocab import (DEPLOYMENT_BASE, DEVICE_BASE, ROLLOUT_BASE, TR, device_id, is_device_id,
                    model_iri, prefixes, slug, version_iri)

if TYPE_CHECKING:
    from .core import Registry

_IRI_SCHEMES = ("http://", "https://", "urn:")
_SHOWN = 80

_LATEST = prefixes("tr") + """
SELECT ?v WHERE { ?v tr:versionOf ?model ; tr:versionNumber ?n } ORDER BY DESC(?n) LIMIT 1"""

# An entity of a kind whose source file named it `?source` (owl:sameAs, in its own graph).
_SAME_AS = prefixes("owl") + """
SELECT ?e WHERE { GRAPH ?e { ?e owl:sameAs ?source . ?e a ?kind } } ORDER BY ?e LIMIT 1"""
# The devices whose source file named them `?source` (a TD's id, or the IRI naming a format
# and an id that devices/facts.py gives sources without IRIs). Devices are the graphs under
# DEVICE_BASE, picked here rather than in the query (devices/identity.py asks alike).
_DEVICES_BY_SOURCE = prefixes("owl") + """
SELECT ?device WHERE { GRAPH ?device { ?device owl:sameAs ?source } }"""
_IS_A = "ASK WHERE { GRAPH ?e { ?e a ?kind } }"
_MODEL_VERSION = IRI(str(TR.ModelVersion))


def shown(ref: str) -> str:
    """A reference as an error message quotes it: at most 80 characters."""
    return ref if len(ref) <= _SHOWN else ref[:_SHOWN - 1] + "…"


def looks_like_iri(ref: str) -> bool:
    return ref.startswith(_IRI_SCHEMES)


def resolve_model(registry: Registry, ref: str) -> str:
    """The IRI of the model version `ref` names (see the module's docstring)."""
    store = registry.store
    if looks_like_iri(ref):
        if _valid_iri(ref) and store.ask(_IS_A, {"e": IRI(ref), "kind": _MODEL_VERSION}):
            return ref
        found = _same_as(registry, ref, _MODEL_VERSION)
        if found is None:
            raise NotFound(f"no model version {shown(ref)}")
        return found
    name, at, number = ref.partition("@")
    try:
        model_slug = slug(name)
    except ValueError:
        raise Invalid(f"not a model name: {shown(ref)!r}") from None
    if at:
        if not number.isdigit():
            raise Invalid(f"not a version number: {shown(number)!r} (use NAME@N)")
        iri = version_iri(model_slug, int(number))
        if not store.has_graph(iri):
            raise NotFound(f"model {model_slug!r} has no version {int(number)}")
        return iri
    rows = store.select(_LATEST, {"model": IRI(model_iri(model_slug))})
    if not rows:
        raise NotFound(f"no model {model_slug!r}")
    return rows[0]["v"]


def resolve_models(registry: Registry, refs: Iterable[str]) -> list[str]:
    return [resolve_model(registry, ref) for ref in refs]


def resolve_device(registry: Registry, ref: str) -> str:
    """The IRI of the device `ref` names (see the module's docstring): its IRI, its
    identifier, the id its source gives it (a TD's id, "zephyr-" and a Zephyr target), or
    that id as an IRI, found by the device's owl:sameAs."""
    store = registry.store
    if looks_like_iri(ref) and not _valid_iri(ref):
        raise Invalid(f"not a device: {shown(ref)!r} is not a valid IRI")
    candidates = []
    if is_device_id(ref):
        candidates.append(DEVICE_BASE + ref)
    if _is_iri(ref):
        candidates.append(ref)
    candidates.append(DEVICE_BASE + device_id(ref))
    for iri in candidates:
        if store.has_graph(iri):
            return iri
    if _is_iri(ref):
        found = sorted(row["device"] for row in store.select(_DEVICES_BY_SOURCE, {"source": IRI(ref)})
                       if row["device"].startswith(DEVICE_BASE))
        if found:
            return found[0]
    raise NotFound(f"no device {shown(ref)}")


def resolve_devices(registry: Registry, refs: Iterable[str]) -> list[str]:
    """Several devices at once, in order without repeats; `NotFound` names every one that
    names no device."""
    found, missing = [], []
    for ref in refs:
        try:
            found.append(resolve_device(registry, ref))
        except NotFound:
            missing.append(shown(ref))
    if missing:
        raise NotFound(f"no device {', '.join(missing)}")
    return list(dict.fromkeys(found))


def resolve_deployment(ref: str) -> str:
    """The IRI of a deployment named by its IRI or its token (whether it exists is the
    reader's question: a deployment's record is its graph)."""
    return _minted(ref, "deployment", DEPLOYMENT_BASE)


def resolve_rollout(ref: str) -> str:
    """The IRI of a rollout named by its IRI or its token."""
    return _minted(ref, "rollout", ROLLOUT_BASE)


def _minted(ref: str, kind: str, base: str) -> str:
    if ref.startswith(base):
        return ref
    try:
        return base + slug(ref)
    except ValueError:
        raise NotFound(f"no {kind} {shown(ref)!r}") from None


def _same_as(registry: Registry, source: str, kind: IRI) -> str | None:
    if not _valid_iri(source):
        raise Invalid(f"not a valid IRI: {shown(source)!r}")
    rows = registry.store.select(_SAME_AS, {"source": IRI(source), "kind": kind})
    return rows[0]["e"] if rows else None


def _is_iri(text: str) -> bool:
    """Any absolute IRI, of any scheme (a TD's id may be a did: or a tag:)."""
    return ":" in text and _valid_iri(text)


def _valid_iri(text: str) -> bool:
    import pyoxigraph  # the store's own rule for what an IRI is
    try:
        pyoxigraph.NamedNode(text)
    except ValueError:
        return False
    return True


__all__ = ["looks_like_iri", "resolve_deployment", "resolve_device", "resolve_devices",
           "resolve_model", "resolve_models", "resolve_rollout", "shown"]
