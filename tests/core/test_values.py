"""Every kind of literal the registry writes reads back equal on every store."""
from __future__ import annotations

import rdflib

from tinyreg.registry.store.contract import LITERALS, literal_graph, literals_read_back
from tinyreg.registry.store.terms import decimal_literal

GRAPH = "https://w3id.org/tinyreg/id/test/literals"
SUBJECT = "https://w3id.org/tinyreg/id/test/thing"


def test_every_literal_kind_reads_back_equal(store):
    store.put_graph(GRAPH, literal_graph(SUBJECT))
    assert literals_read_back(store, GRAPH, SUBJECT) == []
    kinds = {literal.datatype or ("lang" if literal.language else None) for _, literal, _ in LITERALS}
    assert {rdflib.XSD.integer, rdflib.XSD.decimal, rdflib.XSD.double, rdflib.XSD.boolean,
            rdflib.XSD.dateTime, rdflib.XSD.string, "lang"} <= kinds


def test_measured_numbers_are_written_as_decimals_a_server_keeps():
    # Virtuoso answers doubles with six significant digits and keeps 15 digits after a
    # decimal point: the registry's own numbers stay within both.
    assert decimal_literal(0.003921568859368563) == rdflib.Literal(
        "0.003921568859369", datatype=rdflib.XSD.decimal)
    assert str(decimal_literal(0.9125)) == "0.9125"
    assert str(decimal_literal(123456789.123456789)) == "123456789.123457"
