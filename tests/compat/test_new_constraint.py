"""A constraint added to shapes/ as a new instance of a pattern binds both checkers, no code."""
from __future__ import annotations

import rdflib

from tinyreg.registry import compat
from tinyreg.registry.compat.shapes import read_constraints

from .test_agreement import _key
from .test_shapes import _PREAMBLE, _shapes_with

TR = "https://w3id.org/tinyreg/ontology#"
PI = "https://w3id.org/tinyreg/id/device/pi-small-card"
MODEL = "https://w3id.org/tinyreg/id/model/detector/v1"

# Linux devices load models from storage: a new ResourceFit instance on tr:storageBytes, and
# a FeatureRequirement that warns when a model needs DSP instructions the core lacks.
STORAGE = _PREAMBLE + """
trs:StorageFit a sh:NodeShape ; sh:targetClass tr:DeploymentCandidate ;
    sh:sparql trs:ResourceFit ;
    trs:needProperty tr:modelFlashBytes ; trs:capacityProperty tr:storageBytes ;
    trs:deviceClass tr:LinuxDevice ; trs:resourceLabel "storage" ; trs:needLabel "model" ;
    sh:group trs:RunsGroup ; trs:outcome trs:Short ;
    sh:message "needs {?total} B of {?label}; the card has {?free} B free: {?short} B short" .
"""


def _graphs() -> dict[str, rdflib.Graph]:
    device = rdflib.Graph().parse(format="turtle", data=f"""
        @prefix tr: <{TR}> .
        <{PI}> a tr:LinuxDevice ; tr:usableRamBytes 536870912 ; tr:storageBytes 8000000 ;
            tr:hasRuntime [ a tr:RuntimeInstall ; tr:runtime tr:LiteRT ] .""")
    model = rdflib.Graph().parse(format="turtle", data=f"""
        @prefix tr: <{TR}> .
        <{MODEL}> a tr:ModelVersion ; tr:arenaBytes 4000000 ; tr:modelFlashBytes 9000000 .""")
    return {PI: device, MODEL: model}


def test_a_new_resource_fit_instance_is_enforced_by_both(registry, tmp_path):
    registry.store.put_graphs(_graphs())
    # The shipped shapes: a Linux device's storage is not checked, so the model fits.
    assert compat.check(registry, MODEL, PI).fits
    assert compat.check_shacl(registry, MODEL, PI).fits

    shapes = _shapes_with(tmp_path, STORAGE)
    constraints = read_constraints(shapes)
    engine = compat.fleet_engine(registry, constraints)
    ours = engine.verdict(engine.model(MODEL), engine.device(PI))
    theirs = compat.check_shacl(registry, MODEL, PI, shapes=shapes)
    assert not ours.fits and not theirs.fits
    assert _key(ours.results) == _key(theirs.results)
    [result] = [r for r in ours.results if r.group != compat.HEADROOM]
    assert result.constraint == "https://w3id.org/tinyreg/shapes#StorageFit"
    assert result.message == "needs 9,000,000 B of storage; the card has 8,000,000 B free: 1,000,000 B short"
    assert engine.matrix().counts().tolist() == [0]


def test_a_new_feature_requirement_with_its_own_severity(registry, tmp_path):
    graphs = _graphs()
    graphs[MODEL].add((rdflib.URIRef(MODEL), rdflib.URIRef(TR + "numberFormat"), rdflib.URIRef(TR + "Int16x8")))
    graphs[PI].parse(format="turtle", data=f"""
        @prefix tr: <{TR}> . <{PI}> tr:hasProcessor [ a tr:ApplicationProcessor ; tr:hasDSP false ] .""")
    registry.store.put_graphs(graphs)
    shapes = _shapes_with(tmp_path, _PREAMBLE + """
        trs:Int16WantsDSP a sh:NodeShape ; sh:targetClass tr:DeploymentCandidate ;
            sh:sparql trs:FeatureRequirement ; trs:requirementProperty tr:numberFormat ; sh:group trs:RunsGroup ;
            trs:whenValue tr:Int16x8 ; trs:featureProperty tr:hasDSP ; trs:featureValue true ;
            sh:severity sh:Info ; sh:message "{?label} runs faster with DSP instructions" .""")
    engine = compat.fleet_engine(registry, read_constraints(shapes))
    ours = engine.verdict(engine.model(MODEL), engine.device(PI))
    theirs = compat.check_shacl(registry, MODEL, PI, shapes=shapes)
    assert ours.fits and theirs.fits  # an info does not rule the pair out
    assert _key(ours.results) == _key(theirs.results)
    [info] = [r for r in ours.results if r.group != compat.HEADROOM]
    assert info.level == "info" and info.message == "int16 activations runs faster with DSP instructions"
