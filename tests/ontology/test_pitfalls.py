"""The pitfall check (after OOPS!): nothing on our terms, and each check catches its pitfall."""
from __future__ import annotations

import pytest
import rdflib

from tinyreg.registry.ontology_lint import Finding, in_namespace, lint, shipped_findings
from tinyreg.registry.vocab import TR


_PREFIXES = """@prefix tr: <https://w3id.org/tinyreg/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix qudt: <http://qudt.org/schema/qudt/> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix quantitykind: <http://qudt.org/vocab/quantitykind/> .
@prefix ex: <http://example.org/> .
"""
# A small ontology without a pitfall: each test below adds one.
_CLEAN = _PREFIXES + """
tr:ModelVersion a owl:Class ; rdfs:label "model version"@en ; rdfs:comment "A model file."@en .
tr:Device a owl:Class ; rdfs:label "device"@en ; rdfs:comment "A board."@en .
tr:Board a owl:Class ; rdfs:subClassOf tr:Device ; rdfs:label "board"@en ; rdfs:comment "A board."@en .
tr:runsOn a owl:ObjectProperty ; rdfs:domain tr:ModelVersion ; rdfs:range tr:Device ;
    rdfs:label "runs on"@en ; rdfs:comment "Where it runs."@en .
tr:ramBytes a owl:DatatypeProperty ; rdfs:domain tr:Device ; rdfs:range xsd:integer ;
    rdfs:label "RAM"@en ; rdfs:comment "RAM in bytes."@en ;
    qudt:unit unit:BYTE ; qudt:hasQuantityKind quantitykind:InformationEntropy .
ex:Thing a owl:Class .
tr:Device rdfs:subClassOf ex:Thing .
"""


def _lint(extra: str = "", used=()) -> set[tuple[str, str]]:
    graph = rdflib.Graph().parse(data=_CLEAN + extra, format="turtle")
    return {(f.code, f.term.rsplit("#", 1)[-1].rsplit("/", 1)[-1]) for f in lint(graph, used)}


def test_the_shipped_ontology_has_no_pitfall_on_our_terms():
    assert in_namespace(shipped_findings()) == [], "\n".join(map(str, shipped_findings()))


def test_and_no_unused_declaration_of_anyone_s_terms():
    assert [f for f in shipped_findings() if f.code == "unused"] == []


def test_a_clean_ontology_has_no_finding():
    assert _lint() == set()


@pytest.mark.parametrize("extra, finding", [
    # P08: no label, no definition, two English labels
    ('tr:Core a owl:Class ; rdfs:subClassOf tr:Device ; rdfs:comment "A core."@en .', ("P08", "Core")),
    ('tr:Core a owl:Class ; rdfs:subClassOf tr:Device ; rdfs:label "core"@en .', ("P08", "Core")),
    ('tr:Board rdfs:label "card"@en .', ("P08", "Board")),
    ('tr:Npu a tr:Device ; rdfs:comment "An NPU."@en .', ("P08", "Npu")),
    # P11: no domain, no range
    ('tr:vendor a owl:DatatypeProperty ; rdfs:range xsd:string ; rdfs:label "vendor"@en ; '
     'rdfs:comment "Who."@en .', ("P11", "vendor")),
    ('tr:vendor a owl:DatatypeProperty ; rdfs:domain tr:Device ; rdfs:label "vendor"@en ; '
     'rdfs:comment "Who."@en .', ("P11", "vendor")),
    # P19: two domains
    ('tr:runsOn rdfs:domain tr:Device .', ("P19", "runsOn")),
    # P06: a cycle
    ('tr:Device rdfs:subClassOf tr:Board .', ("P06", "Board")),
    # P04: a class connected to nothing
    ('tr:Lonely a owl:Class ; rdfs:label "lonely"@en ; rdfs:comment "Alone."@en .', ("P04", "Lonely")),
    # P13: the same classes joined both ways, no inverse declared
    ('tr:hosts a owl:ObjectProperty ; rdfs:domain tr:Device ; rdfs:range tr:ModelVersion ; '
     'rdfs:label "hosts"@en ; rdfs:comment "What it runs."@en .', ("P13", "hosts")),
    # P13: an inverse whose domain and range do not mirror
    ('tr:hosts a owl:ObjectProperty ; owl:inverseOf tr:runsOn ; rdfs:domain tr:Device ; '
     'rdfs:range tr:Device ; rdfs:label "hosts"@en ; rdfs:comment "What it runs."@en .', ("P13", "hosts")),
    # P22: naming
    ('tr:device a owl:Class ; rdfs:subClassOf tr:Device ; rdfs:label "d"@en ; rdfs:comment "D."@en .',
     ("P22", "device")),
    # P34 / P35: used without being declared
    ('tr:runsOn rdfs:range tr:Gadget .', ("P34", "Gadget")),
    ('tr:Board tr:colour "red" .', ("P35", "colour")),
    # units: named in the name, or stated without a quantity kind, or on a non-number
    ('tr:flashBytes a owl:DatatypeProperty ; rdfs:domain tr:Device ; rdfs:range xsd:integer ; '
     'rdfs:label "flash"@en ; rdfs:comment "Flash."@en .', ("units", "flashBytes")),
    ('tr:clock a owl:DatatypeProperty ; rdfs:domain tr:Device ; rdfs:range xsd:integer ; '
     'rdfs:label "clock"@en ; rdfs:comment "Clock."@en ; qudt:unit unit:HZ .', ("units", "clock")),
    ('tr:name a owl:DatatypeProperty ; rdfs:domain tr:Device ; rdfs:range xsd:string ; '
     'rdfs:label "name"@en ; rdfs:comment "Name."@en ; qudt:unit unit:HZ ; '
     'qudt:hasQuantityKind quantitykind:Frequency .', ("units", "name")),
    # overloaded: one quantity for a model's need and a device's capacity
    ('tr:flashBytes a owl:DatatypeProperty ; rdfs:range xsd:integer ; '
     'rdfs:domain [ a owl:Class ; owl:unionOf ( tr:ModelVersion tr:Board ) ] ; '
     'rdfs:label "flash"@en ; rdfs:comment "Flash."@en ; qudt:unit unit:BYTE ; '
     'qudt:hasQuantityKind quantitykind:InformationEntropy .', ("overloaded", "flashBytes")),
    # unused: declared and then used by nothing
    ('ex:Widget a owl:Class .', ("unused", "Widget")),
    # deprecation without a replacement, or with one the ontology lacks
    ('tr:Board owl:deprecated true .', ("deprecation", "Board")),
    ('tr:Board owl:deprecated true ; dcterms:isReplacedBy tr:Card .', ("deprecation", "Board")),
])
def test_each_pitfall_is_found(extra, finding):
    assert finding in _lint(extra)


def test_a_property_with_a_union_domain_of_one_side_is_not_overloaded():
    extra = ('tr:romBytes a owl:DatatypeProperty ; rdfs:range xsd:integer ; '
             'rdfs:domain [ a owl:Class ; owl:unionOf ( tr:Device tr:Board ) ] ; '
             'rdfs:label "ROM"@en ; rdfs:comment "ROM."@en ; qudt:unit unit:BYTE ; '
             'qudt:hasQuantityKind quantitykind:InformationEntropy .')
    assert _lint(extra) == set()


def test_a_sub_property_of_the_inverse_satisfies_p13():
    extra = ('tr:hosts a owl:ObjectProperty ; rdfs:domain tr:Device ; rdfs:range tr:ModelVersion ; '
             'rdfs:subPropertyOf [ owl:inverseOf tr:runsOn ] ; '
             'rdfs:label "hosts"@en ; rdfs:comment "What it runs."@en .')
    assert _lint(extra) == set()


def test_a_declaration_the_shapes_use_is_not_unused_and_a_term_they_need_must_exist():
    assert _lint("ex:Widget a owl:Class .", used={"http://example.org/Widget"}) == set()
    assert ("undefined", "usableRamBytes") in _lint(used={str(TR.usableRamBytes)})


def test_a_deprecated_term_with_its_replacement_passes_until_the_shapes_use_it():
    extra = ('tr:Card a owl:Class ; rdfs:subClassOf tr:Device ; rdfs:label "card"@en ; '
             'rdfs:comment "A card."@en . tr:Board owl:deprecated true ; dcterms:isReplacedBy tr:Card .')
    assert _lint(extra) == set()
    assert _lint(extra, used={str(TR.Board)}) == {("deprecation", "Board")}


def test_findings_read_as_code_term_and_message():
    assert str(Finding("P11", str(TR.vendor), "no rdfs:domain")) == "P11 tr:vendor: no rdfs:domain"


def test_a_deprecated_property_keeps_its_old_domain_without_counting_as_overloaded():
    extra = ('tr:flashBytes a owl:DatatypeProperty ; rdfs:range xsd:integer ; '
             'rdfs:domain [ a owl:Class ; owl:unionOf ( tr:ModelVersion tr:Board ) ] ; '
             'rdfs:label "flash"@en ; rdfs:comment "Flash."@en ; qudt:unit unit:BYTE ; '
             'qudt:hasQuantityKind quantitykind:InformationEntropy ; owl:deprecated true ; '
             'dcterms:isReplacedBy tr:ramBytes .')
    assert _lint(extra) == set()


@pytest.mark.stores("embedded")  # reasons over the shipped files, not over a store
def test_the_strict_cli_check_fails_on_a_pitfall(runner, monkeypatch):
    # Without --strict it lists them and succeeds: tests/core/test_cli.py.
    from tinyreg.web.cli import cli, core
    assert runner.invoke(cli, ["ontology", "check", "--strict"]).exit_code == 0
    monkeypatch.setattr(core, "shipped_findings", lambda: [Finding("P11", str(TR.vendor), "no rdfs:domain")])
    strict = runner.invoke(cli, ["ontology", "check", "--strict"])
    assert strict.exit_code == 1 and "1 pitfall(s) found" in strict.output
    assert "P11 tr:vendor: no rdfs:domain" in strict.output
