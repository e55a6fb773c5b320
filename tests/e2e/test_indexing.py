"""TopK, ScatterElements, ScatterND and ReverseSequence on inputs larger and
harder than the ONNX node cases (ties, duplicate indices, negative indices,
every reduction), against onnxruntime."""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import dlc_harness as h


check = h.check_against_onnxruntime


def tensor(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


F32, I64, I32 = TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32


@pytest.mark.parametrize("largest", [1, 0])
# k up to 2 * ceil(log2(n)) takes selection rounds, larger k a merge sort:
# (1, 20), (-1, 13) and (-1, 33) sort.
@pytest.mark.parametrize("axis,k", [(-1, 1), (-1, 7), (1, 20), (0, 3), (-1, 13), (-1, 33)])
def test_top_k_with_ties(axis, k, largest):
    # Values from a small range: many ties, which must come in index order.
    rng = np.random.RandomState(7)
    x = rng.randint(-4, 5, size=(6, 20, 33)).astype(np.float32)
    out_shape = list(x.shape)
    out_shape[axis] = k
    check([helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=axis, largest=largest)],
          [tensor("x", F32, x.shape)],
          [tensor("v", F32, out_shape), tensor("i", I64, out_shape)],
          {"x": x}, [numpy_helper.from_array(np.array([k], np.int64), "k")])


def test_top_k_integers():
    x = np.random.RandomState(3).randint(-1000, 1000, size=(4, 50)).astype(np.int32)
    check([helper.make_node("TopK", ["x", "k"], ["v", "i"], largest=0)],
          [tensor("x", I32, x.shape)], [tensor("v", I32, [4, 5]), tensor("i", I64, [4, 5])],
          {"x": x}, [numpy_helper.from_array(np.array([5], np.int64), "k")])


@pytest.mark.parametrize("largest", [1, 0])
@pytest.mark.parametrize("k", [4099, 1000, 25])
def test_top_k_of_long_rows(k, largest):
    # Rows of a prime length (odd runs in every merge pass), half of them
    # ties, which go in index order; NaNs of both signs (above every
    # number) and zeros of both signs (equal). k = 4099 sorts the row as
    # packed keys, 1000 and 25 keep a heap first.
    rng = np.random.RandomState(5)
    x = np.where(rng.rand(3, 4099) < 0.5, rng.randint(-3, 3, size=(3, 4099)),
                 rng.randn(3, 4099)).astype(np.float32)
    x[:, ::97] = np.nan
    x[:, 5::89] = -np.nan
    x[:, 7::13] = -0.0
    check([helper.make_node("TopK", ["x", "k"], ["v", "i"], largest=largest)],
          [tensor("x", F32, x.shape)], [tensor("v", F32, [3, k]), tensor("i", I64, [3, k])],
          {"x": x}, [numpy_helper.from_array(np.array([k], np.int64), "k")])


@pytest.mark.parametrize("largest", [1, 0])
def test_top_k_of_a_long_integer_row(largest):
    # int32 keys: signed order, the extremes included.
    rng = np.random.RandomState(6)
    x = rng.randint(-50, 50, size=(2, 3001)).astype(np.int32)
    x[:, ::101] = np.iinfo(np.int32).min
    x[:, 3::103] = np.iinfo(np.int32).max
    check([helper.make_node("TopK", ["x", "k"], ["v", "i"], largest=largest)],
          [tensor("x", I32, x.shape)], [tensor("v", I32, [2, 3001]), tensor("i", I64, [2, 3001])],
          {"x": x}, [numpy_helper.from_array(np.array([3001], np.int64), "k")])


@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_elements(reduction):
    rng = np.random.RandomState(11)
    data = rng.randn(5, 8, 6).astype(np.float32)
    updates = rng.randn(5, 12, 6).astype(np.float32)
    # Indices in [-8, 8): negative ones count from the end.
    indices = rng.randint(-8, 8, size=updates.shape).astype(np.int64)
    if reduction == "none":
        # Duplicates are undefined without a reduction: one index per target.
        indices = np.array([[rng.permutation(8)[:6] for _ in range(6)] for _ in range(5)])
        indices = indices.transpose(0, 2, 1).astype(np.int64)  # [5, 6 targets, 6]
        updates = updates[:, :6]
    check([helper.make_node("ScatterElements", ["d", "i", "u"], ["y"], axis=1,
                            reduction=reduction)],
          [tensor("d", F32, data.shape), tensor("i", I64, indices.shape),
           tensor("u", F32, updates.shape)],
          [tensor("y", F32, data.shape)], {"d": data, "i": indices, "u": updates})


@pytest.mark.parametrize("reduction", ["none", "add", "max"])
def test_scatter_nd(reduction):
    rng = np.random.RandomState(5)
    data = rng.randint(-50, 50, size=(6, 4, 5)).astype(np.int64)
    if reduction == "none":
        indices = np.array([[[1, 2], [5, 0]], [[-1, 3], [0, 0]]], np.int64)
    else:
        # Duplicates; negative coordinates count from the end of their dim.
        indices = np.stack([rng.randint(-6, 6, size=(3, 4)), rng.randint(-4, 4, size=(3, 4))],
                           -1).astype(np.int64)
    updates = rng.randint(-50, 50, size=indices.shape[:-1] + (5,)).astype(np.int64)
    check([helper.make_node("ScatterND", ["d", "i", "u"], ["y"], reduction=reduction)],
          [tensor("d", I64, data.shape), tensor("i", I64, indices.shape),
           tensor("u", I64, updates.shape)],
          [tensor("y", I64, data.shape)], {"d": data, "i": indices, "u": updates})


@pytest.mark.parametrize("time_axis,batch_axis", [(0, 1), (1, 0)])
def test_reverse_sequence(time_axis, batch_axis):
    rng = np.random.RandomState(2)
    shape = [9, 4, 3] if time_axis == 0 else [4, 9, 3]
    x = rng.randn(*shape).astype(np.float32)
    lens = np.array([9, 1, 5, 0], np.int64)
    check([helper.make_node("ReverseSequence", ["x", "lens"], ["y"],
                            time_axis=time_axis, batch_axis=batch_axis)],
          [tensor("x", F32, shape), tensor("lens", I64, [4])],
          [tensor("y", F32, shape)], {"x": x, "lens": lens})
