"""ONNX backend node tests, two suites: Debian's libonnx-testdata (onnx 1.12,
opsets up to 17) and the node tests of the onnx wheel in
tools/requirements.txt (opsets up to its newest; written out beside the venv
by tools/install.sh). Every case listed in the suite's list is compiled by
dlc, run on every test_data_set_N and compared with ONNX's expected outputs
(rtol 1e-3, atol 1e-7). Every case not listed must be refused with one clear
dlc error: a crash, a wrong shape or a wrong answer fails the suite (a wrong
answer is never a clean failure; the one exception, float16 and float32
outputs within 4 units in the last place of their largest magnitude, is
named below), and so does a case that passes
until it is added to the list, so the count only goes up. A listed case
marked `bind` passes only with an input that decides a shape bound at
compile time (--bind-input); every other listed case must pass with all its
inputs given at run time, as a user's runtime gives them (the strict
count), and a marked case that no longer needs the binding fails the suite
until its mark is removed. tools/conformance/conformance.py --list-passing
regenerates the lists.

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


def entries(path):
    return [line.split() for line in open(path) if line.strip() and not line.startswith("#")]


def listed(path):
    return [entry[0] for entry in entries(path)]


def needs_binding(path):
    """The listed cases marked `bind`."""
    return {entry[0] for entry in entries(path) if entry[1:] == ["bind"]}


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
# The one kind of wrong answer tolerated in an unlisted case: rounding. A
# float16, float32 or bfloat16 output whose largest error is within a few
# units in the last place of the output's largest magnitude (dlc accumulates
# float16 matmuls and reductions in float16, ONNX's reference in float32; a
# float32 sum that cancels to ~0, as in a DFT, misses ONNX's fixed atol of
# 1e-7 by the rounding of its terms; ONNX's reference rounds a bfloat16
# model's intermediates to bfloat16, dlc computes them in float32). Such a
# case still counts as failing; a larger error fails the suite.
ROUNDING_ULPS = 4.0
ROUNDING_MISMATCH = re.compile(
    r"^mismatch on output .*\((?:b?float16|float32): ([0-9.]+) ulp\)$")


# Cases whose stored expected outputs ONNX's own reference evaluator does not
# reproduce from their model: Debian's test_adam_multiple was computed with
# epsilon=0.01 but its model leaves epsilon at the default 1e-6 (the wheel's
# copy of the case carries the attribute). Such a case stays unlisted and is
# checked against outputs that onnx.reference.ReferenceEvaluator computes from
# the case's model and inputs instead. Debian's test_cast_FLOAT_to_BFLOAT16
# truncates to bfloat16 (an early reference's rule); ONNX's reference,
# onnxruntime and ml_dtypes round to nearest even, as dlc does.
STALE_REFERENCE = {("debian", "test_adam_multiple"),
                   ("debian", "test_cast_FLOAT_to_BFLOAT16")}


def with_reference_outputs(case_dir, work):
    """A copy of the case whose output_K.pb come from ONNX's reference
    evaluator."""
    import onnx
    from onnx import numpy_helper
    from onnx.reference import ReferenceEvaluator
    copy = os.path.join(work, "reference_case")
    shutil.copytree(case_dir, copy)
    model = onnx.load(os.path.join(copy, "model.onnx"))
    evaluator = ReferenceEvaluator(model)
    initializers = {t.name for t in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in initializers]
    for data_set in sorted(d for d in os.listdir(copy) if d.startswith("test_data_set_")):
        folder = os.path.join(copy, data_set)
        feeds = {name: numpy_helper.to_array(
                     onnx.load_tensor(os.path.join(folder, "input_%d.pb" % i)))
                 for i, name in enumerate(names)}
        for k, value in enumerate(evaluator.run(None, feeds)):
            onnx.save_tensor(numpy_helper.from_array(value),
                             os.path.join(folder, "output_%d.pb" % k))
    return copy


def refused_or_rounding(failure):
    if failure.startswith(CLEAN_FAILURES):
        return True
    match = ROUNDING_MISMATCH.match(failure)
    return bool(match) and float(match.group(1)) <= ROUNDING_ULPS


def run_case(folder, case, bound=None):
    work = h.new_work_dir()
    try:
        return h.run_node_case(os.path.join(folder, case), work, bound)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("suite", CHOSEN)
def test_list_is_sorted_unique_and_known(suite):
    folder, list_path = SUITES[suite]
    cases = listed(list_path)
    assert cases == sorted(set(cases))
    assert all(entry[1:] in ([], ["bind"]) for entry in entries(list_path))
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
    bound = []
    failure = run_case(SUITES[suite][0], case, bound)
    assert failure is None, failure
    if case in needs_binding(SUITES[suite][1]):
        assert bound, "passes with every input at run time: remove the bind mark of " + case
    else:
        assert not bound, "needs --bind-input %s again (a strict case)" % ", ".join(bound)


@pytest.mark.parametrize("suite,case", UNLISTED)
def test_unlisted_is_refused(suite, case):
    if (suite, case) in STALE_REFERENCE:
        work = h.new_work_dir()
        try:
            fixed = with_reference_outputs(os.path.join(SUITES[suite][0], case), work)
            failure = h.run_node_case(fixed, os.path.join(work, "run"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        assert failure is None, "against ONNX's reference evaluator: " + failure
        return
    failure = run_case(SUITES[suite][0], case)
    assert failure is not None, "newly passing: add %s to %s" % (
        case, os.path.basename(SUITES[suite][1]))
    assert refused_or_rounding(failure), failure
