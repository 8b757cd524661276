"""`registry.models`: model versions as people ask for them (a filtered, sorted, paged list;
one version with everything its page shows; its graph) and as they add them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import rdflib

from .. import facets as faceting
from ..entities import model_versions, model_view
from ..listing import MODEL_SORTS, matching, ordered, sort_order
from ..paging import Faceted, Page, Paged
from ..references import resolve_model
from ..vocab import local_name
from ..words import task_iri, word

if TYPE_CHECKING:
    from ..core import Registry


@dataclass(frozen=True)
class ModelFilter:
    """Models whose identifier, name or task contains `q` (any case), of one `task` (the
    word, an alias, the IRI or the ontology's name), ordered by `sort` (MODEL_SORTS, -field
    for descending)."""
    q: str = ""
    task: str = ""
    sort: str = ""

    def __post_init__(self) -> None:
        sort_order(self.sort, MODEL_SORTS)
        if self.task.strip():
            task_iri(self.task.strip())  # an unknown task is refused naming the words

    def select(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = matching(rows, self.q, ("id", "name", "task"))
        if self.task.strip():
            wanted = word(task_iri(self.task.strip()))
            rows = [r for r in rows if r["task"] == wanted]
        return ordered(rows, self.sort, MODEL_SORTS)

    @property
    def chosen(self) -> bool:
        """Whether the filter picks some models rather than all of them."""
        return bool(self.q.strip() or self.task.strip())


class Models:
    """The registry's model versions (`registry.models`)."""

    def __init__(self, registry: Registry):
        self.registry = registry

    def resolve(self, ref: str) -> str:
        """The IRI of the version `ref` names (references.py)."""
        return resolve_model(self.registry, ref)

    def rows(self) -> list[dict[str, Any]]:
        """Every model with its latest version number, as the list shows it, by name."""
        from ..models import list_models
        return [{"id": local_name(r["model"]), "name": r["name"], "task": word(r["task"]),
                 "latest": int(r["latest"]), "versions": int(r["versions"]), "iri": r["model"]}
                for r in list_models(self.registry)]

    def list(self, where: ModelFilter = ModelFilter(), page: Page = Page(),
             facets: tuple[str, ...] = ()) -> Paged[dict]:
        """A page of the models the filter keeps; with `facets` (facets.MODEL_FACETS), each
        one's values counted over all the models it keeps."""
        rows = where.select(self.rows())
        paged = page.of(rows)
        if not facets:
            return paged
        return Faceted(paged.items, paged.total, paged.limit, paged.offset, faceting.counts(
            self.registry, rows, facets, faceting.MODEL_FACETS, where))

    def tasks(self) -> list[str]:
        """The tasks models are registered for, for a choice of them."""
        return sorted({r["task"] for r in self.rows() if r["task"]})

    def latest(self, where: ModelFilter = ModelFilter()) -> list[str]:
        """The latest version (`id@N`) of every model the filter picks."""
        return [f"{r['id']}@{r['latest']}" for r in where.select(self.rows())]

    def get(self, ref: str) -> dict[str, Any]:
        """One model version with everything its page shows."""
        return model_view(self.registry, ref)

    def versions(self, ref: str) -> list[dict[str, Any]]:
        """The model's newest versions, newest first, with the figures a comparison shows
        and each one's lineage (entities.model_versions)."""
        return model_versions(self.registry, ref)

    def graph(self, ref: str) -> rdflib.Graph:
        return self.registry.store.get_graph(self.resolve(ref))
