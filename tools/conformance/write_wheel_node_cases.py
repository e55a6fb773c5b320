#!/usr/bin/env python3
"""Writes the onnx wheel's node test cases out as backend-test folders.

The onnx wheel ships its node tests as Python (onnx.backend.test.case.node),
not as data folders. This writes each case whose graph inputs and outputs are
all tensors as OUT/<case>/model.onnx + test_data_set_N/{input,output}_K.pb,
the layout of the Debian node suite, so that tools/conformance and
tests/e2e/test_onnx_node.py run both suites the same way. Cases with
sequence, map or optional inputs or outputs are left out (dlc takes tensors
only). OUT/VERSION holds the onnx version written; a folder already holding
the installed version is left as it is.

  write_wheel_node_cases.py OUT
"""
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper


def is_tensor_only(model):
    values = list(model.graph.input) + list(model.graph.output)
    return all(v.type.HasField("tensor_type") for v in values)


def tensor_bytes(value, name):
    if isinstance(value, TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(np.asarray(value), name).SerializeToString()


def write_case(case, root):
    folder = os.path.join(root, case.name)
    os.makedirs(folder)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    graph = case.model.graph
    for n, (inputs, outputs) in enumerate(case.data_sets):
        data = os.path.join(folder, "test_data_set_%d" % n)
        os.makedirs(data)
        for kind, values, infos in (("input", inputs, graph.input),
                                    ("output", outputs, graph.output)):
            for k, value in enumerate(values):
                with open(os.path.join(data, "%s_%d.pb" % (kind, k)), "wb") as f:
                    f.write(tensor_bytes(value, infos[k].name))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    version_file = os.path.join(out, "VERSION")
    if os.path.exists(version_file) and open(version_file).read().strip() == onnx.__version__:
        return
    from onnx.backend.test.case.node import collect_testcases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the case scripts divide by zero on purpose
        cases = collect_testcases(None)
    # Written beside OUT and moved into place, so that an interrupted run
    # never leaves a partial suite behind.
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".wheel-node-", dir=parent)
    written = 0
    for case in cases:
        if case.kind == "node" and case.model is not None and is_tensor_only(case.model):
            write_case(case, staging)
            written += 1
    with open(os.path.join(staging, "VERSION"), "w") as f:
        f.write(onnx.__version__ + "\n")
    if os.path.exists(out):
        shutil.rmtree(out)
    os.rename(staging, out)
    print("wrote %d of %d onnx %s node cases to %s" % (written, len(cases), onnx.__version__,
                                                       out), file=sys.stderr)


if __name__ == "__main__":
    main()
