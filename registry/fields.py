"""Values of a parsed document, read with their types checked.

JSON and YAML give whatever the author wrote: `boards: [1]`, `supported: 5`, a name that
is a list. Readers take values through `Fields`, which checks each one's type before it
is used and names the field in the `Invalid` it raises ("sensors[0].type is a number (5),
not text"), so a wrong type is a clear refusal, never a crash deeper in a reader.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from .errors import Invalid
from .parsing import field_path


def describe(value: Any) -> str:
    """What a value is, for a message: "a number (5)", "a list", "text ('abc')"."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        shown = repr(value)
        return f"a number ({shown})" if len(shown) <= 24 else f"a number of {len(shown)} characters"
    if isinstance(value, str):
        return f"text ({value!r})" if len(value) <= 40 else f"text of {len(value)} characters"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    # what else YAML makes: !!binary, !!set, timestamps
    return _OTHER.get(type(value).__name__, f"a {type(value).__name__}")


_OTHER = {"bytes": "binary data", "datetime": "a date and time", "date": "a date", "set": "a set"}


def as_text(value: Any, name: str | Callable[[], str], scalar: bool = False) -> str:
    """`value` as text; with `scalar`, a number is taken as the word it was written as
    (YAML reads `mcu: 2040` or `name: 1.0` as numbers). `name` names the field, or makes
    its name when an error needs it."""
    if type(value) is str:
        return value
    if scalar and isinstance(value, (int, float)) and not isinstance(value, bool) and (
            not isinstance(value, float) or math.isfinite(value)):
        return str(value)
    raise Invalid(f"{name if isinstance(name, str) else name()} is {describe(value)}, not text")


class Fields:
    """One mapping of a parsed document; `where` is its path, for messages (made only for
    an error: a fleet's files are read through here)."""

    __slots__ = ("data", "where")

    def __init__(self, data: Any, where: str = ""):
        if not isinstance(data, dict):
            raise Invalid(f"{where or 'the document'} is {describe(data)}, not a mapping")
        self.data = data
        self.where = where

    def name(self, key: str) -> str:
        return field_path(self.where, key)

    def _wrong(self, key: str, value: Any, expected: str) -> Invalid:
        return Invalid(f"{self.name(key)} is {describe(value)}, not {expected}")

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str) -> Any:
        """The value as it is, for a reader that checks it itself."""
        return self.data.get(key)

    def text(self, key: str, scalar: bool = False) -> str | None:
        """Text, or None when the field is absent or empty (see `as_text` for `scalar`)."""
        value = self.data.get(key)
        if value is None:
            return None
        text = as_text(value, lambda: self.name(key), scalar).strip()
        return text or None

    def required(self, key: str, scalar: bool = False) -> str:
        text = self.text(key, scalar)
        if text is None:
            raise Invalid(f"has no {self.name(key)}" if self.where else f"has no {key}")
        return text

    def number(self, key: str) -> int | float | str | None:
        """A figure as written: a number, or text such as "256" that a reader converts."""
        value = self.data.get(key)
        if value is None or isinstance(value, str) or (
                isinstance(value, (int, float)) and not isinstance(value, bool)):
            return value
        raise self._wrong(key, value, "a number")

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise self._wrong(key, value, "a whole number")

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise self._wrong(key, value, "true or false")

    def mapping(self, key: str) -> "Fields | None":
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._wrong(key, value, "a mapping")
        return Fields(value, self.name(key))

    def items(self, key: str, single: bool = False) -> list:
        """A list ([] when absent); with `single`, one value stands for a list of it."""
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        if single and not isinstance(value, dict):
            return [value]
        raise self._wrong(key, value, "a list")

    def texts(self, key: str, scalar: bool = False, single: bool = False) -> list[str]:
        values = self.items(key, single)
        return [as_text(v, lambda i=i: f"{self.name(key)}[{i}]", scalar)
                for i, v in enumerate(values)]

    def mappings(self, key: str) -> list["Fields"]:
        name = self.name(key)
        return [Fields(v, f"{name}[{i}]") for i, v in enumerate(self.items(key))]
