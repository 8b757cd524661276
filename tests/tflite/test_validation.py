"""Untrusted bytes: analyse() accepts a .tflite model or raises Invalid/TooLarge naming the
problem, and nothing else, whatever it is given."""
from __future__ import annotations

import importlib
import random
import struct

import flatbuffers
import pytest

from tinyreg.registry.errors import Invalid, TooLarge
from tinyreg.registry.tflite import analyse, writer

from .conftest import MAX_BYTES, sine_model, small_vision


def _with_identifier(data: bytes, identifier: bytes) -> bytes:
    return data[:4] + identifier + data[8:]


def _bad_operator(**changes) -> bytes:
    m = writer.ModelBuilder("bad")
    x, y = m.tensor("input", [1, 4], "FLOAT32"), m.tensor("output", [1, 4], "FLOAT32")
    m.operator("RELU", [x], [y])
    opcode, inputs, outputs, options = m.operators[0]
    m.operators[0] = (changes.get("opcode", opcode), changes.get("inputs", inputs), outputs,
                      options)
    return m.build([x], [y])


def _negative_dimension() -> bytes:
    m = writer.ModelBuilder("bad")
    x, y = m.tensor("input", [-1, 4], "FLOAT32"), m.tensor("output", [1, 4], "FLOAT32")
    m.operator("RELU", [x], [y])
    return m.build([x], [y])


def _no_subgraphs() -> bytes:
    b = flatbuffers.Builder(64)
    model = importlib.import_module("tflite.Model")
    model.Start(b)
    model.AddVersion(b, 3)
    b.Finish(model.End(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _one_subgraph_listed_many_times(tensors: int, copies: int) -> bytes:
    """Well-formed offsets, but every subgraph entry points at the same large subgraph."""
    b = flatbuffers.Builder(1 << 16)
    tensor, subgraph, model = (importlib.import_module(f"tflite.{name}")
                               for name in ("Tensor", "SubGraph", "Model"))
    offsets = []
    for _ in range(tensors):
        tensor.Start(b)
        tensor.AddType(b, 0)
        offsets.append(tensor.End(b))

    def vector(items):
        b.StartVector(4, len(items), 4)
        for item in reversed(items):
            b.PrependUOffsetTRelative(item)
        return b.EndVector()

    tensor_vector = vector(offsets)
    subgraph.Start(b)
    subgraph.AddTensors(b, tensor_vector)
    shared = subgraph.End(b)
    subgraphs = vector([shared] * copies)
    model.Start(b)
    model.AddSubgraphs(b, subgraphs)
    b.Finish(model.End(b), file_identifier=b"TFL3")
    return bytes(b.Output())


VALID = writer.fully_connected()

BAD_INPUTS = [
    ("zero bytes", b"", Invalid, "empty"),
    ("too short", b"TFL3", Invalid, "too short"),
    ("text, not a flatbuffer", b"hello, this is certainly not a model file", Invalid,
     "identifier"),
    ("wrong identifier", _with_identifier(VALID, b"TFL2"), Invalid, "identifier is b'TFL2'"),
    ("root offset past the end", struct.pack("<I", 1 << 30) + b"TFL3" + bytes(8), Invalid,
     "past the end"),
    ("truncated", VALID[:len(VALID) // 2], Invalid, "truncated or corrupt"),
    ("over the size limit", VALID, TooLarge, "limit is 100 bytes"),
    ("no subgraphs", _no_subgraphs(), Invalid, "no subgraphs"),
    ("operator code out of range", _bad_operator(opcode=5), Invalid, "operator code 5"),
    ("tensor index out of range", _bad_operator(inputs=[7]), Invalid, "tensor 7"),
    ("negative dimension", _negative_dimension(), Invalid, "negative dimension"),
    ("shared subtrees", _one_subgraph_listed_many_times(2000, 2000), Invalid, "over and over"),
]


@pytest.mark.parametrize("data, error, message", [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_refused_with_a_reason(data, error, message):
    limit = 100 if error is TooLarge else MAX_BYTES
    with pytest.raises(error, match=message):
        analyse(data, max_bytes=limit)


def _fuzzed(count: int, seed: int = 20240611):
    """Random bytes, random bytes behind a valid header, and mutations of valid models."""
    rng = random.Random(seed)
    valid = [VALID, sine_model(), small_vision(), writer.custom_op(),
             writer.float16_fully_connected()]
    for i in range(count):
        kind = i % 4
        if kind == 0:
            yield bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 600)))
        elif kind == 1:
            body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(8, 600)))
            yield body[:4] + b"TFL3" + body[8:]
        elif kind == 2:
            data = bytearray(rng.choice(valid))
            for _ in range(rng.randrange(1, 16)):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
            yield bytes(data)
        else:
            data = rng.choice(valid)
            start = rng.randrange(len(data))
            end = rng.randrange(start, len(data) + 1)
            yield data[:start] + bytes(rng.getrandbits(8) for _ in range(8)) + data[end:]


def test_fuzzed_bytes_only_ever_raise_invalid():
    outcomes = {"accepted": 0, "refused": 0}
    for data in _fuzzed(200):
        try:
            analyse(data, max_bytes=MAX_BYTES)
            outcomes["accepted"] += 1
        except (Invalid, TooLarge) as exc:
            assert exc.detail
            outcomes["refused"] += 1
    # Both paths ran: some mutations keep a model readable, most do not.
    assert outcomes["accepted"] and outcomes["refused"]
