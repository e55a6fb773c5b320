"""ONNX backend node tests (Debian libonnx-testdata): every case listed in
onnx_node_tests.txt is compiled by dlc, run on every test_data_set_N and
compared with ONNX's expected outputs (rtol 1e-3, atol 1e-7). Every case not
listed must fail with one clear dlc error (never a crash); one that passes
fails the suite until it is added to the list, so the count only goes up.
tools/conformance/conformance.py regenerates the list."""
import os
import shutil

import pytest

import dlc_harness as h

NODE_DIR = "/usr/share/libonnx-testdata/data/node"
LIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_node_tests.txt")
CASES = [line.strip() for line in open(LIST) if line.strip() and not line.startswith("#")]
UNLISTED = sorted(set(os.listdir(NODE_DIR)) - set(CASES))

# What a clean failure looks like: a message of dlc's, or a wrong result.
CLEAN_FAILURES = ("compile error: dlc: error:", "run error: dlc: error:", "mismatch on output",
                  "shape mismatch on output", "dtype mismatch on output")


def run_case(case):
    work = h.new_work_dir()
    try:
        return h.run_node_case(os.path.join(NODE_DIR, case), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_list_is_sorted_unique_and_known():
    assert CASES == sorted(set(CASES))
    missing = [case for case in CASES if not os.path.isdir(os.path.join(NODE_DIR, case))]
    assert not missing


@pytest.mark.parametrize("case", CASES)
def test_node(case):
    failure = run_case(case)
    assert failure is None, failure


@pytest.mark.parametrize("case", UNLISTED)
def test_unlisted_fails_cleanly(case):
    failure = run_case(case)
    assert failure is not None, "newly passing: add %s to onnx_node_tests.txt" % case
    assert failure.startswith(CLEAN_FAILURES), failure
