"""SPARQL text from outside, checked before any engine parses it.

Three questions are settled here, for the public endpoint, `/update` and `tinyreg query`:
is the text small enough, is it nested shallowly enough for the engine's recursive parser
(10,000 `(` or `!` overflow its stack and kill the process), and does it ask the server to
contact another host (SERVICE, LOAD)?

How the text is read. The regions where any character may stand without being code are cut
out first, by the terminals of the SPARQL 1.1 grammar (section 19.8) as Oxigraph lexes them:
comments (`#` to the end of the line), the four string forms with their ECHAR and UCHAR
escapes (`"a\\u0022b"` is one string), IRIREF with UCHAR (`<urn:\\u0041#>` is one IRI: its
`#` is no comment), variables, blank node labels, language tags, and the local part of
prefixed names with PLX (`ex:a\\#b` is one name: its `#` is no comment either). What is left
is the query's code: keywords, the prefix part of prefixed names, numbers and punctuation.
One regular expression does the cutting (`_INERT.sub`): no Python runs per token, and no
alternative can scan far and fail at every position of a long run (the scan is linear; a
1 MB query is read in milliseconds, see bench/bench_sparql.py).

How SERVICE and LOAD are found. Oxigraph's parser matches a keyword without looking at what
follows it, so `SERVICESILENT <u> {}`, `SERVICE:x {}` (with a `:` prefix), `trueSERVICE <u>
{}` and `1SERVICE <u> {}` all call `<u>`. So the keywords are refused wherever they appear in
the code, inside a longer word or a prefix name too; only names the engine reads as one
terminal (variables, local parts, strings, IRIs, comments) may hold them. No keyword of
SPARQL contains either word, so a valid query is refused only when it names a prefix such as
`service:` (the message says so). Servers that apply the SPARQL 1.1 codepoint pre-pass to
the whole text (section 19.2; Oxigraph does not) could read `SERV\\u0049CE` as the keyword,
so text with `\\u` escapes is also read as they would read it.

A wrongly lexed `<` (an IRI where the engine sees less-than) cannot hide a keyword: an
IRIREF holds no `{`, `}` or space, and SERVICE and LOAD need a brace or a space between them
and any expression. tests/core/test_querytext.py holds this reading against the engine.
"""
from __future__ import annotations

import re

from .errors import Invalid, TooLarge

# Longest query text accepted, in characters.
MAX_QUERY_CHARS = 1 << 20
# Deepest nesting of ( [ { accepted, and the longest run of `!` (each one a level of the
# parser's recursion). Oxigraph's parser overflows an 8 MiB stack near 3,000 braces.
MAX_NESTING = 100
REMOTE_KEYWORDS = ("SERVICE", "LOAD")

# Character classes of the grammar's terminals (19.8).
_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF"
         "\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
         "\U00010000-\U000EFFFF")
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + r"\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"""\\[tbnrf"'\\]"""
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"

_VARNAME = rf"[{_CHARS_U}0-9][{_CHARS_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*+"
# Every branch starts with a literal character, so that the engine skips in C to the
# positions where one can start; possessive repeats never scan the same text twice.
_INERT = re.compile(rf"""
    \#[^\n\r]*+                                                          # comment
  | '''(?:(?:''|')?+(?:[^'\\]++|{_ECHAR}|{_UCHAR}))*+'''            # STRING_LITERAL_LONG1
  | \"\"\"(?:(?:\"\"|\")?+(?:[^"\\]++|{_ECHAR}|{_UCHAR}))*+\"\"\"        # STRING_LITERAL_LONG2
  | '(?:[^'\\\n\r]++|{_ECHAR}|{_UCHAR})*+'                              # STRING_LITERAL1
  | "(?:[^"\\\n\r]++|{_ECHAR}|{_UCHAR})*+"                              # STRING_LITERAL2
  | <(?:[^<>"{{}}|^`\\\x00-\x20]++|{_UCHAR})*+>                         # IRIREF
  | \?{_VARNAME} | \${_VARNAME}                                          # VAR1, VAR2
  | _:[{_CHARS_U}0-9][{_CHARS}.]*+                                      # BLANK_NODE_LABEL
  | @[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+                                     # LANGTAG
  | :(?:(?:[{_CHARS_U}:0-9]|{_PLX})(?:[{_CHARS}.:]++|{_PLX})*+)?         # the local part of a
""", re.VERBOSE)                                                        # prefixed name, and `:`

_KEYWORD = re.compile("|".join(REMOTE_KEYWORDS), re.IGNORECASE)
_NOT_BRACKET = re.compile(r"[^()\[\]{}]+")
_SPACED_BANG = re.compile(r"!\s++(?=!)")
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_NAME_BEFORE = re.compile(rf"[{_CHARS}.]*\Z")
_NAME_AFTER = re.compile(rf"[{_CHARS}.]*:?")


def code(text: str) -> str:
    """The text with every comment, string, IRI, variable, blank node label, language tag
    and local name blanked out: what is left is what the parser reads as keywords and
    punctuation."""
    return _INERT.sub(" ", text)


def remote_access(text: str) -> str | None:
    """The keyword, if any, with which this text would make the server contact another host
    (SERVICE in a query or an update's WHERE, LOAD in an update)."""
    found = _remote(_skeletons(text))
    return found[0] if found else None


def nesting(text: str) -> int:
    """How deep brackets nest in the code, or more than MAX_NESTING when it has a longer
    run of `!`."""
    return max(_nesting(skeleton) for skeleton in _skeletons(text))


def check(text: str, *, allow_federation: bool) -> None:
    """Refuse text that is too large, nested too deeply, or (unless `allow_federation`)
    reaches another host; each refusal names the limit."""
    if len(text) > MAX_QUERY_CHARS:
        raise TooLarge(f"the query has {len(text):,} characters; at most "
                       f"{MAX_QUERY_CHARS:,} are accepted")
    skeletons = _skeletons(text)
    if max(_nesting(s) for s in skeletons) > MAX_NESTING:
        raise Invalid(f"the query nests brackets or `!` deeper than {MAX_NESTING} levels; "
                      f"the parser is not given it")
    found = None if allow_federation else _remote(skeletons)
    if found:
        keyword, word = found
        detail = (f"{keyword} is disabled: it would make the server contact other hosts "
                  f"(setting sparql_allow_federation)")
        if word.upper() != keyword:
            detail += (f"; the engine reads `{word}` as the keyword {keyword} and more, "
                       f"so write it another way")
        raise RemoteRefused(detail)


_UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD",
                 "WITH")
_QUERY_WORDS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
# For messages only: what is not code in a rough reading (IRIs, strings, comments), and the
# prologue's declarations.
_NOT_CODE = re.compile(r"""<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|#[^\n]*""")
_PROLOGUE = re.compile(r"\s*(?:(?:PREFIX\s+[^\s:]*:|BASE)\s*)*", re.IGNORECASE)
_DECLARED = re.compile(r"PREFIX\s+([^\s:]*):", re.IGNORECASE)
_PREFIXED = re.compile(r"(?<![\w.:?$-])([A-Za-z][\w.-]*)?:(?=[\w%\\])")
_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.S)


def syntax_problem(text: str, message: str) -> str:
    """One line saying what is wrong with query text the engine could not parse (its own
    message can list every character class it expected, over several lines)."""
    rough = _NOT_CODE.sub(" ", text)
    first = _PROLOGUE.sub("", rough, count=1).lstrip()
    word = re.match(r"[A-Za-z]*", first).group(0).upper()
    if word in _UPDATE_WORDS:
        return (f"invalid SPARQL query: this is a SPARQL Update ({word} ...), not a query: "
                f"only SELECT, ASK, CONSTRUCT and DESCRIBE queries are run here")
    if word not in _QUERY_WORDS:
        return (f"invalid SPARQL query: it must start with SELECT, ASK, CONSTRUCT or DESCRIBE "
                f"(after any PREFIX lines), not `{(first.split() or [''])[0][:20]}`")
    declared = {m.group(1) for m in _DECLARED.finditer(rough)}
    body = _DECLARED.sub(" ", rough)
    missing = next((m.group(1) or "" for m in _PREFIXED.finditer(body)
                    if (m.group(1) or "") not in declared), None)
    if "Prefix not found" in message and missing is not None:
        return (f"invalid SPARQL query: the prefix `{missing}:` is not declared "
                f"(add PREFIX {missing}: <...>)")
    found = _AT.match(message)
    if found is None:
        return f"invalid SPARQL query: {' '.join(message.split())[:200]}"
    line, column, detail = int(found[1]), int(found[2]), " ".join(found[3].split())
    lines = text.splitlines()
    near = lines[line - 1][max(0, column - 1):column + 19].strip() if 0 < line <= len(lines) else ""
    if len(detail) > 80:  # a list of character classes: the place says more
        detail = detail[:80].rsplit(",", 1)[0] + ", ..."
    return (f"invalid SPARQL query: at line {line}, column {column}"
            + (f" (near `{near}`)" if near else "") + f": {detail}")


class RemoteRefused(Invalid):
    """SERVICE or LOAD while federation is off (HTTP answers 403)."""
    status = 403
    title = "Forbidden"

    @classmethod
    def slug(cls) -> str:
        return "forbidden"


def _skeletons(text: str) -> list[str]:
    """The code of the text as Oxigraph reads it, and as a server applying the codepoint
    pre-pass of SPARQL 1.1 (19.2) would, when the two differ."""
    skeletons = [code(text)]
    if "\\u" in text or "\\U" in text:
        skeletons.append(code(_CODEPOINT.sub(_codepoint, text)))
    return skeletons


def _codepoint(match: re.Match) -> str:
    value = int(match.group(1) or match.group(2), 16)
    return chr(value) if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else match.group(0)


def _remote(skeletons: list[str]) -> tuple[str, str] | None:
    """The first remote keyword in the code, and the name it stands in (for the message)."""
    for skeleton in skeletons:
        upper = skeleton.upper()  # str.find is far faster than a case-blind expression
        hits = [(at, keyword) for keyword in REMOTE_KEYWORDS if (at := upper.find(keyword)) >= 0]
        if not hits:
            continue
        at, keyword = min(hits)
        if len(upper) != len(skeleton):  # a letter that upper-cases to two moved the places
            found = _KEYWORD.search(skeleton)
            if found is None:
                return keyword, keyword
            at = found.start()
        before = skeleton[max(0, at - 80):at]
        start = at - len(_NAME_BEFORE.search(before).group(0))
        end = _NAME_AFTER.match(skeleton, at + len(keyword), at + len(keyword) + 80).end()
        return keyword, skeleton[start:end]
    return None


def _nesting(skeleton: str) -> int:
    if "!" in skeleton and "!" * (MAX_NESTING + 1) in _SPACED_BANG.sub("!", skeleton):
        return MAX_NESTING + 1
    if sum(skeleton.count(c) for c in "([{") <= MAX_NESTING:  # cannot nest deeper
        return 0
    brackets = _NOT_BRACKET.sub("", skeleton)
    import numpy as np  # only for the rare text with many brackets
    codes = np.frombuffer(brackets.encode("ascii"), dtype=np.uint8)
    steps = np.where((codes == ord("(")) | (codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())
