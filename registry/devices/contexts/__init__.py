"""The JSON-LD contexts the registry knows, served from files shipped with it.

There is no network at run time, so `load_document` is the only document loader the TD
importer gives pyld: it serves the W3C WoT TD 1.0 and 1.1 contexts (written from the
specifications' context terms) and the registry's own TinyML extension, and refuses every
other URL with an error naming it.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pyld.jsonld import JsonLdError

TD_10 = "https://www.w3.org/2019/wot/td/v1"
TD_11 = "https://www.w3.org/2022/wot/td/v1.1"
TINYREG_TD = "https://w3id.org/tinyreg/td/v1"

_FILES = {TD_10: "td-1.0.jsonld", TD_11: "td-1.1.jsonld", TINYREG_TD: "tinyreg-td-v1.jsonld"}
TD_CONTEXTS = (TD_10, TD_11)


def canonical(url: str) -> str | None:
    """The known context a URL names (http or https, with or without a trailing slash)."""
    if not isinstance(url, str):
        return None
    trimmed = url.strip().rstrip("/")
    if trimmed.startswith("http://"):
        trimmed = "https://" + trimmed[len("http://"):]
    return trimmed if trimmed in _FILES else None


@lru_cache(maxsize=None)
def context_document(url: str) -> dict:
    return json.loads((Path(__file__).parent / _FILES[url]).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _served() -> dict[str, dict]:
    """The documents the loader serves, with every term-scoped context under its own URL.

    pyld caches a context given by URL but canonicalises an inline one each time it is
    applied; the TD contexts apply theirs on every affordance, form and schema. Serving the
    same objects by URL ("<context>#<term>/<term>") expands to the same triples, three times
    faster.
    """
    served: dict[str, dict] = {}
    for url in _FILES:
        served[url] = {"@context": _hoist(context_document(url)["@context"], url, "", served)}
    return served


def _hoist(ctx: dict, base: str, path: str, served: dict[str, dict]) -> dict:
    out = {}
    for term, definition in ctx.items():
        if isinstance(definition, dict) and isinstance(definition.get("@context"), dict):
            url = f"{base}#{path}{term}"
            served[url] = {"@context": _hoist(definition["@context"], base, f"{path}{term}/", served)}
            definition = {**definition, "@context": url}
        out[term] = definition
    return out


def load_document(url: str, options=None) -> dict:
    """pyld document loader over the shipped files only."""
    known = canonical(url) or (url if url in _served() else None)
    if known is None:
        raise JsonLdError(f"context {url} is not shipped with the registry and the registry "
                          "does not fetch documents from the network",
                          "jsonld.LoadDocumentError", {"url": url},
                          code="loading remote context failed")
    # "static" lets pyld cache the processed context across documents by URL.
    return {"contextUrl": None, "documentUrl": known, "document": _served()[known],
            "tag": "static"}
