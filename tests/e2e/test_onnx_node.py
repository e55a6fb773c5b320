"""ONNX backend node tests, two suites: Debian's libonnx-testdata (onnx 1.12,
opsets up to 17) and the node tests of the onnx wheel in
tools/requirements.txt (opsets up to its newest; written out beside the venv
by tools/install.sh). Every case listed in the suite's list is compiled by
dlc, run on every test_data_set_N and compared with ONNX's expected outputs
(rtol 1e-3, atol 1e-7). Every case not listed must be refused with one clear
dlc error: a crash, a wrong shape or a wrong answer fails the suite (a wrong
answer is never a clean failure; the one exception, float16 outputs within
4 units in the last place, is named below), and so does a case that passes
until it is added to the list, so the count only goes up. tools/conformance/conformance.py
--list-passing regenerates the lists.

DLC_NODE_SUITE=debian|wheel picks one suite (one Bazel target each)."""
import os
import re
import shutil
import sys

import pytest

import dlc_harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = "/usr/share/libonnx-testdata/data/node"
WHEEL_NODE_DIR = os.path.join(os.environ.get("DLC_VENV", sys.prefix), "onnx-wheel-node")
SUITES = {
    "debian": (NODE_DIR, os.path.join(HERE, "onnx_node_tests.txt")),
    "wheel": (WHEEL_NODE_DIR, os.path.join(HERE, "onnx_wheel_node_tests.txt")),
}


def listed(path):
    return [line.strip() for line in open(path) if line.strip() and not line.startswith("#")]


def cases_of(suite):
    folder, list_path = SUITES[suite]
    cases = listed(list_path)
    present = [c for c in os.listdir(folder) if os.path.isdir(os.path.join(folder, c))]
    return cases, sorted(set(present) - set(cases))


# The Debian suite's passing cases, for the CUDA target's tests.
CASES = listed(SUITES["debian"][1])
CHOSEN = [s for s in SUITES if os.environ.get("DLC_NODE_SUITE", s) == s]

# A clean failure is a refusal: one message of dlc's, at compile or run time.
CLEAN_FAILURES = ("compile error: dlc: error:", "run error: dlc: error:")
# The one kind of wrong answer tolerated in an unlisted case: a float16
# output within a few units in the last place of ONNX's (dlc accumulates
# float16 matmuls and reductions in float16, ONNX's reference in float32).
# Such a case still counts as failing; a larger error fails the suite.
FLOAT16_ULPS = 4.0
FLOAT16_MISMATCH = re.compile(r"^mismatch on output .*\(float16: ([0-9.]+) ulp\)$")


def refused_or_float16_rounding(failure):
    if failure.startswith(CLEAN_FAILURES):
        return True
    match = FLOAT16_MISMATCH.match(failure)
    return bool(match) and float(match.group(1)) <= FLOAT16_ULPS


def run_case(folder, case):
    work = h.new_work_dir()
    try:
        return h.run_node_case(os.path.join(folder, case), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("suite", CHOSEN)
def test_list_is_sorted_unique_and_known(suite):
    folder, list_path = SUITES[suite]
    cases = listed(list_path)
    assert cases == sorted(set(cases))
    missing = [case for case in cases if not os.path.isdir(os.path.join(folder, case))]
    assert not missing


LISTED = [(suite, case) for suite in CHOSEN for case in cases_of(suite)[0]]
UNLISTED = [(suite, case) for suite in CHOSEN for case in cases_of(suite)[1]]

# Bazel's test sharding (shard_count): this shard runs every n-th case.
if os.environ.get("TEST_TOTAL_SHARDS"):
    SHARDS = int(os.environ["TEST_TOTAL_SHARDS"])
    SHARD = int(os.environ["TEST_SHARD_INDEX"])
    LISTED, UNLISTED = LISTED[SHARD::SHARDS], UNLISTED[SHARD::SHARDS]
    if os.environ.get("TEST_SHARD_STATUS_FILE"):
        open(os.environ["TEST_SHARD_STATUS_FILE"], "w").close()


@pytest.mark.parametrize("suite,case", LISTED)
def test_node(suite, case):
    failure = run_case(SUITES[suite][0], case)
    assert failure is None, failure


@pytest.mark.parametrize("suite,case", UNLISTED)
def test_unlisted_is_refused(suite, case):
    failure = run_case(SUITES[suite][0], case)
    assert failure is not None, "newly passing: add %s to %s" % (
        case, os.path.basename(SUITES[suite][1]))
    assert refused_or_float16_rounding(failure), failure
