"""Decoders for the metadata entries of a .tflite file that matter to deployment.

A model's `metadata` is a list of (name, buffer) pairs. Three names are understood here:

- "min_runtime_version": the oldest TensorFlow Lite runtime the converter expects to run the
  model, a NUL-padded ASCII string such as "1.5.0".
- "OfflineMemoryAllocation": arena offsets planned ahead of time, which TFLM uses instead of
  its own planner: int32 words [format version, subgraph, count, offset per tensor...], where
  offset -1 leaves that tensor to the runtime planner.
- "TFLITE_METADATA": TFLite Support's model card, a nested flatbuffer (identifier "M001")
  with the model's name and the files that travel with it (labels, vocabularies).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import Invalid
from .flatbuffer import Reader, Table

MIN_RUNTIME_VERSION = "min_runtime_version"
OFFLINE_MEMORY_ALLOCATION = "OfflineMemoryAllocation"
SUPPORT_METADATA = "TFLITE_METADATA"


@dataclass(frozen=True)
class OfflinePlan:
    subgraph: int
    offsets: tuple[int, ...]  # arena offset per tensor; -1: planned at run time


@dataclass(frozen=True)
class SupportMetadata:
    name: str
    version: str
    associated_files: tuple[str, ...]  # of the model, its subgraphs and their tensors, in order


def min_runtime_version(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def offline_plan(raw: bytes) -> OfflinePlan:
    if len(raw) < 12 or len(raw) % 4:
        raise Invalid(f"{OFFLINE_MEMORY_ALLOCATION} metadata is {len(raw)} bytes, "
                      "not a list of int32 words with a 3-word header")
    _, subgraph, count = struct.unpack_from("<iii", raw)
    if count != len(raw) // 4 - 3:
        raise Invalid(f"{OFFLINE_MEMORY_ALLOCATION} metadata announces {count} offsets "
                      f"but holds {len(raw) // 4 - 3}")
    return OfflinePlan(subgraph=subgraph, offsets=struct.unpack_from(f"<{count}i", raw, 12))


def support_metadata(raw: bytes) -> SupportMetadata:
    try:
        root = Reader(raw).root(b"M001")
        files = _file_names(root, 6)  # ModelMetadata.associated_files
        for subgraph in root.tables(3, "subgraph metadata"):
            files += _file_names(subgraph, 4)
            for slot in (2, 3):  # input_tensor_metadata, output_tensor_metadata
                for tensor in subgraph.tables(slot, "tensor metadata"):
                    files += _file_names(tensor, 6)
        return SupportMetadata(name=root.string(0, "model name"),
                               version=root.string(2, "model version"),
                               associated_files=tuple(files))
    except Invalid as exc:
        raise Invalid(f"{SUPPORT_METADATA} metadata is not valid: {exc.detail}") from exc


def _file_names(table: Table, slot: int) -> list[str]:
    return [f.string(0, "associated file name") for f in table.tables(slot, "associated files")]
