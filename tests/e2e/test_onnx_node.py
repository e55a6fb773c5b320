"""ONNX backend node tests (Debian libonnx-testdata) listed in
onnx_node_tests.txt: compiled by dlc, run on every test_data_set_N and
compared with ONNX's expected outputs (rtol 1e-3, atol 1e-7)."""
import os
import shutil

import pytest

import dlc_harness as h

NODE_DIR = "/usr/share/libonnx-testdata/data/node"
LIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_node_tests.txt")
CASES = [line.strip() for line in open(LIST) if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("case", CASES)
def test_node(case):
    work = h.new_work_dir()
    failure = h.run_node_case(os.path.join(NODE_DIR, case), work)
    shutil.rmtree(work, ignore_errors=True)
    assert failure is None, failure
