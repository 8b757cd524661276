"""Stores behind one narrow interface: the embedded Oxigraph database by default."""
from .base import GraphLike, QueryResult, Store, Transaction
from .embedded import EmbeddedStore
from .terms import IRI

__all__ = ["EmbeddedStore", "GraphLike", "IRI", "QueryResult", "Store", "Transaction"]
