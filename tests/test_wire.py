"""The wire format: plain data only, never code."""
import math
import pickle

import numpy as np
import pytest

from autograder import wire


@pytest.mark.parametrize("value", [
    None, True, 3, -2**70, 1.5, "text", [1, [2.0, "x"]], (1, (2, 3)), {"a": 1, "b": [1, 2]},
    {1: "int key", (1, 2): "tuple key"}, {"@nd": "a key that looks special"},
])
def test_plain_values_round_trip(value):
    assert wire.decode(wire.encode(value)) == value


def test_non_finite_floats_round_trip():
    out = wire.decode(wire.encode([math.inf, -math.inf, math.nan]))
    assert out[0] == math.inf and out[1] == -math.inf and math.isnan(out[2])


@pytest.mark.parametrize("arr", [
    np.arange(12.0).reshape(3, 4), np.array(2.5), np.array([True, False]), np.arange(5, dtype=np.uint8),
    np.array([1 + 2j]), np.asfortranarray(np.ones((3, 2))), np.zeros((0, 3)), np.float32(1.25),
])
def test_arrays_round_trip_exactly(arr):
    out = wire.decode(wire.encode(arr))
    assert isinstance(out, np.ndarray) and out.dtype == np.asarray(arr).dtype
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("value", [np.array([object()], dtype=object), np.array(["a"]), object(),
                                   {1, 2}, lambda: 1])
def test_anything_else_is_refused(value):
    with pytest.raises(wire.WireError):
        wire.encode(value)


def test_handles_cross_as_id_and_type_name_only():
    out = wire.decode(wire.encode({"m": wire.Handle(7, "GaussianMixtureEM")}))
    assert out["m"].id == 7 and out["m"].type_name == "GaussianMixtureEM"


def test_a_pickle_is_never_unpickled():
    class Boom:
        def __reduce__(self):
            return (pytest.fail, ("unpickled!",))

    with pytest.raises(wire.WireError):
        wire.decode(pickle.dumps(Boom()))


def test_corrupt_and_lying_frames_are_refused():
    frame = wire.encode(np.arange(4.0))
    with pytest.raises(wire.WireError):
        wire.decode(frame[:-3])
    header = b'{"@nd":["|O8",[1],0,8]}'
    with pytest.raises(wire.WireError, match="dtype"):
        wire.decode(wire._HEAD.pack(16 + len(header) + 8, len(header)) + header + b"\0" * 8)
    header = b'{"@nd":["<f8",[1000],0,8]}'
    with pytest.raises(wire.WireError, match="size"):
        wire.decode(wire._HEAD.pack(16 + len(header) + 8, len(header)) + header + b"\0" * 8)


def _frame(header, arrays=0):
    return wire._HEAD.pack(16 + len(header) + arrays, len(header)) + header + b"\0" * arrays


@pytest.mark.parametrize("header", [b'{"@handle": ["x"]}', b'{"@nd": ["<f8", [1e400], 0, 8]}',
                                    b'{"@float": "zero"}', b'{"@dict": [[1]]}'])
def test_a_crafted_header_is_a_wire_error_whatever_decoding_it_raises(header):
    """Found by the red team: an IndexError / OverflowError out of the decoder was reported as
    the test's own failure; every fault of the reply is the protocol's (the child is killed)."""
    with pytest.raises(wire.WireError, match="corrupt header"):
        wire.decode(_frame(header, 8))


@pytest.mark.parametrize("header, says", [
    (b"[" + b"[]," * (wire.MAX_ELEMENTS // 2) + b"[]]", "values"),
    (b"[" * 1000 + b"]" * 1000, "nested 1,000 levels deep"),
    (b"{" + b'"a":{' * 200 + b"1" + b"}" * 201, "levels deep"),
])
def test_a_header_is_refused_by_counting_before_it_is_parsed(header, says):
    with pytest.raises(wire.WireError, match=says):
        wire.decode(_frame(header))


def test_brackets_and_quotes_inside_strings_do_not_count():
    value = ["[" * 500 + '\\"{' * 300, {"k": "]]]],,,,"}] * 3
    assert wire.decode(wire.encode(value)) == value


def test_the_prefix_alone_refuses_huge_headers_and_arrays():
    with pytest.raises(wire.WireError, match="header is 100 MiB .the limit is 16 MiB"):
        wire.check_prefix(16 + 100 * 2**20, 100 * 2**20)
    with pytest.raises(wire.WireError, match="300 MiB of arrays .the limit is 256 MiB"):
        wire.check_prefix(16 + 2 + 300 * 2**20, 2)


def test_encoding_refuses_what_the_other_side_would_refuse():
    with pytest.raises(wire.WireError, match="more than 256 MiB of arrays"):
        wire.encode(np.broadcast_to(0.0, (40_000_000,)))  # never materialised
    with pytest.raises(wire.WireError, match="nested more than 64"):
        deep = []
        for _ in range(70):
            deep = [deep]
        wire.encode(deep)


def test_arrays_decoded_from_a_writable_buffer_are_views_not_copies():
    frame = bytearray(wire.encode(np.arange(1000.0)))
    out = wire.decode(frame)
    assert np.shares_memory(out, np.frombuffer(frame, np.uint8))
    np.testing.assert_array_equal(out, np.arange(1000.0))


def test_a_frame_written_in_parts_is_the_frame_and_reads_back_in_place():
    """The grader writes a request as its header then the arrays' own buffers (no copy); the child
    reads it into one buffer whose arrays it decodes as views: the same frame as encode's, the
    same values (a non-contiguous array and an empty one included)."""
    import os
    import threading

    value = {"X": np.arange(300_000.0).reshape(1000, 300)[:, ::2], "e": np.zeros((0, 3)), "n": [1, (2.5, "a")],
             "b": np.array([True, False])}
    head, arrays = wire.encode_parts(value)
    assert all(isinstance(a, memoryview) for a in arrays)
    r, w = os.pipe()
    writer = threading.Thread(target=wire.write_frame, args=(w, (head, arrays)))
    writer.start()
    frame = wire.read_frame(r)
    writer.join()
    os.close(r), os.close(w)
    assert isinstance(frame, bytearray) and frame == wire.encode(value)
    back = wire.decode(frame)
    np.testing.assert_array_equal(back["X"], value["X"])
    assert back["X"].base is not None and back["X"].flags.writeable and back["e"].shape == (0, 3)
    assert back["n"] == [1, (2.5, "a")] and back["b"].tolist() == [True, False]


def test_a_frame_whose_arrays_share_bytes_is_refused():
    """Found by this stop's red team: a forged reply could point two arrays at the same bytes, so the
    grader held two writable arrays where writing one changed the other. Each array must lie after
    the one before it, as encode lays them out."""
    import json
    import struct

    header = json.dumps({"@tuple": [{"@nd": ["<f8", [2], 0, 16]}, {"@nd": ["<f8", [2], 0, 16]}]}).encode()
    body = np.array([1.0, 2.0]).tobytes()
    frame = bytearray(struct.pack("<QQ", 16 + len(header) + len(body), len(header)) + header + body)
    with pytest.raises(wire.WireError, match="share bytes"):
        wire.decode(frame)
    a, b = wire.decode(wire.encode((np.array([1.0, 2.0]), np.array([3.0]))))  # encode's own layout
    assert not np.shares_memory(a, b)
