"""A Thing Description's JSON-LD as triples, without running a general JSON-LD processor.

pyld expands a TD into a new document, flattens it into a node map and only then writes
triples; on a fleet that is most of the import. This module writes the triples while
walking the JSON once. It follows pyld's expansion step by step for the features TDs use
(terms and prefixes, `@vocab`, type coercion to `@id`, `@vocab` and datatypes, `@set`,
`@index` maps with property-valued indexes, `@language` maps, property-scoped contexts)
and reuses pyld's own pieces for what decides a result: context processing, IRI expansion
and the canonical number forms. Contexts and term lookups are computed once per process,
not once per document.

Anything else (a nested `@context`, value objects, lists, `@reverse`, `@graph`, colliding
keywords, type-scoped contexts...) raises `Unsupported`, and the caller gives the TD to
pyld, which either handles it or says what is wrong with it. tests/devices/test_td_walk.py
holds the walk to pyld's graph on the fixtures, the W3C plugfest TDs and generated ones.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from pyld import jsonld
from pyld.context_resolver import ContextResolver

from . import contexts, nt
from .facts import iri_or_text

Triple = tuple[str, str, str]

_JL = jsonld.JsonLdProcessor()
_value_of = jsonld.JsonLdProcessor.get_context_value
_OPTIONS = {"documentLoader": contexts.load_document, "processingMode": "json-ld-1.1",
            "isFrame": False, "keepFreeFloatingNodes": False,
            "contextResolver": ContextResolver(jsonld._resolved_context_cache,
                                               contexts.load_document)}
_INITIAL = _JL._get_initial_context(_OPTIONS)
_TYPE = f"<{jsonld.RDF_TYPE}>"
_UNSUPPORTED_CONTAINERS = ("@list", "@graph", "@id", "@type")
_MEMO_LIMIT = 50_000  # entries per cache; per-document keys would otherwise grow without end


class Unsupported(Exception):
    """The TD uses JSON-LD the walk does not cover; pyld reads it instead."""


@dataclass(frozen=True)
class _Term:
    """What a key means in one active context, as pyld's lookups answer it."""
    iri: str | None  # the expanded key: an IRI, a keyword, or None when dropped
    usable: bool  # an absolute IRI or a keyword (other keys are dropped)
    keyword: bool
    local: object  # the term's scoped context, or None
    container: tuple
    type: str | None
    language: str | None
    direction: str | None
    reverse: bool


_terms: dict[tuple, _Term] = {}
_contexts: dict[tuple, dict] = {}
_iris: dict[tuple, str | None] = {}


def walk(doc: dict, base: str | None) -> list[Triple]:
    """The default graph's triples of `doc`, as `td.td_triples` would get them from pyld."""
    walker = _Walker(base or "")
    walker.node(_INITIAL, None, doc, inside_index=False)
    return walker.out


def _bounded(cache: dict) -> dict:
    if len(cache) > _MEMO_LIMIT:
        cache.clear()
    return cache


def _term(ctx: dict, key: str) -> _Term:
    found = _terms.get((ctx["_uuid"], key))
    if found is None:
        iri = _JL._expand_iri(ctx, key, vocab=True)
        mapping = ctx["mappings"].get(key)
        found = _Term(
            iri=iri,
            usable=iri is not None and bool(jsonld._is_absolute_iri(iri) or jsonld._is_keyword(iri)),
            keyword=iri is not None and jsonld._is_keyword(iri),
            local=_value_of(ctx, key, "@context"),
            container=tuple(jsonld.JsonLdProcessor.arrayify(_value_of(ctx, key, "@container"))),
            type=_value_of(ctx, key, "@type"),
            language=_value_of(ctx, key, "@language"),
            direction=_value_of(ctx, key, "@direction"),
            reverse=bool(mapping and mapping.get("reverse")))
        _bounded(_terms)[(ctx["_uuid"], key)] = found
    return found


def _scoped(ctx: dict, local, base: str, top: bool = False) -> dict:
    """`ctx` with a term's scoped context (or, at the top, the document's) applied."""
    if isinstance(local, str):
        key = (ctx["_uuid"], local)
    elif isinstance(local, list) and all(isinstance(c, str) for c in local):
        key = (ctx["_uuid"], *local)
    elif top:  # inline definitions may be relative to the base
        key = (ctx["_uuid"], json.dumps(local, sort_keys=True), base)
    else:  # a term definition's own object, kept alive by ctx
        key = (ctx["_uuid"], id(local), base)
    found = _contexts.get(key)
    if found is None:
        options = {**_OPTIONS, "base": base}
        try:
            if top:
                found = _JL._process_context(ctx, local, options)
            else:
                found = _JL._process_context(ctx, local, options, override_protected=True)
        except jsonld.JsonLdError:
            raise Unsupported from None  # pyld will say what is wrong with the context
        _bounded(_contexts)[key] = found
    return found


class _Walker:
    def __init__(self, base: str):
        self.base = base  # pyld's options["base"]: the TD's base, or "" when it has none
        self.out: list[Triple] = []
        self.labels: dict[str, str] = {}  # the document's blank node ids -> ours
        self.indexes: dict[str, object] = {}  # node @id -> its @index (pyld refuses two)

    def iri(self, ctx: dict, value: str, vocab: bool = False, relative: bool = False):
        """pyld's IRI expansion; `relative` resolves against the base like pyld's `base=`."""
        if not relative:
            key = (ctx["_uuid"], value, vocab)
            if key not in _iris:
                _bounded(_iris)[key] = _JL._expand_iri(ctx, value, vocab=vocab)
            return _iris[key]
        if vocab:  # a term or a vocabulary-relative name, mostly: worth keeping
            key = (ctx["_uuid"], value, vocab, self.base)
            if key not in _iris:
                _bounded(_iris)[key] = _JL._expand_iri(ctx, value, vocab=True, base=self.base)
            return _iris[key]
        return _JL._expand_iri(ctx, value, base=self.base)

    def ref(self, iri) -> str | None:
        """An expanded @id as an RDF term; None for a relative IRI, which pyld leaves out."""
        if iri is None:
            return None
        if iri.startswith("_:"):
            return self.labels.get(iri) or self.labels.setdefault(iri, nt.blank())
        if iri.startswith("@"):
            raise Unsupported
        return iri_or_text(iri) if jsonld._is_absolute_iri(iri) else None

    # ---- node objects (pyld's _expand on an object, then _expand_object)
    def node(self, ctx: dict, active_property: str | None, element: dict,
             inside_index: bool) -> str | None:
        if ctx.get("previousContext"):
            raise Unsupported  # a type-scoped context to revert
        if active_property is not None:
            local = _term(ctx, active_property).local
            if local is not None:
                ctx = _scoped(ctx, local, self.base)
        if "@context" in element:
            if active_property is not None:
                raise Unsupported  # a context inside the document
            ctx = _scoped(ctx, element["@context"], self.base, top=True)
        node_id, types, seen = None, [], set()
        pairs: list[tuple[str, str]] = []
        for key, value in element.items():
            if key == "@context":
                continue
            term = _term(ctx, key)
            if not term.usable:
                continue
            if term.keyword:
                if term.iri in seen and term.iri != "@type":
                    raise Unsupported  # colliding keywords: pyld names the error
                seen.add(term.iri)
                if term.iri == "@id":
                    if type(value) is not str:
                        raise Unsupported
                    node_id = self.iri(ctx, value, relative=True)
                elif term.iri == "@type":
                    values = [value] if type(value) is str else value
                    if type(values) is not list or any(type(v) is not str for v in values):
                        raise Unsupported
                    for name in values:
                        if _value_of(ctx, name, "@context") not in (None, False):
                            raise Unsupported  # a type-scoped context
                        types.append(self.iri(ctx, name, vocab=True, relative=True))
                else:
                    raise Unsupported
                continue
            self.property(ctx, key, term, value, pairs, inside_index)
        if node_id is not None and node_id.startswith("@"):
            raise Unsupported
        subject = self.ref(node_id) if node_id is not None else nt.blank()
        if subject is not None:
            out = self.out
            for name in types:
                obj = self.ref(name)
                if obj is not None:
                    out.append((subject, _TYPE, obj))
            for predicate, obj in pairs:
                out.append((subject, predicate, obj))
        return subject

    def property(self, ctx: dict, key: str, term: _Term, value, pairs: list,
                 inside_index: bool) -> None:
        if term.reverse or term.type == "@json":
            raise Unsupported
        term_ctx = _scoped(ctx, term.local, self.base) if term.local is not None else ctx
        if _term(term_ctx, key).reverse:
            raise Unsupported
        container = term.container
        found: list = []
        if "@language" in container and type(value) is dict:
            if term.direction is not None:
                raise Unsupported
            for language, texts in value.items():
                none = self.iri(term_ctx, language, vocab=True) == "@none"
                for text in texts if type(texts) is list else [texts]:
                    if text is None:
                        continue
                    if type(text) is not str:
                        raise Unsupported
                    found.append(nt.literal(text, None, None if none else language.lower()))
        elif "@index" in container and type(value) is dict:
            if "@graph" in container:
                raise Unsupported
            self.index_map(ctx, term_ctx, key, value, found)
        elif any(c in container for c in _UNSUPPORTED_CONTAINERS):
            raise Unsupported
        else:
            self.values(term_ctx, key, value, inside_index=False, out=found)
        predicate = term.iri
        if predicate.startswith("_:"):
            return  # a blank node predicate is generalized RDF, which pyld leaves out
        predicate = f"<{predicate}>"
        for obj in found:
            if obj is not None:
                pairs.append((predicate, obj))

    def index_map(self, ctx: dict, term_ctx: dict, key: str, value: dict, found: list) -> None:
        index_key = _value_of(term_ctx, key, "@index") or "@index"
        index_property = None
        if index_key != "@index":
            # pyld passes its base option as `vocab` here, so a TD without base differs
            index_property = _JL._expand_iri(ctx, index_key, vocab=bool(self.base))
            if index_property is None or jsonld._is_keyword(index_property):
                raise Unsupported
        for index, entry in value.items():
            items: list = []
            nodes: list = []
            self.values(term_ctx, key, entry if type(entry) is list else [entry],
                        inside_index=True, out=items, nodes=nodes)
            if len(nodes) != len(items):
                raise Unsupported  # values in an index map: pyld may refuse or merge them
            if index_property is not None and index != "@none":
                index_value = self.scalar(term_ctx, index_key, index)
                if index_value is not None and jsonld._is_absolute_iri(index_property) \
                        and not index_property.startswith("_:"):
                    for node in nodes:
                        if node is not None:
                            self.out.append((node, f"<{index_property}>", index_value))
            elif index_property is None:
                self.remember_index(nodes, index)
            found.extend(items)

    def remember_index(self, nodes: list, index: str) -> None:
        for node in nodes:
            if node is not None and node[0] != "_":
                if self.indexes.setdefault(node, index) != index:
                    raise Unsupported  # pyld: conflicting indexes

    # ---- values (pyld's _expand on arrays and scalars)
    def values(self, ctx: dict, prop: str, value, inside_index: bool, out: list,
               nodes: list | None = None) -> None:
        if value is None:
            return
        kind = type(value)
        if kind is list:
            if "@list" in _term(ctx, prop).container:
                raise Unsupported
            for item in value:
                self.values(ctx, prop, item, inside_index, out, nodes)
        elif kind is dict:
            node = self.node(ctx, prop, value, inside_index)
            out.append(node)
            if nodes is not None:
                nodes.append(node)
        else:
            out.append(self.scalar(ctx, prop, value))

    def scalar(self, ctx: dict, prop: str, value) -> str | None:
        term = _term(ctx, prop)
        if term.keyword:
            raise Unsupported
        if type(value) is str:
            if term.type == "@id":
                return self.ref(self.iri(ctx, value, relative=True))
            if term.type == "@vocab":
                return self.ref(self.iri(ctx, value, vocab=True, relative=True))
        datatype = term.type if term.type not in (None, "@id", "@vocab", "@none") else None
        language = None
        if datatype is None and type(value) is str:
            if term.direction is not None:
                raise Unsupported
            language = term.language
        return _literal(value, datatype, language)


def _literal(value, datatype: str | None, language: str | None) -> str:
    """pyld's _object_to_rdf for a value, as an N-Triples literal."""
    if datatype == "@json":
        raise Unsupported
    if type(value) is bool:
        return nt.literal("true" if value else "false", datatype or jsonld.XSD_BOOLEAN)
    if jsonld._is_double(value):
        return nt.literal(jsonld._canonicalize_double(value), datatype or jsonld.XSD_DOUBLE)
    if datatype == jsonld.XSD_DOUBLE:
        try:
            return nt.literal(jsonld._canonicalize_double(float(value)), datatype)
        except (TypeError, ValueError):
            return nt.literal(str(value), datatype)
    if jsonld._is_integer(value):
        if abs(value) >= 1e21:
            return nt.literal(jsonld._canonicalize_double(value), datatype or jsonld.XSD_DOUBLE)
        return nt.literal(str(int(value)), datatype or jsonld.XSD_INTEGER)
    if type(value) is not str:
        raise Unsupported
    if language is not None:
        return nt.literal(value, None, language)
    return nt.literal(value, datatype)
