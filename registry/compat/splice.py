"""How a patched engine's device axis is made of the previous engine's and a few re-read devices'.

After a write to a few devices the engine compiles the constraints over every model version
and those devices only (`Fleet.narrowed`), then each compiled constraint splices its
per-device arrays: the previous fleet's rows for the devices not written, the narrowed
fleet's for the ones re-read, in the new fleet's device order (devices are kept sorted by
IRI, so an added one lands anywhere). A device list is runs of consecutive rows of either
source; a few writes make a few runs, and each array is a concatenation of slices.

A write to model versions only is spliced the same way along the model axis (`side`): the
constraints are compiled over the model versions re-read (`Fleet.with_models_written`) and
their per-model arrays, lists and dicts spliced; the per-device state stays.
"""
from __future__ import annotations

from typing import TypeVar

import numpy as np

from .fleet import Fleet, Unpatchable

T = TypeVar("T")


class Splice:
    """One side's axis (devices, or model versions after a write to model versions only)."""

    def __init__(self, old: Fleet, new: Fleet, sub: Fleet, side: str = "device"):
        self.side = side
        ids = new.ids(side)
        from_old, from_sub = old.position(side)[ids], sub.position(side)[ids]
        fresh = from_sub >= 0
        if np.any(~fresh & (from_old < 0)):
            raise Unpatchable(f"a {side} is neither the previous fleet's nor re-read")
        at = np.where(fresh, from_sub, from_old)
        self.size = len(ids)
        cut = np.flatnonzero((fresh[1:] != fresh[:-1]) | (at[1:] != at[:-1] + 1)) + 1
        starts, ends = np.r_[0, cut], np.r_[cut, self.size]
        # (from the re-read ones?, first row, end) in the new order
        self.runs = [(bool(fresh[a]), int(at[a]), int(at[a] + b - a))
                     for a, b in zip(starts.tolist(), ends.tolist())] if self.size else []
        # each source row's place in the new order (-1: gone, or re-read)
        self.new_of_old = np.full(len(old.ids(side)), -1, dtype=np.int64)
        self.new_of_old[from_old[~fresh]] = np.flatnonzero(~fresh)
        self.new_of_sub = np.full(len(sub.ids(side)), -1, dtype=np.int64)
        self.new_of_sub[from_sub[fresh]] = np.flatnonzero(fresh)

    def rows(self, old: np.ndarray, sub: np.ndarray, axis: int = 0) -> np.ndarray:
        """A per-entity array (the side's entities along `axis`) of the new fleet."""
        if not self.runs:
            return np.take(old, np.zeros(0, dtype=np.int64), axis=axis)
        lead = (slice(None),) * axis
        return np.concatenate([(sub if fresh else old)[lead + (slice(a, b),)]
                               for fresh, a, b in self.runs], axis=axis)

    def items(self, old: list[T], sub: list[T]) -> list[T]:
        """A per-entity list of the new fleet."""
        out: list[T] = []
        for fresh, a, b in self.runs:
            out += (sub if fresh else old)[a:b]
        return out

    def keyed(self, old: dict, sub: dict) -> dict:
        """A dict keyed by entity index (or by tuples led by one) of the new fleet."""
        out = {}
        for moved, held in ((self.new_of_old, old), (self.new_of_sub, sub)):
            for key, value in held.items():
                at = int(moved[key[0] if isinstance(key, tuple) else key])
                if at >= 0:
                    out[(at, *key[1:]) if isinstance(key, tuple) else at] = value
        return out

    def texts(self, old: tuple[np.ndarray, list[str]], sub: tuple[np.ndarray, list[str]]
              ) -> tuple[np.ndarray, list[str]]:
        """Per-device indexes into a list of texts, and the list: the previous one with the
        re-read devices' new texts after it."""
        (old_at, old_texts), (sub_at, sub_texts) = old, sub
        texts = list(old_texts)
        index = {text: k for k, text in enumerate(texts)}
        for text in sub_texts:
            if text not in index:
                index[text] = len(texts)
                texts.append(text)
        moved = np.array([index[text] for text in sub_texts], dtype=np.int64)
        return self.rows(old_at, moved[sub_at] if len(sub_at) else sub_at), texts

    def option_rows(self, old: tuple[np.ndarray, ...], sub: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Columns of rows sorted by device (the first column: a device index), several
        rows a device: the kept devices' rows renumbered, the re-read devices' put in place."""
        old_device, sub_device = self.new_of_old[old[0]], self.new_of_sub[sub[0]]
        keep = old_device >= 0
        kept_device = old_device[keep]
        # kept devices keep their order, so the kept rows stay sorted by their new index
        at = np.searchsorted(kept_device, sub_device)
        return (np.insert(kept_device, at, sub_device),
                *(np.insert(o[keep], at, s) for o, s in zip(old[1:], sub[1:])))
