"""Graph and loop passes: what --report shows, and that no pass changes what
a model computes (outputs against onnxruntime and against the build without
that pass)."""
import collections
import os
import re
import subprocess

import numpy as np
import onnx
import onnxruntime
import pytest

import dlc_harness as h
import model_zoo

def optional_passes():
    """The passes `dlc compile --disable-pass` accepts, as its error for an
    unknown one lists them (the pipelines' one table of optional passes)."""
    result = h.run_dlc("compile", "unused.onnx", "-o", os.devnull, "--disable-pass=?",
                       check=False)
    match = re.search(r"is not an optional pass \((.*)\)", result.stderr)
    assert match, "no list of optional passes in: " + result.stderr
    return match.group(1).split(", ")


OPTIONAL_PASSES = optional_passes()


def test_optional_passes_are_listed():
    """Each pass the pipelines skip on request is in the table, and the help
    text lists each under its -O level."""
    assert set(OPTIONAL_PASSES) >= {
        "canonicalize", "cse", "dlc-fold-constants", "dlc-fold-batchnorm",
        "dlc-layout-nchwc", "dlc-fuse-ops", "dlc-tile-fused-groups", "dlc-plan-memory",
        "dlc-matmul-microkernel", "dlc-conv-microkernel", "dlc-parallelize-loops",
        "dlc-approximate-math", "dlc-outline-kernels", "dlc-merge-identical-kernels"}
    help_text = h.run_dlc("compile", "--help").stdout
    levels = {}
    level = None
    for line in help_text.split("--disable-pass")[1].split("--print-ir")[0].splitlines():
        found = re.match(r"\s+-O([0-3]):(.*)", line)
        if found:
            level = int(found.group(1))
        names = found.group(2) if found else line
        for name in re.findall(r"[a-z][a-z0-9-]+", names):
            if level is not None:
                levels[name] = level
    assert sorted(levels) == sorted(OPTIONAL_PASSES)
    # Levels the docs (docs/passes.md) and the pass tests rely on.
    assert levels["dlc-fuse-ops"] == 2 and levels["dlc-layout-nchwc"] == 3
    assert levels["canonicalize"] == 1 and levels["dlc-outline-kernels"] == 0


def reference(model_path, inputs):
    session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, inputs)))


def compile_with_report(path, out_dir, name, extra=()):
    result = h.run_dlc("compile", path, "-o", out_dir, "--name", name, "--report", *extra)
    report = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(": ")
        report[key] = value
    kernels = int(report["kernels"])
    layout_changes = int(report["layout changes"])
    arena, naive = report["arena"].replace("(naive ", "").replace(" bytes)", "").split(" bytes ")
    flops = int(report["estimated arithmetic"].split("(")[1].split(" FLOP")[0])
    return (os.path.join(out_dir, "lib%s.so" % name), kernels, layout_changes, int(arena),
            int(naive), flops)


def multiply_add_flops(model):
    """2 x the multiply-adds of the model's Conv and Gemm nodes plus the
    window reads of its pools, counted from ONNX's own shape inference: an
    independent lower bound of what --report estimates (which adds one per
    element of the elementwise ops)."""
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(inferred.graph.value_info) + list(inferred.graph.output)
              + list(inferred.graph.input)}
    shapes.update({t.name: list(t.dims) for t in model.graph.initializer})
    total = 0
    for node in model.graph.node:
        out = shapes[node.output[0]]
        if node.op_type == "Conv":
            total += 2 * int(np.prod(out)) * int(np.prod(shapes[node.input[1]][1:]))
        elif node.op_type == "Gemm":
            k = shapes[node.input[1]][1 if any(a.name == "transB" and a.i for a in
                                               node.attribute) else 0]
            total += 2 * int(np.prod(out)) * k
        elif node.op_type in ("MaxPool", "AveragePool"):
            kernel = next(a.ints for a in node.attribute if a.name == "kernel_shape")
            total += int(np.prod(out)) * int(np.prod(kernel))
        elif node.op_type == "GlobalAveragePool":
            total += int(np.prod(shapes[node.input[0]]))
    return total


def kernels_expected(model):
    """One kernel per conv, pool and gemm: every other op is absorbed (a
    padded conv reads its padding without a padded copy of its input). A
    Gemm the matmul micro-kernel takes (its weight constant, 2^16
    multiply-adds or more) is two: the kernel (which folds in the zero fill
    of its result) and its bias epilogue after it."""
    counts = collections.Counter(node.op_type for node in model.graph.node)
    weights = {t.name: t for t in model.graph.initializer}
    big_gemms = sum(1 for node in model.graph.node if node.op_type == "Gemm"
                    and node.input[1] in weights
                    and int(np.prod(weights[node.input[1]].dims)) >= 1 << 16)
    return big_gemms + sum(counts[op] for op in (
        "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Gemm"))


def check_model(model, name, work, max_arena_ratio):
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.RandomState(7).randn(*shape).astype(np.float32)
    library, kernels, layout_changes, arena, naive, flops = compile_with_report(
        path, os.path.join(work, "lib"), name)
    # The estimate is the multiply-adds and pooling windows plus a few
    # percent of elementwise work.
    assert multiply_add_flops(model) <= flops <= 1.05 * multiply_add_flops(model)
    # Besides, the blocked channel layout is entered once (the input) and left
    # once (before the flatten).
    assert layout_changes == 2
    assert kernels == kernels_expected(model) + layout_changes
    assert 0 < arena <= naive * max_arena_ratio
    expected = reference(path, {"input": x})
    actual = h.run_library(library, {"input": x}, work)
    for output, value in expected.items():
        assert h.relative_l2(value, actual[output]) < 1e-4, output


def test_residual_block_one_kernel_per_conv_pool_gemm():
    """conv-bn-relu, maxpool, conv-relu, conv + residual add + relu, pools, gemm."""
    check_model(model_zoo.small_cnn(softmax=False), "block", h.new_work_dir(), 1.0)


@pytest.fixture(scope="module")
def baselines():
    """Each model compiled with every pass, its inputs, its outputs and
    onnxruntime's (which the full build must match)."""
    work = h.new_work_dir()
    result = {}
    for name in sorted(model_zoo.MODELS):
        model = model_zoo.MODELS[name]()
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        x = np.random.RandomState(3).randn(*shape).astype(np.float32)
        library = h.compile_model(path, os.path.join(work, name), name=name)
        full = h.run_library(library, {"input": x}, os.path.join(work, name))
        expected = reference(path, {"input": x})
        assert sorted(full) == sorted(expected)
        for output, value in expected.items():
            assert h.relative_l2(value, full[output]) < 1e-4, (name, output)
        result[name] = (path, x, full, expected)
    return result


def check_outputs(got, full, expected):
    """Against onnxruntime, and against the build with every pass (a pass
    that is skipped changes rounding only)."""
    assert sorted(got) == sorted(expected)
    for output, value in expected.items():
        assert h.relative_l2(value, got[output]) < 1e-4, output
        assert h.relative_l2(got[output], full[output]) < 1e-5, output


@pytest.mark.parametrize("model_name", sorted(model_zoo.MODELS))
@pytest.mark.parametrize("disabled", OPTIONAL_PASSES)
def test_pass_does_not_change_outputs(baselines, model_name, disabled):
    path, x, full, expected = baselines[model_name]
    work = h.new_work_dir()
    library = h.compile_model(path, os.path.join(work, "lib"), name=model_name,
                              extra=("--disable-pass=" + disabled,))
    check_outputs(h.run_library(library, {"input": x}, work), full, expected)


def test_dlc_optimizations_match_O0(baselines):
    """-O0 (no graph optimization) computes what -O3 and onnxruntime do."""
    path, x, full, expected = baselines["small_cnn"]
    work = h.new_work_dir()
    library = h.compile_model(path, os.path.join(work, "lib"), name="small_cnn", extra=("-O0",))
    check_outputs(h.run_library(library, {"input": x}, work), full, expected)


def check_dot_renders(model_path, work):
    """dlc inspect --dot draws one cluster per fused group, and Graphviz
    renders it (tools/install.sh installs graphviz)."""
    dot = os.path.join(work, "graph.dot")
    result = h.run_dlc("inspect", model_path, "--dot", dot)
    groups = result.stdout.count("] fused ")
    text = open(dot).read()
    assert text.startswith("digraph")
    assert text.count("subgraph cluster_") == groups
    svg = os.path.join(work, "graph.svg")
    subprocess.run(["dot", "-Tsvg", dot, "-o", svg], check=True, capture_output=True)
    assert open(svg).read().count('class="cluster"') == groups
    return result.stdout


def test_inspect_dot_draws_groups_as_clusters():
    work = h.new_work_dir()
    path = os.path.join(work, "block.onnx")
    onnx.save(model_zoo.small_cnn(), path)
    assert "+add+relu -> " in check_dot_renders(path, work)


def test_profile_times_every_kernel(baselines):
    """dlc compile --profile + dlc bench --profile: one line per kernel the
    report counts, shares adding up to 100 %, the same outputs as without
    timers; a library without timers is refused by bench --profile."""
    path, x, full, _ = baselines["small_cnn"]
    work = h.new_work_dir()
    library, kernels, _, _, _, _ = compile_with_report(
        path, os.path.join(work, "lib"), "small_cnn", extra=("--profile",))
    profiled = h.run_library(library, {"input": x}, work)
    for output, value in full.items():
        np.testing.assert_array_equal(profiled[output], value)
    result = h.run_dlc("bench", library, "--profile", "--iters", "5", "--warmup", "1")
    lines = result.stdout.splitlines()
    summary = next(line for line in lines if line.startswith("kernels: "))
    assert summary.startswith("kernels: %d," % kernels) and "mean of 5 runs" in summary
    rows = [line for line in lines if line.startswith("  [")]
    assert len(rows) == kernels
    assert abs(sum(float(row.split("%")[0].split()[-1]) for row in rows) - 100) < 0.5
    plain = os.path.join(os.path.dirname(baselines["small_cnn"][0]), "small_cnn",
                         "libsmall_cnn.so")
    # Time goes to the kernel that spends it: of a cheap Relu and a
    # 384 x 512 x 512 MatMul after it (whose column panels run as a
    # parallel loop's body), the MatMul takes most of the run.
    from onnx import TensorProto, helper, numpy_helper
    weight = np.random.default_rng(0).standard_normal([512, 512]).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="cheap_relu"),
         helper.make_node("MatMul", ["r", "w"], ["y"], name="big_matmul")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [384, 512])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [384, 512])],
        [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    two = os.path.join(work, "two.onnx")
    onnx.save(model, two)
    h.run_dlc("compile", two, "-o", os.path.join(work, "two"), "--profile")
    result = h.run_dlc("bench", os.path.join(work, "two", "libtwo.so"), "--profile",
                       "--iters", "5", "--warmup", "1", "--threads", "2")
    shares = [(row.rsplit("%", 1)[1].strip(), float(row.split("%")[0].split()[-1]))
              for row in result.stdout.splitlines() if row.startswith("  [")]
    matmul = sum(value for label, value in shares if "big_matmul" in label)
    assert matmul > 80, result.stdout
    # On two threads the same runs come first on one: every kernel line
    # has its one-thread time and speedup, which agree with the times.
    lines = result.stdout.splitlines()
    assert any(line.startswith("on one thread: ") for line in lines), result.stdout
    for row in (line for line in lines if line.startswith("  [")):
        fields = row.split()
        time, one, speedup = float(fields[1]), float(fields[7]), fields[9]
        assert fields[5:7] == ["1", "thread"] and speedup.startswith("x"), row
        if time > 0.01:
            assert abs(float(speedup[1:]) - one / time) < 0.01 + 0.01 * one / time, row
    assert lines[-1].startswith("kernels above 2 % of the time with a speedup below 1.6: ")
    refused = h.run_dlc("bench", plain, "--profile", check=False)
    assert refused.returncode != 0
    assert "compile it with dlc compile --profile" in refused.stderr
