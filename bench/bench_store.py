"""The embedded store against rdflib's in-memory engine on the registry's core question.

A synthetic fleet of devices (about 25 triples each, 20,000 devices ≈ 500,000 triples) and
one model; the query asks which devices can run the model (RAM, flash, sensor with
subsumption). Anchor: the same query over the same triples in rdflib.
"""
from __future__ import annotations

import random
import tempfile
import time

import rdflib

from common import best_of, report
from tinyreg.registry.store import EmbeddedStore
from tinyreg.registry.resources import ontology_graph
from tinyreg.registry.vocab import ONTOLOGY_IRI

DEVICES = 20_000
TR = "https://w3id.org/tinyreg/ontology#"
SENSORS = ["PDMMicrophone", "IMU", "Camera", "Thermometer", "AnalogMicrophone"]

QUERY = f"""
PREFIX tr: <{TR}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX ssn: <http://www.w3.org/ns/ssn/>
SELECT DISTINCT ?device WHERE {{
  ?model tr:arenaBytes ?arena ; tr:modelFlashBytes ?mflash ; tr:requiresSensor ?need .
  ?cls rdfs:subClassOf* ?need .
  ?s a ?cls .
  ?device tr:hasSensor|tr:hasSensor/ssn:hasSubSystem ?s .
  ?device a tr:MicrocontrollerBoard ; tr:usableRamBytes ?ram ; tr:usableFlashBytes ?flash .
  FILTER(?ram >= ?arena && ?flash >= ?mflash)
}}"""


def fleet_ntriples(n: int, seed: int = 7) -> dict[str, str]:
    rng = random.Random(seed)
    graphs = {}
    for i in range(n):
        d = f"https://w3id.org/tinyreg/id/device/bench-{i}"
        lines = [f"<{d}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{TR}MicrocontrollerBoard> .",
                 f'<{d}> <{TR}usableRamBytes> "{rng.choice([64, 128, 256, 512, 1024]) * 1024}"'
                 f"^^<http://www.w3.org/2001/XMLSchema#integer> .",
                 f'<{d}> <{TR}usableFlashBytes> "{rng.choice([256, 512, 1024, 2048]) * 1024}"'
                 f"^^<http://www.w3.org/2001/XMLSchema#integer> ."]
        for j, sensor in enumerate(rng.sample(SENSORS, 2)):
            s = f"_:s{i}x{j}"
            lines += [f"<{d}> <{TR}hasSensor> {s} .",
                      f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{TR}{sensor}> ."]
        for k in range(17):  # the descriptive rest of a device: names, sources, runtimes
            lines.append(f'<{d}> <{TR}note{k}> "fact {k} of device {i}" .')
        graphs[d] = "\n".join(lines) + "\n"
    return graphs


MODEL = (f'<https://w3id.org/tinyreg/id/model/m/v1> <{TR}arenaBytes> "200000"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
         f'<https://w3id.org/tinyreg/id/model/m/v1> <{TR}modelFlashBytes> "300000"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
         f'<https://w3id.org/tinyreg/id/model/m/v1> <{TR}requiresSensor> <{TR}Microphone> .\n')


def main() -> None:
    graphs = fleet_ntriples(DEVICES)
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(tmp)
        start = time.perf_counter()
        store.put_graph(ONTOLOGY_IRI, ontology_graph())
        store.put_graph("https://w3id.org/tinyreg/id/model/m/v1", MODEL)
        store.bulk_load(graphs.items())
        load = time.perf_counter() - start
        triples = store.triple_count()
        ours_rows = len(store.select(QUERY))
        ours = best_of(lambda: store.select(QUERY), 5)

        g = rdflib.Graph()
        g += ontology_graph()
        start = time.perf_counter()
        g.parse(data="".join(graphs.values()) + MODEL, format="nt")
        anchor_load = time.perf_counter() - start
        anchor_rows = len(list(g.query(QUERY)))
        anchor = best_of(lambda: list(g.query(QUERY)), 1)
        store.close()
    assert ours_rows == anchor_rows, (ours_rows, anchor_rows)
    print(f"fleet: {DEVICES} devices, {triples} triples; {ours_rows} devices fit")
    report("load into store", load, anchor_load, "rdflib parse into memory")
    report("'which devices can run model X'", ours, anchor, "rdflib SPARQL engine")


if __name__ == "__main__":
    main()
