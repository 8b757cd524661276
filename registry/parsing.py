"""JSON and YAML from strangers, parsed within bounds.

What a file may not make the registry do, checked before a reader sees the document:

- nest deeper than `MAX_DEPTH`: the stdlib JSON decoder recurses once a level and stops
  only at the interpreter's recursion limit, and the JSON-LD processor recurses again, a
  few frames a level; the depth is counted on the text before anything is parsed (for
  Turtle too, where each level is more triples);
- hold a number no reader can use: beyond a double (JSON-LD turns such numbers into
  doubles, and Python into an OverflowError), or NaN and Infinity, which are not JSON;
- hold half of a UTF-16 surrogate pair (`"\\ud800"`), which is no character and which
  no store can write;
- expand through YAML aliases: an alias repeats a node without copying it, so a 400-byte
  file can stand for billions of nodes that any reader walking it (even `str()`) expands.
  Aliases may add at most `MAX_ALIAS_NODES` nodes, and none may contain itself.

Every refusal is an `Invalid` that says where (a line and column, or the field's path).
"""
from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any, Iterator

import yaml

from .errors import Invalid

# libyaml's loader when PyYAML was built with it: the same safe subset, far faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 64  # the 12 plugfest TDs in ../shared/ref nest 5 to 12 deep
MAX_ALIAS_NODES = 10_000

# What holds brackets that do not nest: JSON strings; Turtle strings, IRIs and comments.
# A string runs to the end of the text (or line) when it is not closed, so that every
# match succeeds and the text is read once.
_JSON_TEXT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_TURTLE_TEXT = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*+(?:"""|\\?\Z)'
    r"|'''(?:[^'\\]|\\.|'(?!''))*+(?:'''|\\?\Z)"
    r'|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+(?:"|\\?$)'
    r"|'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+(?:'|\\?$)"
    r'|<[^<>"{}|^`\\\s]*>|#[^\n]*', re.MULTILINE | re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}()]+")
_STEP = {"[": 1, "{": 1, "(": 1, "]": -1, "}": -1, ")": -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _BadNumber:
    """A number the decoder read that no reader may see; found and named after the parse."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def problem(self) -> str:
        digits = sum(c.isdigit() for c in self.text)
        shown = self.text if len(self.text) <= 24 else f"a number of {digits} digits"
        if self.text in ("NaN", "Infinity", "-Infinity"):
            return f"{self.text} is not a JSON number"
        return f"{shown} is beyond the range of a double (about 1.8e308)"


_MAX_DOUBLE = int(1.7976931348623157e308)


def load_json(text: str) -> Any:
    """The JSON document `text`, refused (`Invalid`) when it breaks a bound above."""
    _check_depth(text)
    bad: list[_BadNumber] = []  # seen while parsing: then, and only then, found by a walk

    def integer(token: str):
        # Beyond 308 digits an integer may no longer be a double; int() of more than 4,300
        # digits raises ValueError, so the length is looked at first.
        if len(token) > 308 and (len(token.lstrip("-")) > 309 or abs(int(token)) > _MAX_DOUBLE):
            return refused(token)
        return int(token)

    def real(token: str):
        value = float(token)
        return value if math.isfinite(value) else refused(token)

    def refused(token: str) -> _BadNumber:
        bad.append(_BadNumber(token))
        return bad[-1]

    try:
        doc = json.loads(text, parse_int=integer, parse_float=real, parse_constant=refused)
    except json.JSONDecodeError as exc:
        raise Invalid(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # not reached below MAX_DEPTH; a last guard for a small stack
        raise Invalid(f"invalid JSON: nested more than {MAX_DEPTH} levels deep") from None
    if bad:
        path, value = _first(doc, lambda v: type(v) is _BadNumber)
        raise Invalid(f"{path or 'the document'}: {value.problem()}")
    if _SURROGATE_ESCAPE.search(text):
        _check_characters(doc)
    return doc


def load_yaml(text: str) -> Any:
    """The YAML document `text` (the safe subset), refused (`Invalid`) when it breaks a
    bound above or is not YAML."""
    try:
        doc = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise Invalid(f"invalid YAML{where}: {problem}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # What a constructor raises for a scalar it cannot build: an integer of more than
        # 4,300 digits, a date that does not exist, a list used as a mapping key.
        raise Invalid(f"invalid YAML: {_short(str(exc))}") from None
    if "&" in text:  # an alias needs an anchor; libyaml bounds the nesting (1,000 levels)
        _check_aliases(doc)
    if "\\" in text:  # a surrogate comes only from an escape in a double-quoted scalar
        _check_characters(doc)
    return doc


def check_turtle_depth(text: str) -> None:
    """Refuse Turtle nested deeper than MAX_DEPTH (blank nodes in brackets, collections):
    each level is more triples and nodes, and 100,000 levels fit in 400 KB."""
    _check_depth(text, _TURTLE_TEXT, "Turtle")


def _check_depth(text: str, quoted: re.Pattern = _JSON_TEXT, syntax: str = "JSON") -> None:
    if text.count("[") + text.count("{") + text.count("(") <= MAX_DEPTH:
        return  # too few brackets to nest that deep
    skeleton = _NOT_BRACKETS.sub("", quoted.sub("", text))
    if max(accumulate(map(_STEP.__getitem__, skeleton)), default=0) > MAX_DEPTH:
        raise Invalid(f"invalid {syntax}: nested more than {MAX_DEPTH} levels deep")


def _check_aliases(doc: Any) -> None:
    """Refuse a YAML document whose aliases add more than MAX_ALIAS_NODES nodes or that
    contains itself: sizes are counted once per node (aliases share nodes), so this takes
    time in the file's size, not the expansion's."""
    if not isinstance(doc, (list, dict)):
        return
    sizes: dict[int, int] = {}
    keep = []  # the nodes counted, so that no id is reused while this runs
    open_ = set()  # the nodes being counted: the path from the root
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = node.values() if isinstance(node, dict) else node
        if done:
            open_.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(c), 1) for c in children)
            continue
        if key in sizes:
            continue
        if key in open_:
            raise Invalid("invalid YAML: an alias refers to a node that contains it")
        open_.add(key)
        keep.append(node)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, (list, dict)))
    if sizes[id(doc)] > len(sizes) + _scalars(sizes, keep) + MAX_ALIAS_NODES:
        raise Invalid(f"invalid YAML: its aliases expand it by more than {MAX_ALIAS_NODES:,} "
                      "nodes; write the values out, or use fewer aliases")


def _scalars(sizes: dict[int, int], nodes: list) -> int:
    """The scalars the document holds, each counted once per place it is written."""
    return sum(1 for node in nodes
               for c in (node.values() if isinstance(node, dict) else node)
               if id(c) not in sizes)


def _check_characters(doc: Any) -> None:
    def broken(value) -> bool:
        if type(value) is not str:
            return False
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
        return False
    found = _first(doc, broken, keys=True)
    if found is not None:
        path, value = found
        raise Invalid(f"{path or 'the document'}: the text {_short(repr(value))} holds half "
                      "of a UTF-16 surrogate pair, which is not a character")


def _first(doc: Any, test, keys: bool = False) -> tuple[str, Any] | None:
    """The path ("a.b[2]") and value of the first value (or key) that passes `test`."""
    for path, value in _nodes(doc, keys):
        if test(value):
            return path, value
    return None


def _nodes(doc: Any, keys: bool) -> Iterator[tuple[str, Any]]:
    stack: list[tuple[str, Any]] = [("", doc)]
    seen = set()  # YAML aliases share nodes: each is looked into once
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, (dict, list)):
            if id(value) in seen:
                continue
            seen.add(id(value))
        if isinstance(value, dict):
            for k, v in reversed(list(value.items())):
                child = field_path(path, k)
                if keys:
                    yield child, k
                stack.append((child, v))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value))))


def field_path(parent: str, key: Any) -> str:
    """The path of `key` under `parent`, as error messages name fields: "boards[2].sensors"."""
    name = _short(key if isinstance(key, str) else repr(key), 60)
    return f"{parent}.{name}" if parent else name


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
