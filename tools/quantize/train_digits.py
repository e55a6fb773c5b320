#!/usr/bin/env python3
"""Trains a small CNN on scikit-learn's digits (1797 8x8 images) and exports
it to ONNX, so quantization is measured against a real accuracy.

Writes into OUT:
  digits.onnx                 Conv(1->16, 3x3) Relu Conv(16->32, 3x3, s2)
                              Relu Flatten Gemm(512->10); input "image"
                              [batch, 1, 8, 8] (pixels / 16), output "logits"
  calibration/NNN/image.npy   training images, one [1, 1, 8, 8] per sample
  test_images.npy, test_labels.npy   the held-out 30 % (540 images)
and prints the fp32 test accuracy of the numpy model. Deterministic (fixed
seeds); a few seconds on one core.

usage: train_digits.py OUT [--calibration-samples N] [--epochs E]
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def im2col(x, k, stride, pad):
    """x [N, C, H, W] -> columns [N, OH, OW, C*k*k]."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - k) // stride + 1
    ow = (w + 2 * pad - k) // stride + 1
    cols = np.empty((n, oh, ow, c, k, k), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, :, :, :, i, j] = xp[:, :, i:i + stride * oh:stride,
                                        j:j + stride * ow:stride].transpose(
                                            0, 2, 3, 1)
    return cols.reshape(n, oh, ow, c * k * k), (oh, ow)


def col2im(cols, shape, k, stride, pad):
    """The adjoint of im2col: columns [N, OH, OW, C*k*k] -> [N, C, H, W]."""
    n, c, h, w = shape
    oh, ow = cols.shape[1], cols.shape[2]
    cols = cols.reshape(n, oh, ow, c, k, k)
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            xp[:, :, i:i + stride * oh:stride,
               j:j + stride * ow:stride] += cols[:, :, :, :, i,
                                                 j].transpose(0, 3, 1, 2)
    return xp[:, :, pad:pad + h, pad:pad + w]


class Conv:
    def __init__(self, rng, cin, cout, stride):
        self.k, self.stride, self.pad = 3, stride, 1
        scale = np.sqrt(2.0 / (cin * 9))
        self.w = (rng.standard_normal((cout, cin, 3, 3)) * scale).astype(
            np.float32)
        self.b = np.zeros(cout, np.float32)

    def forward(self, x):
        self.x_shape = x.shape
        self.cols, (oh, ow) = im2col(x, self.k, self.stride, self.pad)
        y = self.cols @ self.w.reshape(len(self.w), -1).T + self.b
        return y.transpose(0, 3, 1, 2)

    def backward(self, dy):
        dy = dy.transpose(0, 2, 3, 1)  # [N, OH, OW, M]
        flat = dy.reshape(-1, dy.shape[-1])
        self.dw = (flat.T @ self.cols.reshape(-1, self.cols.shape[-1])
                   ).reshape(self.w.shape)
        self.db = flat.sum(0)
        dcols = dy @ self.w.reshape(len(self.w), -1)
        return col2im(dcols, self.x_shape, self.k, self.stride, self.pad)

    def params(self):
        return [(self.w, 'dw'), (self.b, 'db')]


class Dense:
    def __init__(self, rng, n_in, n_out):
        self.w = (rng.standard_normal((n_out, n_in)) *
                  np.sqrt(1.0 / n_in)).astype(np.float32)
        self.b = np.zeros(n_out, np.float32)

    def forward(self, x):
        self.x = x
        return x @ self.w.T + self.b

    def backward(self, dy):
        self.dw = dy.T @ self.x
        self.db = dy.sum(0)
        return dy @ self.w

    def params(self):
        return [(self.w, 'dw'), (self.b, 'db')]


def forward(layers, x):
    conv1, conv2, dense = layers
    h1 = np.maximum(conv1.forward(x), 0)
    h2 = np.maximum(conv2.forward(h1), 0)
    return dense.forward(h2.reshape(len(x), -1)), (h1, h2)


def train(x, y, epochs, rng):
    layers = [Conv(rng, 1, 16, 1), Conv(rng, 16, 32, 2), Dense(rng, 512, 10)]
    moments = {}
    step, lr, batch = 0, 2e-3, 32
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            logits, (h1, h2) = forward(layers, x[idx])
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(idx)), y[idx]] -= 1
            d = layers[2].backward(p / len(idx)).reshape(h2.shape)
            d = layers[1].backward(d * (h2 > 0))
            layers[0].backward(d * (h1 > 0))
            step += 1
            for layer in layers:  # Adam
                for value, grad_name in layer.params():
                    grad = getattr(layer, grad_name)
                    m, v = moments.setdefault(
                        id(value), (np.zeros_like(value),
                                    np.zeros_like(value)))
                    m *= 0.9
                    m += 0.1 * grad
                    v *= 0.999
                    v += 0.001 * grad * grad
                    mh = m / (1 - 0.9**step)
                    vh = v / (1 - 0.999**step)
                    value -= (lr * mh / (np.sqrt(vh) + 1e-8)).astype(
                        np.float32)
    return layers


def export(layers, path):
    conv1, conv2, dense = layers
    init = [
        numpy_helper.from_array(conv1.w, 'conv1.weight'),
        numpy_helper.from_array(conv1.b, 'conv1.bias'),
        numpy_helper.from_array(conv2.w, 'conv2.weight'),
        numpy_helper.from_array(conv2.b, 'conv2.bias'),
        numpy_helper.from_array(dense.w, 'fc.weight'),
        numpy_helper.from_array(dense.b, 'fc.bias'),
    ]
    nodes = [
        helper.make_node('Conv', ['image', 'conv1.weight', 'conv1.bias'],
                         ['conv1'], name='conv1', kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node('Relu', ['conv1'], ['relu1'], name='relu1'),
        helper.make_node('Conv', ['relu1', 'conv2.weight', 'conv2.bias'],
                         ['conv2'], name='conv2', kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node('Relu', ['conv2'], ['relu2'], name='relu2'),
        helper.make_node('Flatten', ['relu2'], ['flat'], name='flatten'),
        helper.make_node('Gemm', ['flat', 'fc.weight', 'fc.bias'], ['logits'],
                         name='fc', transB=1),
    ]
    graph = helper.make_graph(
        nodes, 'digits',
        [helper.make_tensor_value_info('image', TensorProto.FLOAT,
                                       ['batch', 1, 8, 8])],
        [helper.make_tensor_value_info('logits', TensorProto.FLOAT,
                                       ['batch', 10])], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('',
                                                                        17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out')
    parser.add_argument('--calibration-samples', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=15)
    args = parser.parse_args()
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.3, stratify=digits.target,
        random_state=0)
    rng = np.random.default_rng(0)
    layers = train(x_train, y_train, args.epochs, rng)
    logits, _ = forward(layers, x_test)
    accuracy = float((logits.argmax(1) == y_test).mean())
    os.makedirs(args.out, exist_ok=True)
    export(layers, os.path.join(args.out, 'digits.onnx'))
    np.save(os.path.join(args.out, 'test_images.npy'), x_test)
    np.save(os.path.join(args.out, 'test_labels.npy'), y_test)
    for i in range(args.calibration_samples):
        sample = os.path.join(args.out, 'calibration', f'{i:03d}')
        os.makedirs(sample, exist_ok=True)
        np.save(os.path.join(sample, 'image.npy'), x_train[i:i + 1])
    print(f'fp32 test accuracy (numpy): {accuracy:.4f} on {len(y_test)} '
          f'images')


if __name__ == '__main__':
    main()
