"""Device files for fuzzing: valid fixtures changed by a few seeded mutations each.

Every format the registry reads (WoT TD JSON-LD, PlatformIO JSON, Zephyr YAML, the
prototype's Turtle and N-Triples, the board catalog's YAML) starts from real fixtures;
each generated file applies one to three mutations drawn by `random.Random(seed)`:
a value swapped for one of another type, a number of hundreds or thousands of digits, deep
nesting (up to 100,000 levels), text in other scripts, control characters and half
surrogate pairs, a list where a mapping was and the reverse, a field removed, JSON-LD
keywords where they do not belong, YAML aliases that expand a billion-fold or contain
themselves. The same seed always gives the same files.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import yaml

from tinyreg.registry.devices.catalog import CATALOG

DATA = Path(__file__).resolve().parents[1] / "data" / "devices"
SEED = 1207
FORMATS = ("td", "platformio", "zephyr", "turtle", "catalog")

# Text no reader may choke on; raw JSON/YAML snippets are written in place of a marker.
TEXTS = ["", " ", "x", "日本", "🚀", "\u0000", "\u202egnp.exe", "a\nb", "\\", '"', "'", "<>{}|^`",
         "urn:a:b", "URN:A:B", "urn-a:b", "esp:eye", "esp-eye", "urn:dev:日本", "urn:dev:🚀",
         "1e999999999", "NaN", "-5 KiB", "256 KiB", "0x10", "cortex-m4", "IMU9DoF", "Thing",
         "@id", "@type", "https://www.w3.org/2022/wot/td/v1.1", "a" * 100_000, "é" * 300]
NUMBERS = [0, -1, 1, 5, 255, 2**31, 2**63, -(2**63), 10**30, 1.5, -0.0, 1e300, 10**400,
           -(10**400)]
JSON_RAW = ["9" * 5000, "-" + "9" * 400, "1e400", "-1e400", "NaN", "Infinity", "-Infinity",
            '"\\ud800"', '"\\udfff x"', '"\\ud83d\\ude80"', "1" + "0" * 308, "[" * 100_000 + "]" * 100_000,
            '{"a":' * 100_000 + "1" + "}" * 100_000, "[" * 63 + "1" + "]" * 63, "[" * 65 + "]" * 65]
YAML_RAW = ["9" * 5000, ".inf", "-.inf", ".nan", "[" * 100_000 + "]" * 100_000, "&a [*a]",
            '"\\uD800"', "!!binary aGVsbG8=", "!!set {a, b}", "2024-02-30", "2024-01-01",
            "!!python/object:os.system 'true'", "{? [a]: b}", "yes", "~", "0o777", "1_000"]
JSONLD_KEYS = ["@context", "@id", "@type", "@value", "@list", "@set", "@graph", "@reverse",
               "@language", "@index", "@vocab", "@base", "@included", "@nest", "@json"]


def generate(fmt: str, count: int, seed: int = SEED) -> list[tuple[str, bytes]]:
    """`count` files of one format: (file name, content); the same for the same seed."""
    rng = random.Random(f"{seed}-{fmt}")
    make = {"td": _td, "platformio": _platformio, "zephyr": _zephyr, "turtle": _turtle,
            "catalog": _catalog}[fmt]
    return [make(rng, i) for i in range(count)]


def write(folder: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files:
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


# ---------------------------------------------------------------- structured formats

_FIXTURES: dict[str, str] = {}  # text read once per process


def _fixture_json(name: str):
    if name not in _FIXTURES:
        _FIXTURES[name] = (DATA / name).read_text(encoding="utf-8")
    return json.loads(_FIXTURES[name])  # a fresh copy to change


def _fixture_yaml(name: str):
    if name not in _FIXTURES:
        _FIXTURES[name] = json.dumps(yaml.load((DATA / name).read_text(encoding="utf-8"),
                                               Loader=yaml.CSafeLoader))
    return json.loads(_FIXTURES[name])


def _td(rng: random.Random, i: int) -> tuple[str, bytes]:
    doc = _fixture_json(rng.choice(["td11-tinyml.jsonld", "td10-plain.jsonld",
                                    "td11-no-memory.jsonld"]))
    doc["id"] = rng.choice([f"urn:dev:fuzz:{i}", doc["id"], rng.choice(TEXTS)]) \
        if rng.random() < 0.3 else f"urn:dev:fuzz:{i}"
    raw: dict[str, str] = {}
    doc = _mutate(rng, doc, raw, JSON_RAW, keywords=True)
    return f"td-{i:04d}.jsonld", _dump_json(rng, doc, raw)


def _platformio(rng: random.Random, i: int) -> tuple[str, bytes]:
    doc = _fixture_json("nano33ble.json")
    raw: dict[str, str] = {}
    doc = _mutate(rng, doc, raw, JSON_RAW)
    return f"pio-{i:04d}.json", _dump_json(rng, doc, raw)


def _zephyr(rng: random.Random, i: int) -> tuple[str, bytes]:
    doc = _fixture_yaml(rng.choice(["zephyr-nrf5340dk.yaml", "zephyr-esp32s3-no-memory.yaml"]))
    doc["identifier"] = f"{doc['identifier']}-{i}"
    raw: dict[str, str] = {}
    doc = _mutate(rng, doc, raw, YAML_RAW, aliases=True)
    return f"zephyr-{i:04d}.yaml", _dump_yaml(doc, raw)


def _catalog(rng: random.Random, i: int) -> tuple[str, bytes]:
    if "catalog" not in _FIXTURES:
        _FIXTURES["catalog"] = json.dumps(yaml.load(CATALOG.read_text(encoding="utf-8"),
                                                    Loader=yaml.CSafeLoader)["boards"])
    boards = json.loads(_FIXTURES["catalog"])  # a fresh copy to change
    picked = rng.sample(boards, rng.randint(1, 3))
    for board in picked:
        board["id"] = f"{board['id']}-fuzz-{i}"
    doc = {"boards": picked}
    raw: dict[str, str] = {}
    if rng.random() < 0.05:  # the issue's own: a catalog whose boards are numbers
        doc = {"boards": [1]}
    doc = _mutate(rng, doc, raw, YAML_RAW, aliases=True)
    return f"catalog-{i:04d}.yaml", _dump_yaml(doc, raw)


def _paths(doc, path=(), seen=None):
    """The paths to every node, each shared node (an alias to be) entered once."""
    seen = set() if seen is None else seen
    yield path
    if isinstance(doc, (dict, list)):
        if id(doc) in seen:
            return
        seen.add(id(doc))
    if isinstance(doc, dict):
        for key, value in list(doc.items()):
            yield from _paths(value, path + (key,), seen)
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, path + (index,), seen)


def _get(doc, path):
    for step in path:
        doc = doc[step]
    return doc


def _set(doc, path, value):
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _marker(raw: dict[str, str], text: str) -> str:
    marker = f"@@raw{len(raw)}@@"
    raw[marker] = text
    return marker


def _bomb(rng: random.Random):
    """Nine-way sharing, eight levels deep: 43 million leaves, written in a few hundred bytes."""
    node = ["x"] * 9
    for _ in range(rng.choice([3, 8])):
        node = [node] * 9
    return node


def _random_value(rng: random.Random, raw: dict[str, str], raws: list[str], keywords: bool,
                  aliases: bool):
    kind = rng.random()
    if kind < 0.3:
        return rng.choice(TEXTS)
    if kind < 0.5:
        return rng.choice(NUMBERS)
    if kind < 0.6:
        return rng.choice([True, False, None])
    if kind < 0.75:
        return _marker(raw, rng.choice(raws))
    if aliases and kind < 0.82:
        return _bomb(rng)
    if keywords and kind < 0.9:
        return {rng.choice(JSONLD_KEYS): rng.choice(TEXTS[:12] + NUMBERS[:4] + [[], {}])}
    return rng.choice([[], {}, [1], ["x"], [[[]]], {"a": {"b": []}}, [None], {"": ""}])


def _mutate(rng: random.Random, doc, raw: dict[str, str], raws: list[str],
            keywords: bool = False, aliases: bool = False):
    for _ in range(rng.randint(1, 3)):
        paths = list(_paths(doc))
        path = rng.choice(paths)
        target = _get(doc, path)
        op = rng.random()
        if op < 0.4:  # a value of another type
            doc = _set(doc, path, _random_value(rng, raw, raws, keywords, aliases))
        elif op < 0.55 and path:  # a field or item removed
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
        elif op < 0.7:  # the wrong container
            if isinstance(target, dict):
                doc = _set(doc, path, list(target.values()))
            elif isinstance(target, list):
                doc = _set(doc, path, {str(k): v for k, v in enumerate(target)})
            else:
                doc = _set(doc, path, rng.choice([[target], {"value": target}]))
        elif op < 0.8 and isinstance(target, dict):  # a key renamed or added
            key = rng.choice(JSONLD_KEYS if keywords else TEXTS[:20])
            target[key] = _random_value(rng, raw, raws, keywords, aliases)
        elif op < 0.9:  # nested deeper
            depth = rng.choice([10, 70, 1000])
            value = rng.choice(TEXTS[:6] + NUMBERS[:4])
            for _ in range(depth):
                value = [value] if rng.random() < 0.5 else {"n": value}
            doc = _set(doc, path, _marker(raw, _nested_text(value)))
        elif aliases and isinstance(target, (dict, list)):  # the same node twice (an alias)
            doc = _set(doc, path, [target, target] if rng.random() < 0.5 else {"a": target, "b": target})
        else:
            doc = _set(doc, path, _marker(raw, rng.choice(raws)))
    return doc


def _nested_text(value) -> str:
    """Deep structures as text, built without recursion (json and yaml dumpers recurse)."""
    opened, inner = [], value
    while isinstance(inner, (list, dict)) and (
            (isinstance(inner, list) and len(inner) == 1)
            or (isinstance(inner, dict) and list(inner) == ["n"])):
        opened.append(inner)
        inner = inner[0] if isinstance(inner, list) else inner["n"]
    text = json.dumps(inner)  # and JSON is YAML's flow style
    for node in reversed(opened):
        text = f"[{text}]" if isinstance(node, list) else f'{{"n": {text}}}'
    return text


def _dump_json(rng: random.Random, doc, raw: dict[str, str]) -> bytes:
    text = json.dumps(doc, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 2]),
                      default=str)
    for marker, snippet in raw.items():
        text = text.replace(json.dumps(marker), snippet)
    return text.encode("utf-8", "surrogatepass")


def _dump_yaml(doc, raw: dict[str, str]) -> bytes:
    text = yaml.dump(doc, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False,
                     width=1_000_000)
    for marker, snippet in raw.items():
        text = re.sub(rf"'?{re.escape(marker)}'?", lambda _: snippet, text)
    return text.encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------- Turtle and N-Triples

_LITERAL = re.compile(r'"[^"\n]*"(\^\^\S+|@[\w-]+)?|\b\d+(\.\d+)?\b')
_IRI = re.compile(r"<[^>\s]*>|\b[a-z_0-9]+:[A-Za-z_0-9]+\b")
LITERALS = ['"x"', '""', f'"{"9" * 400}"', "9" * 400, "9" * 5000, '"1e999999999"', "1e400",
            '"1E+999999"^^<http://www.w3.org/2001/XMLSchema#decimal>', '"x"^^<bad iri>',
            '"x"@123', '"\\ud800"', '"\\U0001F680"', '"日本"', '"\\u0000"', '"5"^^xsd:integer',
            '"abc"^^<http://www.w3.org/2001/XMLSchema#integer>', "true", "-0", '"a\\"b"',
            '"' + "a" * 100_000 + '"', '"""multi\nline"""']
IRIS = ["<urn:dev:日本>", "<urn:dev:🚀>", "<None>", "<a b>", "<http://x//y>", "<urn:a:b>",
        "<URN:A:B>", "<urn-a:b>", "<esp:eye>", "<>", "<#frag>", "<http://example.org/tinyml/nano33>",
        "<http://w3id.org/s3n/SmartSensor>", "_:b0", "s3n:SmartSensor", "sosa_extend:Camera",
        "<http://tinyml-schema.org/s3n_extend/RAM>", "xsd:integer", "ex:none"]


def _prototype_blocks() -> tuple[str, list[str], list[str]]:
    """The prototype's Turtle cut into its prefixes, its device blocks and its model blocks."""
    text = (DATA / "prototype.ttl").read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    header = "\n\n".join(b for b in blocks if "@prefix" in b)
    devices = [b for b in blocks if "s3n:SmartSensor" in b]
    models = [b for b in blocks if "NeuralNetwork" in b]
    return header, devices, models


def _as_ntriples(text: str) -> str:
    """Turtle as N-Triples with blank nodes labelled by the graph's canonical form: the same
    text in every process (labels given in the order rdflib yields triples followed the
    process's hash seed, so the corpus, and what the tests sampled of it, changed per run)."""
    from rdflib.compare import to_canonical_graph
    from rdflib import Graph
    graph = to_canonical_graph(Graph().parse(data=text, format="turtle"))
    return "".join(sorted(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in graph))


def _turtle(rng: random.Random, i: int) -> tuple[str, bytes]:
    """The whole prototype file, or (mostly: each file costs the API a shape check a kind)
    its prefixes with one device and perhaps one model; N-Triples of the first device and
    model."""
    if "nt" not in _FIXTURES:
        header, devices, models = _prototype_blocks()
        _FIXTURES["ttl"] = (DATA / "prototype.ttl").read_text(encoding="utf-8")
        _FIXTURES["ttl-parts"] = json.dumps([header, devices, models])
        _FIXTURES["nt"] = _as_ntriples("\n\n".join([header, devices[0], models[0]]))
    suffix = rng.choice(["ttl", "nt"])
    if suffix == "nt":
        text = _FIXTURES["nt"]
    elif rng.random() < 0.1:
        text = _FIXTURES["ttl"]
    else:
        header, devices, models = json.loads(_FIXTURES["ttl-parts"])
        model = [rng.choice(models)] if rng.random() < 0.3 else []
        text = "\n\n".join([header, rng.choice(devices), *model])
    for _ in range(rng.randint(1, 3)):
        text = _mutate_text(rng, text)
    return f"proto-{i:04d}.{suffix}", text.encode("utf-8", "surrogatepass")


def _mutate_text(rng: random.Random, text: str) -> str:
    op = rng.random()
    lines = text.split("\n")
    if op < 0.3:
        spans = [m.span() for m in _LITERAL.finditer(text)]
        if spans:
            a, b = rng.choice(spans)
            return text[:a] + rng.choice(LITERALS) + text[b:]
    if op < 0.55:
        spans = [m.span() for m in _IRI.finditer(text)]
        if spans:
            a, b = rng.choice(spans)
            return text[:a] + rng.choice(IRIS + LITERALS[:4]) + text[b:]
    if op < 0.65:  # a line removed, repeated or moved
        k = rng.randrange(len(lines))
        choice = rng.random()
        if choice < 0.4:
            del lines[k]
        elif choice < 0.7:
            lines.insert(k, lines[k])
        else:
            lines.insert(rng.randrange(len(lines)), lines.pop(k))
        return "\n".join(lines)
    if op < 0.75:  # deep nesting: blank node property lists or collections
        depth = rng.choice([50, 1000, 100_000])
        if rng.random() < 0.5:
            nested = "[ <urn:p> " * depth + "1" + " ]" * depth
        else:
            nested = "( " * depth + "1" + " )" * depth
        return text + f"\n<urn:dev:deep> <urn:p> {nested} .\n"
    if op < 0.85:  # another device, with an odd name
        subject = rng.choice(IRIS[:10])
        name = rng.choice(LITERALS[:8] + ['"dup"'])
        return text + (f"\n{subject} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                       f"<http://w3id.org/s3n/SmartSensor> .\n{subject} <http://schema.org/name> {name} .\n")
    if op < 0.92:
        return text[:rng.randrange(len(text))]  # cut short
    junk = rng.choice(["\u0000", "\ufeff", "@prefix : <x> .", "@base <None> .", "PREFIX x: <y:>",
                       "\\", "}", "{", "<<", ">>", "\ud800"])
    k = rng.randrange(len(text))
    return text[:k] + junk + text[k:]


# The reproduction: eight levels of nine aliases, 43 million strings in 400 bytes.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")) + "supported: *i\n"
