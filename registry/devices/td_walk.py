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
import re
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
_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")  # pyld's _is_absolute_iri
# A base with an authority, a path and nothing after it, and a relative path without a
# scheme, dot segments, query or fragment: resolving one against the other is joining
# them after the base's last slash, which is what pyld's resolver returns for them.
_PLAIN_BASE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*/[^?#]*$")
_PLAIN_PATH = re.compile(r"^(?!.*/\.)[^:/?#.@][^:?#]*$")
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
    odd_container: bool  # @list, @graph, @id or @type: left to pyld
    type: str | None
    language: str | None
    direction: str | None
    reverse: bool


_terms: dict[tuple, _Term] = {}
_contexts: dict[tuple, dict] = {}
_iris: dict[tuple, str | None] = {}
_refs: dict[str, str] = {}


def walk(doc: dict, base: str | None) -> list[Triple]:
    """The default graph's triples of `doc`, as `td.td_triples` would get them from pyld."""
    walker = _Walker(base or "")
    walker.node(_INITIAL, None, doc)
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
        container = tuple(jsonld.JsonLdProcessor.arrayify(_value_of(ctx, key, "@container")))
        found = _Term(
            iri=iri,
            usable=iri is not None and bool(_ABSOLUTE.match(iri) or jsonld._is_keyword(iri)),
            keyword=iri is not None and jsonld._is_keyword(iri),
            local=_value_of(ctx, key, "@context"),
            container=container,
            odd_container=any(c in container for c in _UNSUPPORTED_CONTAINERS),
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
        effective = base or jsonld.DEFAULT_BASE_IRI
        plain = _PLAIN_BASE.match(effective) and "/." not in effective.split("//", 1)[1]
        self.base_directory = effective[:effective.rfind("/") + 1] if plain else None
        self.out: list[Triple] = []
        self.labels: dict[str, str] = {}  # the document's blank node ids -> ours
        self.indexes: dict[str, object] = {}  # node @id -> its @index (pyld refuses two)

    def iri(self, ctx: dict, value: str, vocab: bool = False, relative: bool = False):
        """pyld's IRI expansion; `relative` resolves against the base like pyld's `base=`."""
        if not relative or (vocab and "@vocab" in ctx):  # the base plays no part
            key = (ctx["_uuid"], value, vocab)
            found = _iris.get(key, key)
            if found is key:
                found = _bounded(_iris)[key] = _JL._expand_iri(ctx, value, vocab=vocab)
            return found
        if (not vocab and self.base_directory is not None and "@base" not in ctx
                and _PLAIN_PATH.match(value)):
            return self.base_directory + value
        return _JL._expand_iri(ctx, value, vocab=vocab, base=self.base)

    def ref(self, iri) -> str | None:
        """An expanded @id as an RDF term; None for a relative IRI, which pyld leaves out."""
        if iri is None:
            return None
        found = _refs.get(iri)
        if found is not None:
            return found
        if iri.startswith("_:"):
            return self.labels.get(iri) or self.labels.setdefault(iri, nt.blank())
        if iri.startswith("@"):
            raise Unsupported
        if not _ABSOLUTE.match(iri):
            return None
        found = _bounded(_refs)[iri] = iri_or_text(iri)
        return found

    # ---- node objects (pyld's _expand on an object, then _expand_object)
    def node(self, ctx: dict, active: _Term | None, element: dict) -> str | None:
        """The node's subject term, after writing its triples; `active` is the term of the
        property it is the value of."""
        if ctx.get("previousContext"):
            raise Unsupported  # a type-scoped context to revert
        if active is not None and active.local is not None:
            ctx = _scoped(ctx, active.local, self.base)
        if "@context" in element:
            if active is not None:
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
                        if _term(ctx, name).local not in (None, False):
                            raise Unsupported  # a type-scoped context
                        types.append(self.iri(ctx, name, vocab=True, relative=True))
                else:
                    raise Unsupported
                continue
            self.property(ctx, key, term, value, pairs)
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

    def property(self, ctx: dict, key: str, term: _Term, value, pairs: list) -> None:
        if term.local is not None:
            term_ctx = _scoped(ctx, term.local, self.base)
            inner = _term(term_ctx, key)  # the key as its own scoped context defines it
        else:
            term_ctx, inner = ctx, term
        if term.reverse or inner.reverse or term.type == "@json":
            raise Unsupported
        container = term.container
        found: list = []
        if not container:
            self.values(term_ctx, inner, value, found)
        elif "@language" in container and type(value) is dict:
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
            self.index_map(ctx, term_ctx, key, inner, value, found)
        elif term.odd_container:
            raise Unsupported
        else:
            self.values(term_ctx, inner, value, found)
        predicate = term.iri
        if predicate.startswith("_:"):
            return  # a blank node predicate is generalized RDF, which pyld leaves out
        predicate = f"<{predicate}>"
        for obj in found:
            if obj is not None:
                pairs.append((predicate, obj))

    def index_map(self, ctx: dict, term_ctx: dict, key: str, inner: _Term, value: dict,
                  found: list) -> None:
        index_key = _value_of(term_ctx, key, "@index") or "@index"
        index_property = None
        if index_key != "@index":
            # pyld passes its base option as `vocab` here, so a TD without base differs
            index_property = self.iri(ctx, index_key, vocab=bool(self.base))
            if index_property is None or jsonld._is_keyword(index_property):
                raise Unsupported
            if _ABSOLUTE.match(index_property) and not index_property.startswith("_:"):
                index_predicate = f"<{index_property}>"
            else:
                index_predicate = None  # pyld writes no triple for it
        for index, entry in value.items():
            items: list = []
            nodes: list = []
            self.values(term_ctx, inner, entry if type(entry) is list else [entry], items, nodes)
            if len(nodes) != len(items):
                raise Unsupported  # values in an index map: pyld may refuse or merge them
            if index_property is not None:
                if index != "@none" and index_predicate is not None:
                    index_value = self.scalar(term_ctx, _term(term_ctx, index_key), index)
                    if index_value is not None:
                        for node in nodes:
                            if node is not None:
                                self.out.append((node, index_predicate, index_value))
            else:
                self.remember_index(nodes, index)
            found.extend(items)

    def remember_index(self, nodes: list, index: str) -> None:
        for node in nodes:
            if node is not None and node[0] != "_":
                if self.indexes.setdefault(node, index) != index:
                    raise Unsupported  # pyld: conflicting indexes

    # ---- values (pyld's _expand on arrays and scalars)
    def values(self, ctx: dict, term: _Term, value, out: list, nodes: list | None = None) -> None:
        kind = type(value)
        if kind is list:
            if "@list" in term.container:
                raise Unsupported
            for item in value:
                self.values(ctx, term, item, out, nodes)
        elif kind is dict:
            node = self.node(ctx, term, value)
            out.append(node)
            if nodes is not None:
                nodes.append(node)
        elif value is not None:
            out.append(self.scalar(ctx, term, value))

    def scalar(self, ctx: dict, term: _Term, value) -> str | None:
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
    """pyld's _object_to_rdf for a value, as an N-Triples literal (JSON gives str, int,
    float and bool; pyld's number tests come down to these for them)."""
    kind = type(value)
    if datatype == "@json":
        raise Unsupported
    if kind is bool:
        return nt.literal("true" if value else "false", datatype or jsonld.XSD_BOOLEAN)
    if kind is float and not value.is_integer():  # pyld's _is_double
        return nt.literal(jsonld._canonicalize_double(value), datatype or jsonld.XSD_DOUBLE)
    if datatype == jsonld.XSD_DOUBLE:
        try:
            return nt.literal(jsonld._canonicalize_double(float(value)), datatype)
        except (TypeError, ValueError):
            return nt.literal(str(value), datatype)
    if kind is int or kind is float:  # pyld's _is_integer
        if abs(value) >= 1e21:
            return nt.literal(jsonld._canonicalize_double(value), datatype or jsonld.XSD_DOUBLE)
        return nt.literal(str(int(value)), datatype or jsonld.XSD_INTEGER)
    if kind is not str:
        raise Unsupported
    if language is not None:
        return nt.literal(value, None, language)
    return nt.literal(value, datatype)
