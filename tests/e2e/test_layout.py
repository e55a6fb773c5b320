"""The blocked channel layout (-O3) on the shapes today's exporters write,
against onnxruntime, at -O3 and at -O2 (no blocked layout): squeeze-excitation
blocks whose squeezed channel counts the block does not divide, spatial means
with negative axes given as an input (torch's dynamo exporter), a reshape
after a global reduction, and channel counts with no divisor below the
block."""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import dlc_harness as h

OPSET = 20


class Graph:
    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)
        self.nodes, self.inits = [], []

    def const(self, value, dtype=np.float32):
        name = "c%d" % len(self.inits)
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op, inputs, **attrs):
        out = "%s%d" % (op.lower(), len(self.nodes))
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x, cin, cout, k=1, group=1):
        w = self.const(self.rng.randn(cout, cin // group, k, k) / np.sqrt(cin // group * k * k))
        b = self.const(self.rng.randn(cout) * 0.1)
        return self.node("Conv", [x, w, b], kernel_shape=[k, k], pads=[k // 2] * 4, group=group)

    def spatial_mean(self, x):
        # As torch.onnx.export(dynamo=True) writes AdaptiveAvgPool2d(1).
        return self.node("ReduceMean", [x, self.const([-1, -2], np.int64)], keepdims=1)

    def squeeze_excitation(self, x, channels, squeezed):
        s = self.spatial_mean(x)
        s = self.node("Relu", [self.conv(s, channels, squeezed)])
        s = self.node("HardSigmoid", [self.conv(s, squeezed, channels)], alpha=1 / 6)
        return self.node("Mul", [x, s])

    def check(self, x_shape, out, out_shape):
        inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)]
        self.nodes[-1].output[0] = "out"
        self.nodes[-1].name = "out"
        outputs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, out_shape)]
        x = np.random.RandomState(1).randn(*x_shape).astype(np.float32)
        for level in ("-O3", "-O2"):
            check_level(self.nodes, inputs, outputs, {"x": x}, self.inits, level)


def check_level(nodes, inputs, outputs, feeds, inits, level):
    import os

    import onnx
    import onnxruntime
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    expected = onnxruntime.InferenceSession(
        path, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    library = h.compile_model(path, os.path.join(work, "lib"), name="g", extra=(level,))
    actual = h.run_library(library, feeds, work)["out"]
    assert actual.shape == expected.shape, level
    assert h.relative_l2(expected, actual) < 1e-5, level


@pytest.mark.parametrize("channels,squeezed", [(16, 4), (24, 8), (40, 10), (72, 18), (16, 1)])
def test_squeeze_excitation_then_classifier(channels, squeezed):
    """An SE block (MobileNetV3, EfficientNet): the squeezed convs have
    channel counts the block does not divide; then global pooling with
    negative axes, a reshape to [1, C] and a matmul."""
    g = Graph(channels + squeezed)
    y = g.node("Relu", [g.conv("x", 8, channels, k=3)])
    y = g.squeeze_excitation(y, channels, squeezed)
    y = g.node("Reshape", [g.spatial_mean(y), g.const([1, channels], np.int64)])
    w = g.const(g.rng.randn(channels, 10) / np.sqrt(channels))
    g.node("MatMul", [y, w])
    g.check([1, 8, 9, 9], "out", [1, 10])


@pytest.mark.parametrize("channels", [7, 13, 17, 20])
def test_channel_counts_without_a_block(channels):
    """Channel counts that 8 does not divide (a prime above the block is
    left unblocked), through a depthwise conv, a residual add and a pool."""
    g = Graph(channels)
    y = g.node("Relu", [g.conv("x", 3, channels, k=3)])
    z = g.conv(y, channels, channels, k=3, group=channels)
    y = g.node("Add", [y, z])
    y = g.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    g.node("Mul", [g.spatial_mean(y), g.const(2.0)])
    g.check([1, 3, 10, 10], "out", [1, channels, 1, 1])
