"""The parts of a .tflite file the registry reads, parsed and checked.

`parse` turns untrusted bytes into plain frozen dataclasses or raises `Invalid`/`TooLarge`.
It checks what the rest of the package relies on (every index points at something that exists,
no negative dimension) so that the analysis and the planner never meet a dangling reference.
Slot numbers are the field positions in TensorFlow Lite's schema.fbs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tflite.TensorType import TensorType
from tflite.utils import BUILTIN_OPCODE2NAME

from ..errors import Invalid, TooLarge
from .flatbuffer import Reader, Table

FILE_IDENTIFIER = b"TFL3"
CUSTOM = 32  # BuiltinOperator.CUSTOM
# BuiltinOptions union members that name subgraphs: IfOptions, WhileOptions, CallOnceOptions,
# with the slots of their subgraph indices.
_CALL_OPTIONS = {92: (0, 1), 93: (0, 1), 103: (0,)}

TYPE_NAMES = {code: name for name, code in vars(TensorType).items() if not name.startswith("_")}


@dataclass(frozen=True)
class Tensor:
    name: str
    shape: tuple[int, ...]
    # -1 marks a dimension the converter left open; `shape` then holds a placeholder (1).
    # Empty when the file does not say.
    shape_signature: tuple[int, ...]
    type: str  # TensorType name: INT8, FLOAT32, ...
    buffer: int
    is_variable: bool
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]

    @property
    def elements(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count


@dataclass(frozen=True)
class OpCode:
    builtin_code: int
    name: str  # the builtin's name, CUSTOM for custom ops
    version: int
    custom_name: str | None


@dataclass(frozen=True)
class Operator:
    opcode: int
    inputs: tuple[int, ...]  # -1 marks an omitted optional input
    outputs: tuple[int, ...]
    # The subgraphs a control-flow operator runs (IF: then, else; WHILE: cond, body;
    # CALL_ONCE: init), in that order.
    calls: tuple[int, ...] = ()


@dataclass(frozen=True)
class Subgraph:
    name: str
    tensors: tuple[Tensor, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    operators: tuple[Operator, ...]


@dataclass(frozen=True)
class Model:
    data: bytes = field(repr=False)
    version: int
    description: str
    opcodes: tuple[OpCode, ...]
    subgraphs: tuple[Subgraph, ...]
    buffers: tuple[tuple[int, int], ...]  # (start, length) of each buffer's bytes in `data`
    metadata: tuple[tuple[str, int], ...]  # (name, buffer index)

    def buffer_bytes(self, index: int) -> bytes:
        if index >= len(self.buffers):
            return b""
        start, length = self.buffers[index]
        return self.data[start:start + length]

    def metadata_entry(self, name: str) -> bytes | None:
        """The first metadata entry called `name`, as TFLM looks it up."""
        for entry, index in self.metadata:
            if entry == name:
                return self.buffer_bytes(index)
        return None

    def is_constant(self, tensor: Tensor) -> bool:
        """Constant tensors carry their values in the file; the rest live in the arena."""
        return 0 < tensor.buffer < len(self.buffers) and self.buffers[tensor.buffer][1] > 0


def parse(data: bytes, *, max_bytes: int) -> Model:
    if not data:
        raise Invalid("file is empty")
    if len(data) > max_bytes:
        raise TooLarge(f"file is {len(data)} bytes, the limit is {max_bytes} bytes")
    reader = Reader(data)
    root = reader.root(FILE_IDENTIFIER)
    buffers = tuple(_buffer(reader, table) for table in root.tables(4, "buffers"))
    opcodes = tuple(_opcode(table) for table in root.tables(1, "operator codes"))
    subgraph_tables = root.tables(2, "subgraphs")
    subgraphs = tuple(_subgraph(table, len(opcodes), len(buffers), len(subgraph_tables))
                      for table in subgraph_tables)
    if not subgraphs:
        raise Invalid("model has no subgraphs")
    metadata = []
    for entry in root.tables(6, "metadata"):
        name, index = entry.string(0, "metadata name"), entry.scalar(1, "I")
        if index >= len(buffers):
            raise Invalid(f"metadata {name!r} refers to buffer {index} of {len(buffers)}")
        metadata.append((name, index))
    return Model(data=data, version=root.scalar(0, "I"), description=root.string(3, "description"),
                 opcodes=opcodes, subgraphs=subgraphs, buffers=buffers, metadata=tuple(metadata))


def _buffer(reader: Reader, table: Table) -> tuple[int, int]:
    start, length = table.byte_span(0, "buffer data")
    # Files over 2 GB keep buffers after the flatbuffer, located by absolute offset (> 1).
    offset = table.scalar(1, "Q")
    if offset > 1:
        length = table.scalar(2, "Q")
        reader.check(offset, length, "external buffer")
        start = offset
    return start, length


def _opcode(table: Table) -> OpCode:
    # Codes below 127 may sit in the old int8 field only; the larger one is the real code.
    code = max(table.scalar(0, "b"), table.scalar(3, "i"))
    custom = table.string(1, "custom code") if code == CUSTOM else None
    return OpCode(builtin_code=code, name=BUILTIN_OPCODE2NAME.get(code, f"BUILTIN_{code}"),
                  version=table.scalar(2, "i", 1), custom_name=custom)


def _subgraph(table: Table, opcode_count: int, buffer_count: int, subgraph_count: int
              ) -> Subgraph:
    name = table.string(4, "subgraph name")
    tensors = tuple(_tensor(t, buffer_count) for t in table.tables(0, "tensors"))
    inputs = table.vector(1, "i", "subgraph inputs")
    outputs = table.vector(2, "i", "subgraph outputs")
    _check_indices(inputs + outputs, 0, len(tensors), f"subgraph {name!r} inputs/outputs")
    operators = []
    for i, op in enumerate(table.tables(3, "operators")):
        opcode = op.scalar(0, "I")
        if opcode >= opcode_count:
            raise Invalid(f"operator {i} uses operator code {opcode} of {opcode_count}")
        ins, outs = op.vector(1, "i", "operator inputs"), op.vector(2, "i", "operator outputs")
        _check_indices(ins + outs, -1, len(tensors), f"operator {i}")
        calls = _calls(op, i, subgraph_count)
        operators.append(Operator(opcode=opcode, inputs=ins, outputs=outs, calls=calls))
    return Subgraph(name=name, tensors=tensors, inputs=inputs, outputs=outputs,
                    operators=tuple(operators))


def _calls(op: Table, index: int, subgraph_count: int) -> tuple[int, ...]:
    slots = _CALL_OPTIONS.get(op.scalar(3, "B"))
    options = op.table(4, f"options of operator {index}") if slots else None
    if options is None:
        return ()
    calls = tuple(options.scalar(slot, "i") for slot in slots)
    if not all(0 <= c < subgraph_count for c in calls):
        raise Invalid(f"operator {index} calls subgraph(s) {list(calls)}, but the model has "
                      f"{subgraph_count}")
    return calls


def _check_indices(indices: tuple[int, ...], low: int, count: int, what: str) -> None:
    bad = [i for i in indices if not low <= i < count]
    if bad:
        raise Invalid(f"{what} refer to tensor {bad[0]}, but the subgraph has {count} tensors")


def _tensor(table: Table, buffer_count: int) -> Tensor:
    name = table.string(3, "tensor name")
    shape = table.vector(0, "i", f"shape of tensor {name!r}")
    if any(dim < 0 for dim in shape):
        raise Invalid(f"tensor {name!r} has a negative dimension in its shape {list(shape)}")
    signature = table.vector(7, "i", f"shape signature of tensor {name!r}")
    code = table.scalar(1, "b")
    if code not in TYPE_NAMES:
        raise Invalid(f"tensor {name!r} has unknown element type {code}")
    buffer = table.scalar(2, "I")
    if buffer and buffer >= buffer_count:
        raise Invalid(f"tensor {name!r} refers to buffer {buffer} of {buffer_count}")
    quant = table.table(4, f"quantization of tensor {name!r}")
    scales = quant.vector(2, "f", "quantization scales") if quant else ()
    zero_points = quant.vector(3, "q", "quantization zero points") if quant else ()
    return Tensor(name=name, shape=shape, shape_signature=signature, type=TYPE_NAMES[code],
                  buffer=buffer, is_variable=bool(table.scalar(5, "B")), scales=scales,
                  zero_points=zero_points)
