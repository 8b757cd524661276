"""The compatibility shapes written out by hand as one SPARQL query: which pairs fit.

An independent formulation of shapes/compatibility.ttl (single-valued figures assumed), for
the tests to hold the fleet engine to on thousands of pairs, and the benchmark's anchor:
what one query over the store costs for the same answer.
"""
from __future__ import annotations

# A runtime figure ?f applies to device ?d: its runtime is installed there, or its NPU is on
# the device or a processor in the figure's MAC configuration and memory mode.
APPLIES = """{ ?f tr:onRuntime ?frt . ?d tr:hasRuntime/tr:runtime ?frt }
      UNION { ?f tr:onNPU ?npu . { ?d tr:hasNPU ?npu . BIND (?d AS ?host) }
              UNION { ?d tr:hasProcessor ?host . ?host tr:hasNPU ?npu }
              FILTER NOT EXISTS { ?f tr:npuMacs ?macs . FILTER NOT EXISTS { ?host tr:npuMacs ?macs } }
              FILTER NOT EXISTS { ?f tr:npuMemoryMode ?mode . FILTER NOT EXISTS { ?host tr:npuMemoryMode ?mode } } }"""

# A way ?d runs ?m (a processor's core and clock with a calibrated runtime) and its estimate.
OPTIONS = """%(models)s ?m tr:maxLatencyMs ?budget ; tr:convMacs ?conv ; tr:depthwiseMacs ?dw ;
        tr:fullyConnectedMacs ?fc ; tr:elementOperations ?el .
      ?d tr:hasProcessor ?p . ?p tr:core ?core ; tr:clockHz ?clock . ?d tr:hasRuntime/tr:runtime ?rt .
      ?cal tr:forCore ?core ; tr:forRuntime ?rt ; tr:macsPerCycle ?rate ; tr:bandFactor ?k ;
        tr:depthwiseWeight ?dwW ; tr:fullyConnectedWeight ?fcW .
      BIND ((?conv + ?dwW * ?dw + ?fcW * ?fc + ?el) / ?rate / ?clock * 1000 AS ?est)"""
# Per device and runtime, what the runtime costs (?p: RAM or code): the install's own
# figure, else the registry's cost for it on a core of the device (the least), else for any
# core, else 0; and per device the least over its runtimes.
COSTS = """{ SELECT ?d (MIN(?cost) AS ?%(name)s) WHERE {
      ?d tr:hasRuntime ?install . ?install tr:runtime ?rt .
      OPTIONAL { ?install tr:%(prop)s ?own }
      OPTIONAL { SELECT ?d ?rt (MIN(?c) AS ?onCore) WHERE {
          ?d tr:hasProcessor/tr:core ?core . ?k tr:costOfRuntime ?rt ; tr:costOnCore ?core ; tr:%(prop)s ?c }
        GROUP BY ?d ?rt }
      OPTIONAL { ?g tr:costOfRuntime ?rt ; tr:%(prop)s ?anyCore . FILTER NOT EXISTS { ?g tr:costOnCore ?x } }
      BIND (COALESCE(?own, ?onCore, ?anyCore, 0) AS ?cost)
    } GROUP BY ?d } """
# Per device, the largest region that takes an arena or the weights (?p).
REGION = """{ SELECT ?d (MAX(?size) AS ?%(name)s) WHERE {
      ?d tr:memoryRegion ?region . ?region tr:%(prop)s true ; tr:regionBytes ?size } GROUP BY ?d }"""

FITTING_PAIRS = """
PREFIX tr: <https://w3id.org/tinyreg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX ssn: <http://www.w3.org/ns/ssn/>
SELECT DISTINCT ?m ?d ?warned WHERE {
  ?m a tr:ModelVersion .
  ?deviceKind rdfs:subClassOf* tr:Device . ?d a ?deviceKind .
  BIND (EXISTS { ?d a/rdfs:subClassOf* tr:MicrocontrollerBoard } AS ?board)
  # RAM: both figures known (measured, else estimated, else declared; the usable RAM: a
  # total alone leaves the answer unknown), arena + the leanest runtime's cost <= RAM -
  # reserve, or the arena in the largest region that takes one while the cost fits
  OPTIONAL { ?m tr:arenaBytes ?measuredArena } OPTIONAL { ?m tr:estimatedArenaBytes ?estimatedArena }
  OPTIONAL { ?m tr:declaredArenaBytes ?declaredArena }
  OPTIONAL { SELECT ?m ?d (MIN(?figure) AS ?figureArena) WHERE {
      %(models)s ?m tr:runtimeFigure ?f . ?f tr:figureRamBytes ?figure . %(applies)s } GROUP BY ?m ?d }
  BIND (COALESCE(?figureArena, ?measuredArena, ?estimatedArena, ?declaredArena) AS ?arena)
  # (a runtime figure refines a need the model states; it does not stand for a missing one)
  FILTER (BOUND(?measuredArena) || BOUND(?estimatedArena) || BOUND(?declaredArena)) ?d tr:usableRamBytes ?ram .
  OPTIONAL { ?d tr:reservedRamBytes ?ramReserve }
  OPTIONAL %(ram_costs)s
  OPTIONAL %(arena_region)s
  BIND (COALESCE(?ramOverhead, 0) AS ?ramCost) BIND (?ram - COALESCE(?ramReserve, 0) AS ?freeRam)
  BIND (?arena + ?ramCost > ?freeRam AS ?arenaAway)
  FILTER (!?arenaAway || (?arenaRegion >= ?arena && ?ramCost <= ?freeRam))
  # flash, on boards only: both figures known, model + runtime code <= flash - reserve, or
  # the model in the largest region that takes weights while the code fits
  OPTIONAL { ?m tr:modelFlashBytes ?measuredFlash } OPTIONAL { ?m tr:declaredFlashBytes ?declaredFlash }
  OPTIONAL { SELECT ?m ?d (MIN(?figure) AS ?figureFlash) WHERE {
      %(models)s ?m tr:runtimeFigure ?f . ?f tr:figureFlashBytes ?figure . %(applies)s } GROUP BY ?m ?d }
  BIND (COALESCE(?figureFlash, ?measuredFlash, ?declaredFlash) AS ?modelFlash) OPTIONAL { ?d tr:usableFlashBytes ?flash }
  OPTIONAL { ?d tr:reservedFlashBytes ?flashReserve }
  OPTIONAL %(code_costs)s
  OPTIONAL %(weights_region)s
  BIND (COALESCE(?codeOverhead, 0) AS ?codeCost) BIND (?flash - COALESCE(?flashReserve, 0) AS ?freeFlash)
  BIND (?board && ?modelFlash + ?codeCost > ?freeFlash AS ?weightsAway)
  FILTER (!?board || ((BOUND(?measuredFlash) || BOUND(?declaredFlash)) && BOUND(?flash) &&
          (!?weightsAway || (?weightsRegion >= ?modelFlash && ?codeCost <= ?freeFlash))))
  # every required sensor class is met by a sensor or a part of one. Counted per pair: as a
  # nested FILTER NOT EXISTS, Oxigraph re-walks the class paths for every pair, 60x slower.
  OPTIONAL { SELECT ?m (COUNT(DISTINCT ?need) AS ?needs) WHERE { %(models)s ?m tr:requiresSensor ?need } GROUP BY ?m }
  OPTIONAL { SELECT ?m ?d (COUNT(DISTINCT ?met) AS ?metCount) WHERE {
      %(models)s ?m tr:requiresSensor ?met .
      ?cls (rdfs:subClassOf|owl:equivalentClass|^owl:equivalentClass)* ?met .
      ?part a ?cls . ?sensor ssn:hasSubSystem* ?part . ?d tr:hasSensor ?sensor } GROUP BY ?m ?d }
  FILTER (COALESCE(?metCount, 0) = COALESCE(?needs, 0))
  # some installed runtime runs it: the runtimes that run each model, joined to the
  # device's (as a FILTER EXISTS per pair, 35x slower on 5,000 devices)
  { SELECT DISTINCT ?m ?ok WHERE {
      %(models)s ?m a tr:ModelVersion . ?ok a tr:Runtime .
      FILTER NOT EXISTS { ?m tr:runtimeCheck ?check . ?check tr:onRuntime ?ok ; tr:runs false }
      FILTER (EXISTS { ?ok tr:supportsAllOperators true } || EXISTS { ?m tr:runtimeFigure/tr:onRuntime ?ok } || NOT EXISTS {
        ?m tr:usesOperator/tr:operator ?op . FILTER NOT EXISTS { ?ok tr:supportsOperator ?op } }) } }
  ?d tr:hasRuntime/tr:runtime ?ok .
  # the NPU it was compiled for is there
  FILTER NOT EXISTS {
    ?m tr:compiledForNPU ?npu .
    FILTER NOT EXISTS { { ?d tr:hasNPU ?npu } UNION { ?d tr:hasProcessor/tr:hasNPU ?npu } }
  }
  # latency: the fastest way's band has its low end within the budget; warned when its
  # high end is over it
  OPTIONAL { SELECT ?m ?d (MAX(?slow) AS ?tooSlow) (MAX(?maybe) AS ?mayBeSlow) WHERE {
      { SELECT ?m ?d (MIN(?est) AS ?fastest) WHERE { %(options)s } GROUP BY ?m ?d }
      %(options)s FILTER (?est = ?fastest)
      BIND (IF(?est / ?k > ?budget, 1, 0) AS ?slow)
      BIND (IF(?est / ?k <= ?budget && ?est * ?k > ?budget, 1, 0) AS ?maybe) } GROUP BY ?m ?d }
  FILTER (COALESCE(?tooSlow, 0) = 0)
  # float32 on a core without an FPU, or one whose FPU is not stated; a RAM figure not
  # measured; an arena or weights in another region; a band straddling the latency budget:
  # fits, with a warning or a note
  BIND (EXISTS { ?m tr:numberFormat tr:Float32 .
                 FILTER NOT EXISTS { { ?d tr:hasFPU true } UNION { ?d tr:hasProcessor/tr:hasFPU true } } }
        || !BOUND(?measuredArena) || ?arenaAway || ?weightsAway || COALESCE(?mayBeSlow, 0) = 1 AS ?warned)
}"""


def fitting_pairs(store, model: str | None = None) -> dict[tuple[str, str], bool]:
    """(model version, device) -> warned, for every fitting pair (of one model if given).

    A subquery does not see the bindings around it, so the model is bound inside the
    subqueries too: without it they would work through every model.
    """
    from tinyreg.registry.store import IRI
    from tinyreg.registry.store.terms import to_oxigraph
    inner = f"VALUES ?m {{ {to_oxigraph(IRI(model))} }}" if model else ""
    parts = {"models": inner, "applies": APPLIES, "options": OPTIONS % {"models": inner},
             "ram_costs": COSTS % {"name": "ramOverhead", "prop": "runtimeRamBytes"},
             "code_costs": COSTS % {"name": "codeOverhead", "prop": "runtimeCodeBytes"},
             "arena_region": REGION % {"name": "arenaRegion", "prop": "takesArena"},
             "weights_region": REGION % {"name": "weightsRegion", "prop": "takesWeights"}}
    rows = store.select(FITTING_PAIRS % parts, {"m": IRI(model)} if model else None)
    return {(r["m"], r["d"]): bool(r["warned"]) for r in rows}
