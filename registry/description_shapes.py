"""The description shapes (shapes/model.ttl, shapes/device.ttl) compiled to Python checks.

pySHACL takes some 20 ms to set up for one graph, more than reading a device file; a fleet
of 100,000 files cannot pay that. So, as the fleet engine compiles the compatibility
shapes, this module reads the description shapes once and compiles each constraint to a
plain check over one graph's triples, held as N-Triples terms (the text the device readers
write, or an rdflib graph's terms). It gives the results pySHACL gives, result by result:
tests/core/test_description_shapes.py holds the two to each other on every shapes file
sample, the device readers' output and the fuzz corpus.

What it compiles is the part of SHACL Core the description shapes use: targets by class
(with the data's own rdfs:subClassOf), property shapes with a predicate path, sh:minCount,
sh:maxCount, sh:datatype, sh:nodeKind, sh:minInclusive, sh:minExclusive, sh:maxInclusive,
sh:maxExclusive, sh:pattern, sh:in, sh:class, sh:lessThanOrEquals, sh:node, sh:or,
sh:qualifiedValueShape with sh:qualifiedMaxCount, sh:severity and sh:message. A shape that
uses anything else is refused when the shapes are compiled, naming the shape, so the two
checkers cannot quietly disagree. A constraint of a targeted shape must carry its
sh:message: that sentence is what a refused submission is told.

Literals in the forms the readers write (canonical integers, booleans, plain strings) are
judged directly; any other form goes through rdflib's own reading of the literal, as
pySHACL's does, so an odd lexical form gets the same verdict from both.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from .compat.results import VIOLATION, Result
from .errors import Invalid
from .resources import shapes_graph

# A graph as this module reads it: subject -> predicate -> objects, every term as its
# N-Triples text (<iri>, _:label, "literal"^^<datatype> or "literal"@lang).
Index = dict[str, dict[str, list[str]]]

_TYPE = f"<{RDF.type}>"
_SUBCLASS = f"<{RDFS.subClassOf}>"
_XSD_INTEGER = str(XSD.integer)
_CANONICAL_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
_STRING = str(XSD.string)
_ESCAPE = re.compile(r'\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)', re.DOTALL)
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
# What a shapes graph may say of a shape: the components compiled here and a shape's labels.
_KNOWN = {SH.path, SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind, SH.minInclusive,
          SH.minExclusive, SH.maxInclusive, SH.maxExclusive, SH.pattern, SH["in"], SH["class"],
          SH.lessThanOrEquals, SH.node, SH["or"], SH.qualifiedValueShape, SH.qualifiedMaxCount,
          SH.flags, SH.severity, SH.message, SH.property, SH.targetClass, RDF.type, RDFS.label,
          RDFS.comment, SH.name, SH.description}


# ---------------------------------------------------------------- terms

def index_ntriples(text: str) -> Index:
    """The triples of N-Triples text. Text written as the device readers write it (one
    triple a line, terms one space apart) is split as it is; any other is parsed."""
    index: Index = {}
    for line in text.split("\n"):
        if not line:
            continue
        parts = line.split(" ", 2)
        if len(parts) < 3 or parts[2][-2:] != " ." or parts[1][:1] != "<" or parts[0][:1] not in "<_":
            return _parsed(text)
        s, p, rest = parts
        by_predicate = index.get(s)
        if by_predicate is None:
            by_predicate = index[s] = {}
        objects = by_predicate.get(p)
        if objects is None:
            by_predicate[p] = [rest[:-2]]
        elif rest[:-2] not in objects:
            objects.append(rest[:-2])
    return index


def _parsed(text: str) -> Index:
    import pyoxigraph as ox
    index: Index = {}
    try:
        for triple in ox.parse(text.encode("utf-8", "surrogatepass"), format=ox.RdfFormat.N_TRIPLES):
            objects = index.setdefault(str(triple.subject), {}).setdefault(str(triple.predicate), [])
            if str(triple.object) not in objects:
                objects.append(str(triple.object))
    except (SyntaxError, UnicodeEncodeError) as exc:
        raise Invalid(f"not valid N-Triples: {exc}") from None
    return index


def index_graph(graph: rdflib.Graph) -> Index:
    index: Index = {}
    for s, p, o in graph:
        objects = index.setdefault(term_text(s), {}).setdefault(term_text(p), [])
        text = term_text(o)
        if text not in objects:
            objects.append(text)
    return index


def term_text(term) -> str:
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    lexical = str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if term.language:
        return f'"{lexical}"@{term.language}'
    if term.datatype is not None and str(term.datatype) != _STRING:
        return f'"{lexical}"^^<{term.datatype}>'
    return f'"{lexical}"'


def _unescape(text: str) -> str:
    def one(match: re.Match) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)
    return _ESCAPE.sub(one, text) if "\\" in text else text


@functools.lru_cache(maxsize=4096)
def literal_parts(term: str) -> tuple[str, str | None, str | None]:
    """(lexical form, datatype IRI, language) of a literal's N-Triples text."""
    end = term.rindex('"')
    lexical = _unescape(term[1:end])
    rest = term[end + 1:]
    if rest.startswith("@"):
        return lexical, None, rest[1:]
    if rest.startswith("^^<"):
        return lexical, rest[3:-1], None
    return lexical, None, None


def _rdflib_literal(term: str) -> rdflib.Literal:
    lexical, datatype, language = literal_parts(term)
    return rdflib.Literal(lexical, lang=language,
                          datatype=rdflib.URIRef(datatype) if datatype else None)


_NOT_READ = object()


def literal_value(term: str) -> Any:
    """The value rdflib reads from a literal (None when it cannot), and whether the form is
    ill-typed, as (value, ill_typed); canonical integers and booleans without rdflib."""
    lexical, datatype, language = literal_parts(term)
    if datatype == _XSD_INTEGER and _CANONICAL_INTEGER.fullmatch(lexical):
        return int(lexical), False
    if datatype == f"{XSD}boolean" and lexical in ("true", "false"):
        return lexical == "true", False
    if datatype is None:
        return lexical, False
    literal = _rdflib_literal(term)
    return literal.value, bool(getattr(literal, "ill_typed", False))


def _kind(term: str) -> str:
    return "iri" if term[0] == "<" else "blank" if term[0] == "_" else "literal"


# ---------------------------------------------------------------- compiled shapes

# A check of a pair of properties, or of how many values conform: (data, focus, values) ->
# the failing values (None: the focus node's, no value of its own).
Check = Callable[["Data", str, list], list]
_NO_VALUES: tuple = ()
_NO_PREDICATES: dict = {}


@dataclass
class Constraint:
    """One property shape's constraints on one path (or a node shape's own, on the node)."""
    path: str | None  # the predicate as N-Triples text; None: the focus node itself
    severity: str
    message: str
    root: str  # the targeted node shape its results are reported under
    min_count: int = 0
    max_count: int = 1 << 62
    tests: list[Callable[["Data", str], bool]] = field(default_factory=list)  # per value
    checks: list[Check] = field(default_factory=list)

    def failures(self, data: "Data", focus: str) -> list:
        """The values that fail (None for a failure of the node itself: a count)."""
        values = ([focus] if self.path is None
                  else data.index.get(focus, _NO_PREDICATES).get(self.path, _NO_VALUES))
        count = len(values)
        out = []
        if count < self.min_count or count > self.max_count:
            out.append(None)
        if count:
            for test in self.tests:
                for v in values:
                    if not test(data, v):
                        out.append(v)
            for check in self.checks:
                out.extend(check(data, focus, values))
        return out

    @property
    def empty(self) -> bool:
        return not (self.min_count or self.max_count < 1 << 62 or self.tests or self.checks)


@dataclass
class NodeShape:
    iri: str
    targets: set[str] = field(default_factory=set)
    constraints: list[Constraint] = field(default_factory=list)


class Data:
    """One graph being checked, with the class hierarchy it states itself."""

    def __init__(self, index: Index):
        self.index = index
        self._supers: dict[str, set[str]] = {}
        self._typed: dict[str, set[str]] | None = None

    def values(self, node: str, path: str | None) -> list[str]:
        if path is None:
            return [node]
        return self.index.get(node, {}).get(path, [])

    def typed(self) -> dict[str, set[str]]:
        """Every node that has a type, with all its classes (the targets' candidates)."""
        if self._typed is None:
            self._typed = {node: self.classes(node) for node, predicates in self.index.items()
                           if _TYPE in predicates}
        return self._typed

    def classes(self, node: str) -> set[str]:
        """The node's classes with their superclasses, as the data states them."""
        out: set[str] = set()
        for cls in self.values(node, _TYPE):
            out |= self.supers(cls)
        return out

    def supers(self, cls: str) -> set[str]:
        found = self._supers.get(cls)
        if found is None:
            found, todo = {cls}, [cls]
            while todo:
                for parent in self.values(todo.pop(), _SUBCLASS):
                    if parent not in found:
                        found.add(parent)
                        todo.append(parent)
            self._supers[cls] = found
        return found


class Checker:
    """The description shapes of one kind of submission, compiled."""

    def __init__(self, roots: list[NodeShape]):
        self.roots = roots

    def results(self, index: Index) -> list[Result]:
        data = Data(index)
        out = []
        for shape in self.roots:
            for focus in self._focus_nodes(data, shape):
                for c in shape.constraints:
                    for value in c.failures(data, focus):
                        out.append(Result(
                            severity=c.severity, constraint=c.root, message=c.message,
                            path=c.path[1:-1] if c.path else None,
                            value=None if value is None else plain(value),
                            focus=_plain_node(focus)))
        return out

    @staticmethod
    def _focus_nodes(data: Data, shape: NodeShape) -> list[str]:
        return [node for node, classes in data.typed().items() if shape.targets & classes]


def plain(term: str) -> Any:
    """A result's value as JSON can carry it, as compat/shacl.py's `plain_value` gives it."""
    if term[0] != '"':
        return _plain_node(term)
    value, _ = literal_value(term)
    if isinstance(value, (bool, int, float, str)):
        return value
    return literal_parts(term)[0]


def _plain_node(term: str) -> str:
    return term[1:-1] if term[0] == "<" else term[2:]


# ---------------------------------------------------------------- compiling

class _Compiler:
    def __init__(self, shapes: rdflib.Graph):
        self.g = shapes
        self._nodes: dict[rdflib.term.Node, Callable[[Data, str], bool]] = {}

    def root(self, shape: rdflib.term.Node, targets: set[str]) -> NodeShape:
        node = NodeShape(str(shape), targets)
        self._known(shape)
        node.constraints.extend(self._own(shape, str(shape), needs_message=True))
        for prop in self.g.objects(shape, SH.property):
            node.constraints.append(self._property(prop, str(shape), needs_message=True))
        return node

    def _known(self, shape) -> None:
        unknown = {p for p in self.g.predicates(shape) if p not in _KNOWN}
        if unknown:
            names = ", ".join(sorted(self.g.namespace_manager.normalizeUri(p) for p in unknown))
            raise Invalid(f"description shape {self._name(shape)} uses {names}, which the "
                          "compiled checker does not read (registry/description_shapes.py)")

    def _name(self, shape) -> str:
        if isinstance(shape, rdflib.BNode):
            holder = self.g.value(None, SH.property, shape)
            return f"a property of {self._name(holder)}" if holder is not None else "a blank shape"
        return self.g.namespace_manager.normalizeUri(shape)

    def _severity_message(self, shape, needs_message: bool) -> tuple[str, str]:
        severity = str(self.g.value(shape, SH.severity) or VIOLATION)
        message = self.g.value(shape, SH.message)
        if message is None and needs_message and self._checks_of(shape):
            raise Invalid(f"description shape {self._name(shape)} has no sh:message: a refused "
                          "submission is told that sentence")
        return severity, str(message) if message is not None else ""

    def _checks_of(self, shape) -> list:
        return [p for p in self.g.predicates(shape) if p not in (
            SH.path, SH.severity, SH.message, SH.property, SH.targetClass, SH.flags, RDF.type,
            RDFS.label, RDFS.comment, SH.name, SH.description)]

    def _property(self, prop, root: str, needs_message: bool) -> Constraint:
        self._known(prop)
        path = self.g.value(prop, SH.path)
        if not isinstance(path, rdflib.URIRef):
            raise Invalid(f"description shape {self._name(prop)}: only a predicate path is "
                          "compiled")
        severity, message = self._severity_message(prop, needs_message)
        return self._constraint(prop, Constraint(f"<{path}>", severity, message, root))

    def _own(self, shape, root: str, needs_message: bool) -> list[Constraint]:
        severity, message = "", ""
        if self._checks_of(shape):
            severity, message = self._severity_message(shape, needs_message)
        constraint = self._constraint(shape, Constraint(None, severity, message, root))
        return [] if constraint.empty else [constraint]

    def _constraint(self, shape, c: Constraint) -> Constraint:
        """`c` with the checks `shape` states."""
        g = self.g
        for count in g.objects(shape, SH.minCount):
            c.min_count = max(c.min_count, int(count))
        for count in g.objects(shape, SH.maxCount):
            c.max_count = min(c.max_count, int(count))
        tests = c.tests
        for datatype in g.objects(shape, SH.datatype):
            tests.append(_remembered(_datatype(str(datatype))))
        for kind in g.objects(shape, SH.nodeKind):
            tests.append(_node_kind(kind))
        for component, keep in ((SH.minInclusive, lambda c: c >= 0), (SH.minExclusive, lambda c: c > 0),
                                (SH.maxInclusive, lambda c: c <= 0), (SH.maxExclusive, lambda c: c < 0)):
            for bound in g.objects(shape, component):
                tests.append(_remembered(_range(term_text(bound), keep)))
        for pattern in g.objects(shape, SH.pattern):
            flags = g.value(shape, SH.flags)
            tests.append(_pattern(str(pattern), str(flags) if flags else ""))
        for members in g.objects(shape, SH["in"]):
            allowed = {term_text(m) for m in Collection(g, members)}
            tests.append(lambda data, v, allowed=allowed: v in allowed)
        for cls in g.objects(shape, SH["class"]):
            tests.append(_class(f"<{cls}>"))
        for node in g.objects(shape, SH.node):
            tests.append(self.conforms(node))
        for alternatives in g.objects(shape, SH["or"]):
            options = [self.conforms(s) for s in Collection(g, alternatives)]
            tests.append(lambda data, v, options=options: any(o(data, v) for o in options))
        for other in g.objects(shape, SH.lessThanOrEquals):
            c.checks.append(_less_or_equal(f"<{other}>"))
        for qualified in g.objects(shape, SH.qualifiedValueShape):
            conforms = self.conforms(qualified)
            for most in g.objects(shape, SH.qualifiedMaxCount):
                c.checks.append(_qualified_max(conforms, int(most)))
        return c

    def conforms(self, shape) -> Callable[[Data, str], bool]:
        """Whether a node conforms to a (nested) shape: none of its constraints fails, of
        any severity (SHACL's conformance)."""
        found = self._nodes.get(shape)
        if found is not None:
            return found
        self._known(shape)
        constraints = (self._own(shape, str(shape), needs_message=False)
                       + [self._property(p, str(shape), needs_message=False)
                          for p in self.g.objects(shape, SH.property)])

        def conforms(data: Data, node: str) -> bool:
            for c in constraints:
                if c.failures(data, node):
                    return False
            return True
        self._nodes[shape] = conforms
        return conforms


def _remembered(test: Callable[["Data", str], bool]) -> Callable[["Data", str], bool]:
    """A test of a value alone, remembered per value: a fleet repeats its figures. At most
    10,000 values are kept (identifiers and names do not repeat)."""
    seen: dict[str, bool] = {}

    def remembered(data: Data, v: str) -> bool:
        known = seen.get(v)
        if known is None:
            known = test(data, v)
            if len(seen) < 10_000:
                seen[v] = known
        return known
    return remembered


_PYTHON_TYPES = {f"{XSD}string": str, f"{XSD}boolean": bool, f"{XSD}decimal": Decimal,
                 f"{XSD}float": float, f"{XSD}double": float, f"{XSD}integer": int}


def _datatype(datatype: str) -> Callable[[Data, str], bool]:
    wanted_type = _PYTHON_TYPES.get(datatype)

    def test(data: Data, v: str) -> bool:
        if v[0] != '"':
            return False
        _, literal_type, language = literal_parts(v)
        if literal_type is None and language is None:
            literal_type = _STRING
        if literal_type != datatype:
            return False
        value, ill_typed = literal_value(v)
        if ill_typed:
            return False
        # bool is an int in Python; rdflib's check for xsd:integer is isinstance(value, int)
        return wanted_type is None or isinstance(value, wanted_type)
    return test


def _node_kind(kind) -> Callable[[Data, str], bool]:
    allowed = {SH.IRI: {"iri"}, SH.Literal: {"literal"}, SH.BlankNode: {"blank"},
               SH.BlankNodeOrIRI: {"blank", "iri"}, SH.BlankNodeOrLiteral: {"blank", "literal"},
               SH.IRIOrLiteral: {"iri", "literal"}}[kind]
    return lambda data, v: _kind(v) in allowed


def _range(bound: str, keep: Callable[[int], bool]) -> Callable[[Data, str], bool]:
    bound_value, _ = literal_value(bound)
    bound_is_text = isinstance(bound_value, str)

    def test(data: Data, v: str) -> bool:
        if v[0] != '"':
            return False
        value, _ = literal_value(v)
        if isinstance(value, str) != bound_is_text:
            return False
        if type(value) is int and type(bound_value) is int:
            return keep((value > bound_value) - (value < bound_value))
        try:
            return keep(_compare(_rdflib_literal(v), _rdflib_literal(bound)))
        except (TypeError, NotImplementedError):
            return False
    return test


def _compare(a: rdflib.Literal, b: rdflib.Literal) -> int:
    """-1, 0 or 1 as rdflib orders two literals; TypeError when they cannot be ordered."""
    if a.eq(b):
        return 0
    return 1 if a > b else -1


def _pattern(pattern: str, flags: str) -> Callable[[Data, str], bool]:
    compiled = re.compile(pattern, re.IGNORECASE if "i" in flags else 0)

    def test(data: Data, v: str) -> bool:
        if v[0] == "_":
            return False
        text = literal_parts(v)[0] if v[0] == '"' else v[1:-1]
        return compiled.search(text) is not None
    return test


def _class(cls: str) -> Callable[[Data, str], bool]:
    return lambda data, v: v[0] != '"' and cls in data.classes(v)


def _less_or_equal(other: str) -> Check:
    def check(data: Data, focus: str, values: list[str]) -> list:
        bounds = data.values(focus, other)
        return [v for v in values for b in bounds if not _at_most(v, b)]
    return check


def _at_most(v: str, b: str) -> bool:
    """Whether v <= b as SPARQL's <= orders them; False when they cannot be compared."""
    if v[0] == "_" or b[0] == "_":
        return False
    a_value = v[1:-1] if v[0] == "<" else literal_value(v)[0]
    b_value = b[1:-1] if b[0] == "<" else literal_value(b)[0]
    if isinstance(a_value, str) != isinstance(b_value, str):
        return False
    if isinstance(a_value, str) or (type(a_value) is int and type(b_value) is int):
        return a_value <= b_value
    try:
        return bool(_rdflib_literal(v) <= _rdflib_literal(b))
    except (TypeError, NotImplementedError):
        return False


def _qualified_max(conforms: Callable[[Data, str], bool], most: int) -> Check:
    def check(data: Data, focus: str, values: list[str]) -> list:
        return [None] if sum(conforms(data, v) for v in values) > most else []
    return check


@functools.lru_cache(maxsize=8)
def checker(kind_classes: tuple[str, ...], shapes: rdflib.Graph | None = None) -> Checker:
    """The compiled description shapes that target any of `kind_classes` (IRIs)."""
    shapes = shapes if shapes is not None else shapes_graph()
    compiler = _Compiler(shapes)
    wanted = {f"<{c}>" for c in kind_classes}
    roots = []
    for shape in sorted(set(shapes.subjects(SH.targetClass, None)), key=str):
        targets = {f"<{c}>" for c in shapes.objects(shape, SH.targetClass)}
        if targets & wanted:
            roots.append(compiler.root(shape, targets))
    return Checker(roots)
