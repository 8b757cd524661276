"""The ontology's competency questions: the questions it must answer, as SPARQL.

Each is a file `ontology/competency/<key>.rq` whose leading comment block is its header:

    # Question: Which devices can run this model?
    # About: what the answer holds (continued on lines indented under it).
    # Bind: model (a model version)        <- variables the caller binds; none if absent
    # Pending: issue 18 (...)              <- only where today's data cannot answer it
    # Needs: tr:usableRamBytes             <- terms the pending issue adds to the ontology
    #
    # Free comments after a lone "#" are kept in the text, not read as fields.

The queries take their subject as bound variables, never pasted into the text.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from .resources import competency_dir

_FIELD = re.compile(r"^#\s?([A-Z][A-Za-z ]*):\s*(.*)$")
_CONTINUED = re.compile(r"^#\s{2,}(\S.*)$")
_PREFIX = re.compile(r"PREFIX\s+([A-Za-z][\w-]*)?:\s*<([^>]+)>", re.IGNORECASE)
_KNOWN = {"Question", "About", "Bind", "Pending", "Needs"}


@dataclass(frozen=True)
class CompetencyQuestion:
    key: str
    question: str
    about: str
    parameters: tuple[str, ...]
    sparql: str            # the query without its header
    text: str              # the whole file, header included
    pending: str | None    # the issue that makes it answerable, when today's data cannot
    needs: tuple[str, ...]  # full IRIs of the terms that issue adds

    @property
    def answerable(self) -> bool:
        return self.pending is None

    def prefixes(self) -> dict[str, str]:
        return {m.group(1) or "": m.group(2) for m in _PREFIX.finditer(self.sparql)}

    def terms(self) -> set[str]:
        """The IRIs the query names, its prefixed names expanded (variables left out)."""
        prefixes = self.prefixes()
        body = _PREFIX.sub("", _strip_comments(self.sparql))
        found = set(re.findall(r"<([^<>\s]+)>", body))
        for prefix, local in re.findall(r"(?<![\w?$<])([A-Za-z][\w-]*)?:([A-Za-z_][\w-]*)", body):
            if (prefix or "") in prefixes:
                found.add(prefixes[prefix or ""] + local)
        return found


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] if not re.search(r"<[^>]*#", line) else line
                     for line in text.splitlines())


def parse(key: str, text: str) -> CompetencyQuestion:
    fields: dict[str, str] = {}
    current = None
    body_start = 0
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        stripped = line.rstrip("\n")
        if not stripped.startswith("#"):
            body_start = index
            break
        if stripped.strip() == "#":
            current = None
            continue
        match = _FIELD.match(stripped)
        if match and match.group(1) in _KNOWN and current is not False:
            current = match.group(1)
            fields[current] = match.group(2).strip()
        elif current and _CONTINUED.match(stripped):
            fields[current] += " " + _CONTINUED.match(stripped).group(1).strip()
        elif current is None and fields:
            current = False  # free comments after the fields
    else:
        body_start = len(lines)
    if "Question" not in fields:
        raise ValueError(f"competency question {key}: its header has no 'Question:' line")
    bind = re.sub(r"\([^)]*\)", "", fields.get("Bind", ""))
    parameters = tuple(name.strip() for name in bind.split(",") if name.strip())
    body = "".join(lines[body_start:]).rstrip()
    question = CompetencyQuestion(key, fields["Question"], fields.get("About", ""), parameters,
                                  body, text, fields.get("Pending"), ())
    prefixes = question.prefixes()
    needs = tuple(prefixes[p] + local for p, local in
                  re.findall(r"([A-Za-z][\w-]*):([A-Za-z_]\w*)", fields.get("Needs", ""))
                  if p in prefixes)
    return CompetencyQuestion(key, question.question, question.about, parameters, body, text,
                              question.pending, needs)


@functools.lru_cache(maxsize=1)
def competency_questions() -> tuple[CompetencyQuestion, ...]:
    """Every question that ships with the ontology, by file name."""
    return tuple(parse(path.stem, path.read_text(encoding="utf-8"))
                 for path in sorted(Path(competency_dir()).glob("*.rq")))


def competency_question(key: str) -> CompetencyQuestion:
    for question in competency_questions():
        if question.key == key:
            return question
    raise KeyError(key)
