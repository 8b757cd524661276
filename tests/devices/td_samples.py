"""Varied Thing Descriptions for comparing the two ways a TD becomes RDF.

Each TD mixes what real ones carry (TD 1.0 or 1.1, with or without `base`, relative and
absolute hrefs, URI templates, nested object schemas, language maps, security schemes of
every kind, links, schema definitions, inline prefix and `@language` contexts) with the
registry's TinyML extension, so that a walk which misreads one JSON-LD rule shows up as a
graph that differs from pyld's.
"""
from __future__ import annotations

import random

from tinyreg.registry.devices.contexts import TD_10, TD_11, TINYREG_TD

CORES = ["CortexM4F", "CortexM7", "CortexM33", "CortexM55", "CortexA53", "XtensaLX7"]
SENSORS = ["IMU9DoF", "IMU", "PDMMicrophone", "Camera", "Thermometer", "tinyml:Radar"]
LINKS = ["BLE", "WiFi", "Thread", "LoRa", "Ethernet"]
SCHEMES = [{"scheme": "nosec"}, {"scheme": "basic", "in": "header"},
           {"scheme": "bearer", "authorization": "https://auth.example.com/", "alg": "ES256"},
           {"scheme": "oauth2", "flow": "code", "token": "/token", "scopes": ["limited"]},
           {"scheme": "apikey", "in": "query", "name": "key"}]
OPS = ["readproperty", "writeproperty", "observeproperty", "invokeaction", "subscribeevent",
       "readallproperties", "http://example.org/custom-op"]


def _schema(rng: random.Random, depth: int = 0) -> dict:
    kind = rng.choice(["string", "number", "integer", "boolean", "object", "array", "null"]
                      if depth < 2 else ["string", "number", "boolean"])
    out: dict = {"type": kind}
    if kind == "number":
        out.update(rng.choice([{"minimum": -40.5, "maximum": 85.25}, {"multipleOf": 0.1},
                               {"minimum": 0, "maximum": 1e22}, {"unit": "om2:degreeCelsius"}]))
    elif kind == "integer":
        out.update({"minimum": rng.randint(-5, 0), "maximum": rng.randint(1, 2**40)})
    elif kind == "string":
        out.update(rng.choice([{"enum": ["on", "off"]}, {"pattern": "^[a-z]+$"},
                               {"contentMediaType": "image/jpeg", "contentEncoding": "base64"},
                               {"format": "date-time"}, {}]))
    elif kind == "object":
        out["properties"] = {f"f{i}": _schema(rng, depth + 1) for i in range(rng.randint(1, 3))}
        out["required"] = ["f0"]
    elif kind == "array":
        out.update({"items": _schema(rng, depth + 1), "minItems": 1, "maxItems": 3})
    if rng.random() < 0.3:
        out["description"] = "a \"quoted\" value\nover two lines \\ with a backslash"
    if rng.random() < 0.2:
        out["readOnly"] = rng.random() < 0.5
    if rng.random() < 0.15:
        out["const"] = rng.choice([3, 2.5, "x", True])
    return out


def _forms(rng: random.Random, name: str, absolute: bool) -> list[dict]:
    forms = []
    for _ in range(rng.randint(1, 2)):
        href = (f"https://node.example.com/{name}" if absolute
                else rng.choice([f"properties/{name}", f"/{name}", f"{name}{{?fields}}",
                                 f"coap://node.local/{name}", "#frag", "?q=1", f"a/../{name}",
                                 f"./{name}", f"{name}/./x", f"{name} space", "."]))
        form: dict = {"href": href}
        if rng.random() < 0.6:
            form["op"] = rng.choice(OPS) if rng.random() < 0.7 else rng.sample(OPS[:4], 2)
        if rng.random() < 0.3:
            form["contentType"] = "application/json"
        if rng.random() < 0.2:
            form["htv:methodName"] = "GET"
        if rng.random() < 0.1:
            form["response"] = {"contentType": "text/plain"}
        if rng.random() < 0.1:
            form["security"] = "sc0"
        forms.append(form)
    return forms


def random_td(i: int, rng: random.Random) -> dict:
    """One Thing Description; the same `i` and generator state give the same document."""
    version = rng.choice([TD_10, TD_11, TD_11])
    ctx: list = [version]
    if version == TD_11 and rng.random() < 0.2:
        ctx.insert(0, TD_10)
    tinyml = rng.random() < 0.8
    if tinyml:
        ctx.append(TINYREG_TD)
    if rng.random() < 0.25:
        ctx.append({"@language": rng.choice(["en", "de-CH"])})
    if rng.random() < 0.3:
        ctx.append({"om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
                    "htv": "http://www.w3.org/2011/http#"})
    has_base = rng.random() < 0.7
    absolute = not has_base and rng.random() < 0.5
    td: dict = {"@context": ctx if len(ctx) > 1 or rng.random() < 0.5 else ctx[0],
                "id": rng.choice([f"urn:dev:ops:sample-{i}", f"https://things.example.com/t/{i}"]),
                "@type": rng.choice(["Thing", ["Thing", "tinyml:LinuxDevice"], ["Thing", "saref:Sensor"]])
                if tinyml else "Thing",
                "title": rng.choice([f"Sample {i}", f"Ünïcode «{i}»", f"Line\n{i}"])}
    if has_base:
        td["base"] = rng.choice([f"http://node-{i}.example.net:8080/api/", f"http://node-{i}.local",
                                 f"https://node-{i}.example.net/a/./b/c", "coap://[fe80::1]/x?y=1",
                                 f"http://node-{i}.example.net/dir/file#frag"])
    if rng.random() < 0.3:
        td["titles"] = {"en": f"Sample {i}", "de": f"Beispiel {i}"}
        td["description"] = "described"
        td["descriptions"] = {"en": "described", "fr": "décrit"}
    if rng.random() < 0.3:
        td["version"] = {"instance": "1.2.3"}
        td["created"] = "2024-03-01T10:00:00Z"
        td["support"] = "mailto:ops@example.com"
    schemes = {f"sc{k}": dict(s) for k, s in enumerate(rng.sample(SCHEMES, rng.randint(1, 3)))}
    if len(schemes) > 1 and rng.random() < 0.3:
        schemes["combo_sc"] = {"scheme": "combo", "allOf": list(schemes)}
    td["securityDefinitions"] = schemes
    td["security"] = rng.choice([next(iter(schemes)), list(schemes)[:2]])
    for kind, count in (("properties", rng.randint(0, 3)), ("actions", rng.randint(0, 2)),
                        ("events", rng.randint(0, 2))):
        if not count:
            continue
        affordances = {}
        for n in range(count):
            name = f"{kind[0]}{n}"
            aff: dict = {"forms": _forms(rng, name, absolute)}
            if kind == "properties":
                aff.update(_schema(rng))
                if rng.random() < 0.3:
                    aff["observable"] = True
            elif kind == "actions":
                if rng.random() < 0.6:
                    aff["input"] = _schema(rng)
                if rng.random() < 0.4:
                    aff["output"] = _schema(rng)
                if rng.random() < 0.3:
                    aff["safe"], aff["idempotent"] = False, True
            else:
                aff["data"] = _schema(rng)
                if rng.random() < 0.3:
                    aff["subscription"] = _schema(rng)
            if rng.random() < 0.2:
                aff["uriVariables"] = {"fields": {"type": "string"}}
            if rng.random() < 0.2:
                aff["titles"] = {"en": name.upper()}
            if rng.random() < 0.1:
                aff["@type"] = rng.choice(["saref:Temperature", "iot:Measurement"])
            affordances[name] = aff
        td[kind] = affordances
    if rng.random() < 0.3:
        td["links"] = [{"href": "https://docs.example.com/manual.pdf", "rel": "service-doc",
                        "type": "application/pdf"}]
    if rng.random() < 0.2:
        td["schemaDefinitions"] = {"reading": _schema(rng)}
    if rng.random() < 0.15:
        td["forms"] = [{"href": "all/properties", "op": ["readallproperties", "writeallproperties"]}]
    if rng.random() < 0.1:
        td["customField"] = {"nested": [1, 2.5, True, None, "x"]}
    if tinyml:
        _extension(td, rng)
    if rng.random() < 0.15:
        _rare_jsonld(td, rng)
    return td


def _rare_jsonld(td: dict, rng: random.Random) -> None:
    """JSON-LD that TDs seldom use; some of it the direct walk hands to pyld."""
    choice = rng.randrange(9)
    if choice == 0:
        td["description"] = {"@value": "typed", "@language": "en"}
    elif choice == 1:
        td.setdefault("properties", {})["ctx"] = {
            "@context": {"@language": "fr"}, "title": "locale", "forms": [{"href": "x"}]}
    elif choice == 2:
        td["ex:list"] = {"@list": [1, 2, 3]}
        td["@context"] = _as_list(td["@context"]) + [{"ex": "http://example.org/ns#"}]
    elif choice == 3:
        td.setdefault("properties", {})["named"] = {"@id": "#named", "type": "string",
                                                     "forms": [{"href": "named"}]}
        td.setdefault("actions", {})["alias"] = {"@id": "#named", "forms": [{"href": "alias"}]}
    elif choice == 4:
        td["support"] = {"@id": "_:contact", "title": "desk"}
        td["ex:sameContact"] = {"@id": "_:contact"}
    elif choice == 5:
        td["@id"] = td["id"]  # colliding keywords: pyld refuses the TD
    elif choice == 6:
        td["links"] = [{"href": "", "rel": "self"}, {"href": "../up", "anchor": "/a/b/../c"}]
    elif choice == 7:
        td["empty"] = {}
        td["nothing"] = None
        td["nested"] = [[1, [2]], {"deeper": [{"@type": "Thing"}]}]
    else:
        td["@type"] = [*_as_list(td.get("@type")), "_:blankType", "http://example.org/T"]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _extension(td: dict, rng: random.Random) -> None:
    if rng.random() < 0.85:
        td["ramBytes"] = rng.choice([65536, 262144, 2**20, "524288"])
        td["flashBytes"] = rng.choice([2**20, 2**21, 983040])
    if rng.random() < 0.3:
        td["reservedRamBytes"] = 4096
        td["reservedFlashBytes"] = 0
    if rng.random() < 0.7:
        td["board"], td["vendor"] = "Some Board Rev2", rng.choice(["Arduino", "Espressif"])
    if rng.random() < 0.8:
        cpu: dict = {"mcu": rng.choice(["nRF52840", "STM32H747", "ESP32-S3", "RP2040", "BCM2711"]),
                     "clockHz": rng.choice([64_000_000, 480_000_000, 240_000_000])}
        if rng.random() < 0.7:
            cpu["core"] = rng.choice(CORES)
        if rng.random() < 0.3:
            cpu["fpu"], cpu["dsp"] = rng.random() < 0.5, True
        if rng.random() < 0.2:
            cpu["npu"], cpu["coreCount"] = "EthosU55", 2
        td["processor"] = cpu
    if rng.random() < 0.7:
        td["sensors"] = [{"@type": s, **({"part": f"P{k}"} if rng.random() < 0.6 else {})}
                         for k, s in enumerate(rng.sample(SENSORS, rng.randint(1, 3)))]
    if rng.random() < 0.5:
        td["runtimes"] = [{"runtime": rng.choice(["TFLM", "LiteRT"]), "version": "2.14",
                           "ramOverheadBytes": 12000, "codeBytes": 90000}]
    if rng.random() < 0.6:
        td["connectivity"] = rng.sample(LINKS, rng.randint(1, 2))
    if rng.random() < 0.4:
        td["deviceGroup"] = rng.choice(["https://fleet.example.com/group/line-3", "groups/line-4"])
    if rng.random() < 0.5:
        td["location"] = f"Hall {rng.randint(1, 9)}"
