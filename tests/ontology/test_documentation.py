"""What a reader of the ontology gets: its metadata, its changelog and the HTML at /ontology."""
from __future__ import annotations

import html
import re

import pytest
import rdflib
from flask import render_template
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from tinyreg.registry.competency import competency_questions
from tinyreg.registry.resources import changelog_file, module_graph, modules, ontology_graph
from tinyreg.registry.vocab import ONTOLOGY_IRI, TR
from tinyreg.web.api.vocabulary import document, documentation
from tinyreg.web.app import create_app

VANN = rdflib.Namespace("http://purl.org/vocab/vann/")


@pytest.fixture
def client(registry):
    return create_app({"TESTING": True}, registry=registry).test_client()


def _core() -> rdflib.Graph:
    return module_graph(modules()[0])


def test_the_metadata_fair_checkers_look_for():
    g, onto = _core(), rdflib.URIRef(ONTOLOGY_IRI)
    for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator,
                      DCTERMS.created, DCTERMS.modified, OWL.versionIRI, OWL.versionInfo,
                      OWL.priorVersion, RDFS.seeAlso):
        assert g.value(onto, predicate) is not None, predicate
    assert str(g.value(onto, VANN.preferredNamespacePrefix)) == "tr"
    assert str(g.value(onto, VANN.preferredNamespaceUri)) == str(TR)
    version = str(g.value(onto, OWL.versionInfo))
    assert str(g.value(onto, OWL.versionIRI)) == f"{ONTOLOGY_IRI}/{version}"


@pytest.mark.stores("embedded")  # documents the shipped files; the store plays no part
def test_the_changelog_is_served_where_the_ontology_links_it(client):
    version = str(_core().value(rdflib.URIRef(ONTOLOGY_IRI), OWL.versionInfo))
    link = str(_core().value(rdflib.URIRef(ONTOLOGY_IRI), RDFS.seeAlso))
    assert link.endswith("/ontology/changelog")
    response = client.get("/ontology/changelog")
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    assert text == changelog_file().read_text(encoding="utf-8")
    assert f"\n## {version}\n" in text  # the release this ontology is has its entry


@pytest.mark.stores("embedded")  # documents the shipped files; the store plays no part
def test_the_html_documents_every_term_with_what_a_user_needs(client):
    page = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    ours = {s for s in ontology_graph().subjects() if str(s).startswith(str(TR))}
    missing = [t for t in ours if f'id="{str(t)[len(str(TR)):]}"' not in page]
    assert missing == []

    def section(anchor: str) -> str:
        start = page.index(f'id="{anchor}"')
        return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start:page.index("</section>", start)])))

    arena = section("arenaBytes")
    assert "“tensor arena”" in arena and "Tensor arena the model needs, in bytes" in arena
    assert "domain tr:ModelVersion" in arena and "range xsd:integer" in arena
    assert "unit unit:BYTE ( quantitykind:InformationEntropy )" in arena
    assert "module tinyml" in arena
    assert "domain one of tr:ModelVersion , tr:Device" in section("flashBytes")  # the deprecated term
    assert "domain tr:ModelVersion" in section("modelFlashBytes")
    assert "unit unit:HZ" in section("clockHz")
    assert "module deploy" in section("wave")
    assert "also a member of tr:SensorKind" in section("Microphone")
    assert "member of tr:NPU" in section("EthosU55")
    for module in modules():
        assert module.iri in text and module.title in text
    for question in competency_questions():
        block = section(f"question-{question.key}")
        assert question.question in block
        assert html.unescape(re.sub(r"\s+", " ", question.sparql)) in block
        assert ("not yet answerable" in block) == (not question.answerable)


@pytest.mark.stores("embedded")  # documents the shipped ontology; the store plays no part
def test_deprecated_terms_are_shown_with_their_replacement(registry):
    doc = document(ontology_graph(), [(m, module_graph(m)) for m in modules()], competency_questions())
    assert [t.curie for t in doc["deprecated"]] == ["tr:codeBytes", "tr:flashBytes", "tr:ramBytes",
                                                    "tr:ramOverheadBytes"]
    term = next(t for t in doc["properties"] if t.curie == "tr:flashBytes")
    assert term.deprecated and [r.curie for r in term.replaced_by] == ["tr:modelFlashBytes",
                                                                       "tr:usableFlashBytes"]
    app = create_app({"TESTING": True}, registry=registry)
    with app.test_request_context("/ontology"):
        page = render_template("ontology.html", doc=doc)
    assert 'id="deprecated"' in page and 'class="tag deprecated"' in page
    assert ('use <a href="#modelFlashBytes">tr:modelFlashBytes</a>, '
            '<a href="#usableFlashBytes">tr:usableFlashBytes</a> instead') in page
    assert [t.curie for t in documentation()["deprecated"]] == [t.curie for t in doc["deprecated"]]
