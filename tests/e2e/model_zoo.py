"""Small ONNX models built with onnx.helper and seeded random weights.

Used by the end-to-end tests (reference outputs come from onnxruntime) and by
tools/example.sh. Every builder takes an opset so that the importer's
opset-specific paths are exercised.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class GraphMaker:
    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)
        self.nodes, self.inits = [], []
        self.count = 0

    def weight(self, shape, scale=None, positive=False):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        scale = scale if scale is not None else 1.0 / np.sqrt(max(fan_in, 1))
        values = (self.rng.randn(*shape) * scale).astype(np.float32)
        if positive:
            values = np.abs(values) + np.float32(0.5)
        name = "w%d" % len(self.inits)
        self.inits.append(numpy_helper.from_array(values, name))
        return name

    def scalar(self, value):
        name = "s%d" % len(self.inits)
        self.inits.append(numpy_helper.from_array(np.array(value, dtype=np.float32), name))
        return name

    def ints(self, values):
        name = "c%d" % len(self.inits)
        self.inits.append(numpy_helper.from_array(np.array(values, dtype=np.int64), name))
        return name

    def node(self, op, inputs, outputs=1, **attrs):
        self.count += 1
        names = ["%s_%d_out%d" % (op.lower(), self.count, i) for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, name="%s_%d" % (op.lower(), self.count), **attrs))
        return names[0] if outputs == 1 else names

    def conv_bn_relu(self, x, cin, cout, k=3, stride=1, relu=True, bias=True):
        w = self.weight([cout, cin, k, k])
        inputs = [x, w, self.weight([cout], scale=0.1)] if bias else [x, w]
        y = self.node("Conv", inputs, kernel_shape=[k, k], strides=[stride, stride],
                      pads=[k // 2] * 4)
        y = self.node("BatchNormalization",
                      [y, self.weight([cout], positive=True), self.weight([cout], scale=0.1),
                       self.weight([cout], scale=0.1), self.weight([cout], positive=True)],
                      epsilon=1e-5)
        return self.node("Relu", [y]) if relu else y

    def model(self, name, inputs, outputs, opset):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="dlc-tests")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def small_cnn(opset=13, seed=0, channels=8, size=16, classes=10, softmax=True):
    """conv-bn-relu, maxpool, conv-relu, conv + residual add + relu, global pool, gemm."""
    g = GraphMaker(seed)
    x = g.conv_bn_relu("input", 3, channels)
    x = g.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    skip = x
    y = g.conv_bn_relu(x, channels, channels)
    y = g.conv_bn_relu(y, channels, channels, relu=False)
    y = g.node("Relu", [g.node("Add", [y, skip])])
    y = g.node("AveragePool", [y], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    y = g.node("GlobalAveragePool", [y])
    y = g.node("Flatten", [y], axis=1)
    y = g.node("Gemm", [y, g.weight([classes, channels]), g.weight([classes], scale=0.1)],
               transB=1)
    g.nodes[-1].output[0] = "logits"
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])]
    if softmax:
        g.node("Softmax", ["logits"], axis=1)
        g.nodes[-1].output[0] = "probs"
        outputs.append(helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, classes]))
    return g.model("small_cnn",
                   [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
                   outputs, opset)


def mlp(opset=13, seed=1, batch=4, features=32, hidden=64, classes=10):
    """MatMul + Add + activations, Gemm, Dropout, Reshape, Softmax."""
    g = GraphMaker(seed)
    x = g.node("MatMul", ["input", g.weight([features, hidden])])
    x = g.node("Add", [x, g.weight([hidden], scale=0.1)])
    x = g.node("Relu", [x])
    x = g.node("Dropout", [x])
    x = g.node("Gemm", [x, g.weight([hidden, hidden])], alpha=0.5, beta=1.0)
    x = g.node("Tanh", [x])
    x = g.node("Reshape", [x, g.ints([batch, 2, hidden // 2])])
    x = g.node("Transpose", [x], perm=[0, 2, 1])
    x = g.node("Reshape", [x, g.ints([0, -1])])
    x = g.node("Sigmoid", [x])
    x = g.node("Concat", [x, x], axis=1)
    x = g.node("Sub", [x, g.weight([1], scale=0.1)])
    x = g.node("Div", [x, g.weight([2 * hidden], positive=True)])
    x = g.node("Mul", [x, g.weight([2 * hidden])])
    x = g.node("Gemm", [x, g.weight([2 * hidden, classes]), g.weight([1, classes], scale=0.1)])
    x = g.node("Identity", [x])
    x = g.node("Softmax", [x], axis=-1 if opset >= 13 else 1)
    g.nodes[-1].output[0] = "output"
    return g.model("mlp",
                   [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, features])],
                   [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, classes])],
                   opset)


def gather_slice(opset=13, seed=3, rows=6, cols=10):
    """Slice (negative, out-of-range and stepped bounds) and Gather (negative
    and 2-d indices) with constant arguments, as shape subgraphs use them."""
    g = GraphMaker(seed)
    x = g.node("Slice", ["input", g.ints([1, -100]), g.ints([-1, 1 << 40]), g.ints([0, -1]),
                         g.ints([1, 2])])                                 # [4, 5]
    x = g.node("Gather", [x, g.ints([[0, -1], [2, 1]])], axis=1)          # [4, 2, 2]
    x = g.node("Gather", [x, g.ints([3, 0, -2])], axis=0)                 # [3, 2, 2]
    x = g.node("Tanh", [x])
    g.nodes[-1].output[0] = "output"
    return g.model("gather_slice",
                   [helper.make_tensor_value_info("input", TensorProto.FLOAT, [rows, cols])],
                   [helper.make_tensor_value_info("output", TensorProto.FLOAT, [3, 2, 2])],
                   opset)


def resnet50(opset=13, seed=2, size=224, classes=1000):
    """The ResNet-50 v1.5 architecture (bottlenecks [3, 4, 6, 3], stride on the
    3x3 conv), BatchNorm after every conv, random weights."""
    g = GraphMaker(seed)
    x = g.conv_bn_relu("input", 3, 64, k=7, stride=2, bias=False)
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, (blocks, width) in enumerate(zip([3, 4, 6, 3], [64, 128, 256, 512])):
        for block in range(blocks):
            stride = 2 if block == 0 and stage > 0 else 1
            y = g.conv_bn_relu(x, cin, width, k=1, bias=False)
            y = g.conv_bn_relu(y, width, width, k=3, stride=stride, bias=False)
            y = g.conv_bn_relu(y, width, width * 4, k=1, relu=False, bias=False)
            skip = x
            if block == 0:
                skip = g.conv_bn_relu(x, cin, width * 4, k=1, stride=stride, relu=False,
                                      bias=False)
            x = g.node("Relu", [g.node("Add", [y, skip])])
            cin = width * 4
    x = g.node("GlobalAveragePool", [x])
    x = g.node("Flatten", [x], axis=1)
    x = g.node("Gemm", [x, g.weight([classes, cin]), g.weight([classes], scale=0.1)], transB=1)
    g.nodes[-1].output[0] = "logits"
    return g.model("resnet50",
                   [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])],
                   opset)


def mobilenet_v2(opset=13, seed=4, size=224, classes=1000):
    """MobileNetV2 (width 1.0): inverted residual blocks of 1x1 expansion,
    3x3 depthwise and 1x1 projection convs with BatchNorm and ReLU6 (Clip),
    random weights."""
    g = GraphMaker(seed)

    def conv_bn(x, cin, cout, k=1, stride=1, group=1, relu6=True):
        w = g.weight([cout, cin // group, k, k])
        y = g.node("Conv", [x, w], kernel_shape=[k, k], strides=[stride, stride],
                   pads=[k // 2] * 4, group=group)
        y = g.node("BatchNormalization",
                   [y, g.weight([cout], positive=True), g.weight([cout], scale=0.1),
                    g.weight([cout], scale=0.1), g.weight([cout], positive=True)],
                   epsilon=1e-5)
        if relu6:
            y = g.node("Clip", [y, g.scalar(0.0), g.scalar(6.0)])
        return y

    x = conv_bn("input", 3, 32, k=3, stride=2)
    cin = 32
    for expand, cout, repeats, stride in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                                          (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                                          (6, 320, 1, 1)]:
        for i in range(repeats):
            hidden = cin * expand
            y = conv_bn(x, cin, hidden) if expand != 1 else x
            y = conv_bn(y, hidden, hidden, k=3, stride=stride if i == 0 else 1, group=hidden)
            y = conv_bn(y, hidden, cout, relu6=False)
            x = g.node("Add", [x, y]) if (i > 0 or stride == 1) and cin == cout else y
            cin = cout
    x = conv_bn(x, cin, 1280)
    x = g.node("GlobalAveragePool", [x])
    x = g.node("Flatten", [x], axis=1)
    x = g.node("Gemm", [x, g.weight([classes, 1280]), g.weight([classes], scale=0.1)],
               transB=1)
    g.nodes[-1].output[0] = "logits"
    return g.model("mobilenet_v2",
                   [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])],
                   opset)


def bert_encoder(opset=17, seed=5, layers=2, hidden=64, heads=4, seq=16, inter=128,
                 any_batch=False):
    """A BERT encoder over token embeddings [1, seq, hidden]: per layer,
    multi-head self-attention (Q/K/V projections, scaled dot products,
    softmax), output projection, residual + LayerNorm, a GELU (erf) feed
    forward, residual + LayerNorm. BERT-base is layers=12, hidden=768,
    heads=12, inter=3072 (seq 128 in the benchmark). LayerNormalization is
    used from opset 17, spelled out below it. With `any_batch`, the
    Reshapes copy dim 0 (ONNX's 0) instead of fixing it at 1, as exporters
    write them for a dynamic batch."""
    g = GraphMaker(seed)
    head = hidden // heads

    def linear(x, cin, cout):
        y = g.node("MatMul", [x, g.weight([cin, cout])])
        return g.node("Add", [y, g.weight([cout], scale=0.1)])

    def layer_norm(x):
        scale, bias = g.weight([hidden], positive=True), g.weight([hidden], scale=0.1)
        if opset >= 17:
            return g.node("LayerNormalization", [x, scale, bias], axis=-1, epsilon=1e-12)
        mean = g.node("ReduceMean", [x], axes=[-1])
        centered = g.node("Sub", [x, mean])
        var = g.node("ReduceMean", [g.node("Mul", [centered, centered])], axes=[-1])
        std = g.node("Sqrt", [g.node("Add", [var, g.scalar(1e-12)])])
        return g.node("Add", [g.node("Mul", [g.node("Div", [centered, std]), scale]), bias])

    def split_heads(x, transpose_k=False):
        x = g.node("Reshape", [x, g.ints([0 if any_batch else 1, seq, heads, head])])
        return g.node("Transpose", [x], perm=[0, 2, 3, 1] if transpose_k else [0, 2, 1, 3])

    x = "input"
    for _ in range(layers):
        q = split_heads(linear(x, hidden, hidden))
        k = split_heads(linear(x, hidden, hidden), transpose_k=True)
        v = split_heads(linear(x, hidden, hidden))
        scores = g.node("Div", [g.node("MatMul", [q, k]), g.scalar(float(np.sqrt(head)))])
        probs = g.node("Softmax", [scores], axis=-1)
        context = g.node("Transpose", [g.node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        context = g.node("Reshape", [context, g.ints([0 if any_batch else 1, seq, hidden])])
        x = layer_norm(g.node("Add", [linear(context, hidden, hidden), x]))
        h = linear(x, hidden, inter)
        gelu = g.node("Mul", [g.node("Mul", [h, g.scalar(0.5)]),
                              g.node("Add", [g.node("Erf", [g.node("Div", [h, g.scalar(
                                  float(np.sqrt(2.0)))])]), g.scalar(1.0)])])
        x = layer_norm(g.node("Add", [linear(gelu, inter, hidden), x]))
    g.nodes[-1].output[0] = "output"
    return g.model("bert_encoder",
                   [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, seq, hidden])],
                   [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, seq, hidden])],
                   opset)


MODELS = {"small_cnn": small_cnn, "mlp": mlp, "gather_slice": gather_slice,
          "bert_encoder": bert_encoder}
