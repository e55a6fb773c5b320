//===- Passes.td - dlc passes ------------------------------*- tablegen -*-===//
#ifndef DLC_PASSES_TD
#define DLC_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertDlcToLinalg : Pass<"convert-dlc-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower dlc graph ops to linalg, tensor, arith and math on tensors";
  let description = [{
    `passes/conversion/ConvertDlcToLinalg.cpp` (+ `LowerStructuredOps.cpp`, `LowerConvolutions.cpp`, `ConvMicrokernel.cpp`,
    `LowerFusedOps.cpp`, `LowerIndexingOps.cpp`) · lit: `tests/lit/conversion/convert-dlc-to-linalg.mlir`,
    `tests/lit/conversion/lower-fused.mlir`, `tests/lit/conversion/lower-indexing.mlir`,
    `tests/lit/conversion/conv-integer.mlir`

    Lowers every dlc op to linalg on tensors. A splat constant of more than
    4096 elements (ConstantOfShape) becomes `tensor.empty` + `linalg.fill`: as a
    global it would take its whole size in the library. A padded conv or pool reads its
    input by index inside the contraction (zero, or -inf for max pooling, outside
    the input) instead of building a padded copy. A `dlc.fused` group lowers to its
    anchor and one `linalg.generic` that computes every elementwise member per
    element and writes into the anchor's result (marked `dlc.fusion_root`); a
    group of elementwise ops becomes one generic; an injective group lowers member
    by member. A blocked conv's group (with `conv-microkernel`) applies its
    epilogue to the accumulator vectors and stores the epilogue's element type,
    which may differ from the conv's (an integer conv's i32 sums scaled, then
    requantized to bytes). A quotient by a constant f32 that is only rounded
    (quantization's round(x / scale)) is computed without a division: x * (1/c)
    corrected by the exact remainder, two FMAs, the correctly rounded quotient
    (Markstein) where it is normal, so round() gives what it gives on x / c
    (`fused-multiply-add`, on targets with FMA; a divisor with an all-ones
    significand keeps the division).
    `dlc.conv_integer[_blocked]` multiplies zero-extended
    input bytes (or sign-extended i16 words) by sign-extended filter bytes in
    i32; its micro-kernel takes 4 input channels a step, with vpdpbusd for
    `int8-dot` avx512-vnni (16 lanes) or avx-vnni (8 lanes), or 2 words a
    step with vpmaddwd (8 lanes; avx2 or either VNNI), else the values
    widened to i32. Comparisons yield i1 (ordered for floats), `dlc.select` broadcasts
    its three operands, `dlc.cast` truncates floats toward zero and reads bools as
    0/1, `dlc.mod` takes the divisor's sign; trigonometric and hyperbolic ops
    become math ops (libm calls where LLVM has no intrinsic). `LowerIndexingOps.cpp`:
    `dlc.arg_max`/`arg_min` carry value and index through one reduction generic
    (first or last extreme, NaN wins), `dlc.gather_elements`/`gather_nd` read the
    input at computed coordinates (negative wrapped, out of range clamped),
    `dlc.cumsum` walks each row with an `scf.for`; `dlc.scatter_elements` and
    `dlc.scatter_nd` loop over the updates writing into a copy of the data (in
    index order, so the last duplicate wins, or each is combined by the
    reduction); `dlc.top_k` runs, for k up to 2·ceil(log2 n), k selection rounds
    per row, each scanning the row for the best element ranked after the previous
    round's (by value, then index; NaN above numbers), O(k·n) per row; for larger
    k it merge-sorts the row's positions by that rank (bottom-up, two passes per
    round of an `scf.while`, O(n log n); values of 32 bits or fewer as i64 keys,
    their order-preserving bits above the position) and takes the first k, and
    for k of at most n/4 it first keeps the best k in a heap while scanning the
    row;
    `dlc.non_max_suppression` loops over batches and classes: it lists the
    candidates above the score threshold (f32 and narrower scores as i64 keys,
    the score's order-preserving bits above the box index), merge-sorts them by
    score, then an `scf.while` walks them in that order, selecting each one no
    selected box suppresses (ONNX's reference IoU test), and returns the rows
    with their count. Shifts by the bit width or more give 0.
  }];
  let options = [
    Option<"convMicrokernel", "conv-microkernel", "bool", "false",
           "Lower 2-d f32 dlc.conv_blocked, dlc.depthwise_conv_blocked and "
           "dlc.conv_integer_blocked (and their fused epilogues) to a "
           "register-blocked vector micro-kernel">,
    Option<"vectorRegisters", "vector-registers", "int64_t", "32",
           "Vector registers the conv micro-kernel's tile may use (32: "
           "AVX-512, 16: AVX2)">,
    Option<"paddedInputCopy", "padded-input-copy", "bool", "false",
           "A dlc.conv with padding reads one zero-padded copy of its input "
           "(a loop nest of its own) instead of checking bounds in its "
           "contraction (the CUDA target's implicit GEMM wants two plain "
           "operands)">,
    Option<"fusedMultiplyAdd", "fused-multiply-add", "bool", "false",
           "The target has fused multiply-add instructions: a quotient by a "
           "constant that is only rounded is computed with two of them "
           "instead of a division">,
    Option<"int8Dot", "int8-dot", "std::string", "\"portable\"",
           "The conv micro-kernel's integer dot product for "
           "dlc.conv_integer_blocked: avx512-vnni / avx-vnni (vpdpbusd on "
           "16 / 8 lanes of bytes), avx2 (vpmaddwd on 8 lanes of i16 "
           "words), anything else widened i32 arithmetic">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::LLVM::LLVMDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect",
    "mlir::vector::VectorDialect",
  ];
}

//===----------------------------------------------------------------------===//
// Graph level (passes/graph)
//===----------------------------------------------------------------------===//

def ShapeInference : Pass<"dlc-shape-inference", "mlir::func::FuncOp"> {
  let summary = "Make every value's shape static by propagating from the inputs";
  let description = [{
    `passes/graph/ShapeInference.cpp` · lit: `tests/lit/graph/shape-inference.mlir` · runs: always

    Re-infers every op's result type from its operands in program order
    (broadcasting, matmul, conv, pooling, reductions, transpose, concat, gather,
    slice, the blocked-layout ops, and ops whose result is their operand's type) and replaces dynamic sizes (`?`) with
    the inferred ones; a reshape's single `?` (ONNX's -1) is what the element
    count leaves. A declared size that contradicts the inferred one is an error at
    the op (the ONNX node). A value still dynamic afterwards is an error naming
    `--input-shape`, and so is a value (or argument) of more than 2^48 elements
    (compiler/ShapeMath.h): sizes computed from it later cannot overflow. Static IR is left as it is. Not optional: lowering needs
    static shapes. (The ONNX importer already resolves Reshape's 0 and -1,
    Flatten, and Concat/Transpose shapes while importing.)
  }];
}

def CheckBatchSeparable : Pass<"dlc-check-batch-separable", "mlir::func::FuncOp"> {
  let summary = "Prove that no op mixes the samples of a symbolic batch";
  let description = [{
    `passes/graph/CheckBatchSeparable.cpp` · lit: `tests/lit/graph/check-batch-separable.mlir` · runs: by `dlc compile` on ONNX models whose inputs share a symbolic dim 0

    Follows the samples from the entry's arguments marked `dlc.batch_symbol`
    (their dim 0) through every op: each value holds them in one dim (by a
    factor where a reshape merged dims after the batch into it, as
    [B, S, K] -> [B*S, K]) or not at all. Elementwise and broadcasting ops,
    matmuls over rows or broadcast batch dims, convs and pools, reductions,
    softmax, cumsum, top-k and arg-max along other dims, transposes,
    reshapes that keep the samples' blocks, full slices, concats and
    gathers along other dims keep the samples apart. Anything else that
    takes samples, or mixes them (a reduction, slice, concat or product over
    the batch, a value that differs per position along it), is an error at
    the op, and so is a result that holds the samples elsewhere than in its
    dim 0. Marks such results `dlc.batch_symbol`. The graph is imported at
    batch 2 for it (a size of 1 would hide which dims broadcast); `dlc
    compile` also compares the graphs imported at batch 1, 2 and 3, which
    must be the same ops and constants, to refuse graphs that read the
    batch size as a value. Changes no op.
  }];
}

def ExpandNarrowTypes : Pass<"dlc-expand-narrow-types", "mlir::func::FuncOp"> {
  let summary = "Give bf16, float8, int4 and int2 values integer storage types";
  let description = [{
    `passes/graph/ExpandNarrowTypes.cpp` · lit: `tests/lit/graph/expand-narrow-types.mlir` · runs: always

    ONNX's bfloat16, float8 (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ), int4/uint4 and
    int2/uint2 arrive as MLIR's `bf16`, `f8E4M3FN`.., `si4`/`ui4`, `si2`/`ui2`,
    FLOAT4E2M1 and FLOAT8E8M0 (which MLIR 19 lacks) as the dlc dialect's
    `!dlc.f4E2M1` and `!dlc.f8E8M0`, so the library's signature keeps them;
    arith and LLVM compute in none of them. This pass, first after shape inference, gives every such value an
    integer storage type (bf16 → i16 and float8 → i8 holding the bits, a 4- or
    2-bit integer → i8 holding the value) and writes out what the type means
    with ordinary dlc ops:

    - a cast from a narrow float decodes its bits to f32: bf16 by a shift into
      the high half and `dlc.bitcast`, float8 through a 256-entry f32 table
      (made with LLVM's APFloat, exact) and `dlc.gather`;
    - a cast to one rounds the f32's bits to nearest even at the type's
      mantissa width, rebiases the exponent, takes subnormals by an exact
      power-of-two scaling and `round`, and handles overflow as ONNX's Cast:
      saturating at the largest finite value, or with the cast's `no_saturate`
      (ONNX saturate=0) to infinity (E5M2) or NaN (the others); -0 is 0 in the
      FNUZ types. Other sources go through f32 (f64 rounds twice there);
    - float4 decodes through a 16-entry table and encodes as a float8 does,
      its sign at bit 3, always saturating at 6 (ONNX's saturate is for float8;
      NaN, which it cannot hold, becomes 0); f8E8M0 (constants of these two
      types are refused) keeps the f32's exponent field, rounded as the cast's
      `round_mode` (up, down, nearest) says, by ONNX's bit rules;
    - a cast to a narrow integer goes through i32 and wraps to its width, as
      ONNX's reference (ml_dtypes) does;
    - data movement (injective ops, select) is only retyped;
    - any other op on narrow floats is computed in f32: its operands decoded,
      its results rounded; a chain of such ops (data movement included) passes
      its f32 values along and rounds once where a value leaves the chain, as
      ONNX's reference computes a bf16 function op (per-op rounding would give
      different bits). An op on narrow integers other than these is an error
      at the op (ONNX allows them only in casts, quantization and data
      movement);
    - at the boundary a narrow integer argument is sign- or zero-extended from
      its byte's low bits and a result masked to them (the ABI keeps
      ml_dtypes' layout, see runtime-abi.md).

    dlc-fold-constants never sees a narrow type (the constant evaluator refuses
    them: its casts would follow APFloat's overflow rules, not ONNX's).
  }];
}

def SignlessIntegers : Pass<"dlc-signless-integers", "mlir::func::FuncOp"> {
  let summary = "Make unsigned element types signless, keeping their meaning";
  let description = [{
    `passes/graph/SignlessIntegers.cpp` · lit: `tests/lit/graph/signless-integers.mlir` · runs: always

    ONNX's UINT8..UINT64 are imported as `ui8`..`ui64`, so the graph keeps their
    meaning and the library's signature its unsigned dtypes (read before this
    pass). arith, and so the lowering, takes signless integers only: this pass
    makes every value signless and writes out the unsigned meaning where it
    differs. Comparisons, max/min, reduce_max/min, max_pool, arg_max/min and top_k
    run on operands with the sign bit flipped (`x ^ 0x80..` maps unsigned order
    onto signed order) and flip value results back; div and mod run on operands
    zero-extended to i64 (64-bit ones, which cannot widen, keep their op,
    marked `unsigned`, which the lowering reads as divui/remui); casts
    from unsigned zero-extend (a ui64 of 2^63 or more converts to float as
    `float(x - 2^63) + 2^63`); a float cast to unsigned goes through i64; relu and
    abs disappear. Ops whose bits do not depend on signedness (add, sub, mul,
    and/or/xor, shifts, equal, select, moves, gathers, scatters, matmul, conv,
    sums, products) are only retyped. Any other op on unsigned values is an error
    at the op. Signed, bool and float values are left alone. Not optional; it runs
    right after shape inference, so folding sees signless types (the importer does
    not fold unsigned values).
  }];
}

def FoldConstants : Pass<"dlc-fold-constants", "mlir::func::FuncOp"> {
  let summary = "Evaluate ops whose inputs are all constants at compile time";
  let description = [{
    `passes/graph/FoldConstants.cpp` · lit: `tests/lit/graph/fold-constants.mlir` · runs: -O1

    Evaluates ops whose operands are all constants at compile time: elementwise
    and broadcasting ops (arithmetic, math, comparisons, logic, select, cast,
    mod), clip, transpose, reshape, concat, gather, slice, reductions (with
    product), matmul and softmax (in double precision, rounded once to the
    element type; an integer mod by zero is left to run time). The evaluator
    (`compiler/ConstantEvaluator.cpp`) is shared with the ONNX importer, which
    folds integer results (shape computations) and float results of up to 16
    elements as it builds them. Leaves
    alone: any op with a non-constant operand, conv and pooling, and results over
    `max-elements` (default 2^24) elements.
  }];
  let options = [
    Option<"maxElements", "max-elements", "int64_t", "1 << 24",
           "Largest result (in elements) to fold">,
  ];
}

def FoldBatchNorm : Pass<"dlc-fold-batchnorm", "mlir::func::FuncOp"> {
  let summary = "Fold per-channel scale and shift (inference BatchNorm) into "
                "the preceding conv or matmul";
  let description = [{
    `passes/graph/FoldBatchNorm.cpp` · lit: `tests/lit/graph/fold-batchnorm.mlir` · runs: -O2

    Inference BatchNormalization is imported as `x * s + t`. After a conv (or
    matmul) with constant weights, `conv [+ b] * s + t` becomes
    `conv(W * s) + (b * s + t)`: the scale goes into the filter's output channels
    (the matmul's columns), the shifts into one bias add. Scalar scales fold too.
    Leaves alone: non-constant weights, a conv/matmul result with other users, a
    scale that varies along any axis but the output channel.
  }];
}

def SinkReshapes : Pass<"dlc-sink-reshapes", "mlir::func::FuncOp"> {
  let summary = "Move elementwise ops above reshapes that only regroup a "
                "matmul's rows";
  let description = [{
    `passes/graph/SinkReshapes.cpp` · lit: `tests/lit/graph/sink-reshapes.mlir` · runs: -O2

    An ONNX MatMul of a [B, S, K] activation is a 2-d `dlc.matmul` between
    reshapes, so its bias add, activation and residual add run on the 3-d
    value and cannot join the matmul's fusion group. A reshape that keeps
    the last dim regroups rows only: `e(reshape(x), c)` becomes
    `reshape(e(x, c'))` when every other operand broadcasts along the last
    dim alone (rank-1 after dropping leading 1s) or has the reshaped shape
    (reshaped too). Applies to reshapes of a matmul's result and, in turn,
    of the elementwise ops moved above them. Leaves alone: reshapes that
    change the last dim, of other producers, dynamic shapes, operands that
    broadcast along other dims.
  }];
}

def QuantizedMatmul : Pass<"dlc-quantized-matmul", "mlir::func::FuncOp"> {
  let summary = "Run fake-quantized matmuls (QDQ) on 8-bit integers";
  let description = [{
    `passes/graph/QuantizedMatmul.cpp` · lit: `tests/lit/graph/quantized-matmul.mlir` · runs: -O2 (CPU)

    A QDQ model's MatMul reads `a = (q - z) * s` with `q = clip(round(x / s)
    + z, lo, hi)` integral within [0, 255] or [-128, 127] (what the importer
    makes of QuantizeLinear -> DequantizeLinear) and a constant f32 weight
    whose columns are int8 grids (`W[k, n] = w[k, n] * s_n`, checked element
    by element). It becomes
    `cast(dlc.matmul_integer(q8, w) - z * colsum(w)) * (s * s_n)`: q is cast
    to 8 bits where it is computed, w is an i8 constant, and the i32 sums are
    exact. The output's quantize/dequantize stays f32 and fuses after it.
    Looks through reshapes of `a`. Leaves alone: a non-constant weight, a
    weight off any int8 grid, scales or zero points that are not scalar
    constants, clip bounds beyond 8 bits, dynamic shapes.
  }];
}

def QuantizedConv : Pass<"dlc-quantized-conv", "mlir::func::FuncOp"> {
  let summary = "Run fake-quantized convolutions (QDQ) on 8-bit integers";
  let description = [{
    `passes/graph/QuantizedConv.cpp` · lit: `tests/lit/graph/quantized-conv.mlir` · runs: -O3 (CPU with VNNI, or AVX2 with 8-lane blocks)

    The conv counterpart of dlc-quantized-matmul. A conv (group 1) whose
    input is `(q - z) * s`, q an integral clip within [0, 255] or
    [-128, 127], and whose constant f32 filter lies on an int8 grid per
    output channel (`W[f, ...] = w[f, ...] * s_f`, checked element by
    element) becomes `cast(dlc.conv_integer(q8, w) - z * sum(w_f)) *
    (s * s_f)`, exact in i32. dlc.conv_integer reads its input unsigned: a
    signed q is moved to q + 128 (z + 128). Padding reads q = 0, so a padded
    conv needs z = 0 (true of every activation after a ReLU). The bytes are
    made once per activation, and its other readers (the dequantization of a
    residual add) read them back, zero-extended: the kernel computing q then
    stores one byte an element instead of an f32.
    With `int8-dot=avx2` (no vpdpbusd: the kernel's vpmaddwd multiplies
    pairs of i16) the conv reads i16 words holding q - z instead, within
    [-255, 255]: padding then reads q - z = 0 for any z, no correction
    term is needed, and the other readers get q back as words + z.
    Runs only where the conv micro-kernel has one of these dot products
    (`int8-dot`): its widened fallback is slower than the f32 conv. Leaves
    alone: depthwise and grouped convs, input channels not a multiple of 4,
    a non-constant or off-grid filter, scales or zero points that are not
    scalar constants, padding with z != 0 on bytes, dynamic shapes.
  }];
  let options = [
    Option<"int8Dot", "int8-dot", "std::string", "\"\"",
           "The conv micro-kernel's integer dot: avx512-vnni or avx-vnni "
           "(vpdpbusd on bytes), avx2 (vpmaddwd on i16 words; 8-lane "
           "blocks); anything else changes nothing">,
  ];
}

def LayoutNCHWc : Pass<"dlc-layout-nchwc", "mlir::func::FuncOp"> {
  let summary = "Blocked channel layout NCHW[x]c for convolution chains";
  let description = [{
    `passes/graph/LayoutNCHWc.cpp` · lit: `tests/lit/graph/layout-nchwc.mlir` · runs: -O3
    (lowering: `tests/lit/conversion/convert-dlc-to-linalg.mlir`)

    TVM's NCHW[x]c. Each conv with group 1 and constant f32 weights becomes
    `dlc.conv_blocked` on `[N, C/b, H, W, b]`, its filter packed at compile time
    into `[F/bo, C/bi, KH, KW, bi, bo]`. b comes from the target: its vector width
    in floats (16 with AVX-512, 8 with AVX; `block` option in dlc-opt); where b
    does not divide a channel count, the largest divisor below it (3 for RGB).
    The ops between convs follow in the blocked layout: elementwise ops,
    per-channel broadcasts (constants repacked), residual adds, max/avg pooling
    (`blocked` attribute) and spatial reductions with kept dims (their axes
    rewritten as counted from the plain rank: torch's dynamo exporter writes a
    global average pool as `ReduceMean(x, [-1, -2])`, and -1 would otherwise
    name the block dim). Any other op is not modelled: its blocked operands are
    converted back first. `dlc.to_blocked`
    and `dlc.from_blocked` appear only at a chain's edges: where a plain value
    enters (one conversion per value, shared by its users) and where a blocked
    value meets an op that needs channels first (a reshape, a channel reduction, a
    result). `from_blocked(to_blocked(x))` folds away. Depthwise convs (one
    filter per channel) become `dlc.depthwise_conv_blocked`, kernels packed to
    [C/b, KH, KW, b] in the block of their input, so MobileNet-style chains stay
    blocked (at -O3 on the conv micro-kernel's depthwise tile).
    `dlc.conv_integer` (dlc-quantized-conv's) becomes
    `dlc.conv_integer_blocked` when its input block is a multiple of 4
    channels, its i8 filter packed into `[F/bo, C/bi, KH, KW, bi/4, bo*4]`
    (4 input channels of one output lane side by side: a 32-bit lane of
    vpdpbusd); per-channel i32 constants are repacked like f32 ones.
    Leaves alone: other grouped convs, weights computed at run time, convs
    with one output channel.
  }];
  let options = [
    Option<"block", "block", "int64_t", "16",
           "Channels per block (the vector width in elements)">,
  ];
}

def FuseOps : Pass<"dlc-fuse-ops", "mlir::func::FuncOp"> {
  let summary = "Group ops by op-pattern kind into dlc.fused kernels";
  let description = [{
    `passes/graph/FuseOps.cpp` · lit: `tests/lit/graph/fuse-ops.mlir` · runs: -O2

    TVM's fusion rules, read only from each op's `PatternKindInterface`:
    a conv, matmul or pool (out-elementwise-fusable) absorbs the elementwise and
    broadcast ops after it; elementwise ops fuse with each other; injective ops
    fuse with each other; a reduction ends its group; opaque ops (softmax) stand
    alone; two out-elementwise-fusable ops never share a group. An op joins its
    producer's group only through the group's root, when it is the root's only
    user and (for elementwise ops) keeps its shape, so each group has one output
    and one iteration space. An elementwise op that changes the element type (a
    cast) joins only a group that writes its result itself: elementwise ops, or
    a blocked conv (its micro-kernel stores the epilogue's type); a matmul's or
    a pool's epilogue is computed in place in the anchor's type, so a cast after
    them starts a group. A chain of elementwise ops of the group's shape whose
    result only one elementwise member of such a group reads, through an operand
    other than the group's root (a residual's dequantization from bytes), joins
    that group: it is computed where it is read instead of stored. Groups of two or more ops become `dlc.fused` (block
    arguments are the group's inputs; `dlc.yield` names its result). Leaves
    alone: values with several users, broadcasts that grow the value, anything
    after a reduction.
  }];
}

//===----------------------------------------------------------------------===//
// Loop level (passes/loop)
//===----------------------------------------------------------------------===//

def TileFusedGroups : Pass<"dlc-tile-fused-groups", "mlir::func::FuncOp"> {
  let summary = "Make each lowered fused group one loop nest";
  let description = [{
    `passes/loop/TileFusedGroups.cpp` · lit: `tests/lit/loop/tile-fused-groups.mlir` · runs: -O2

    Makes each kernel one loop nest: the last op of a kernel's chain (a group's
    epilogue, or a lone op's last step such as a mean's division) is tiled with
    size 1 over its parallel loops of extent > 1 except the innermost (upstream
    tile-and-fuse, scf.for), and the fill, the anchor and the anchor's earlier
    steps are computed inside the tile. A producer from the same dlc op whose
    users are all in the kernel is recomputed per tile (a softmax's row maximum,
    read by its two later passes). With the matmul micro-kernel on, a matmul
    it takes stays whole and its epilogue is tiled on its own. A lone op with
    at least 2^16 iterations (an elementwise group, a transpose) is tiled the
    same way, and the tile loop of any kernel with that much work is marked
    `dlc.parallel`. Leaves alone: small ops with nothing to fuse, results with
    one parallel loop to run, producers used by other kernels (they would be
    computed twice).
  }];
  let options = [
    Option<"microkernel", "microkernel", "bool", "false",
           "Leave large matmuls whole for dlc-matmul-microkernel">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect"];
}

def ApproximateMath : Pass<"dlc-approximate-math", "mlir::ModuleOp"> {
  let summary = "Polynomial approximations of f32 exp, log, tanh and erf";
  let description = [{
    `passes/loop/ApproximateMath.cpp` · lit: `tests/lit/loop/approximate-math.mlir` · runs: -O2

    Replaces f32 `math.exp`, `expm1`, `log`, `log1p`, `log2`, `tanh` and `erf`
    (scalars and vectors) with MLIR's polynomial approximations
    (`populateMathPolynomialApproximationPatterns`, applied to those ops only),
    so the loops of softmax, GELU or sigmoid vectorize instead of calling libm
    per element. Measured against a float64 reference over each function's
    whole range by tests/e2e/test_math.py (20,000 points each; libm's error in
    parentheses): exp 0.98 ulp (0.50), log 0.81 ulp (0.76), tanh 3.97 ulp
    (1.82), erf 3.85 ulp (0.73); overflow, underflow, log(0) and the saturation
    of tanh/erf give the exact values. `--disable-pass=dlc-approximate-math`
    restores the libm calls. Leaves alone: sin, cos, atan and the other math
    functions, f64 and f16.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def MatmulMicrokernel : Pass<"dlc-matmul-microkernel", "mlir::ModuleOp"> {
  let summary = "Packed, register-blocked micro-kernels for f32 and 8-bit matmul";
  let description = [{
    `passes/loop/MatmulMicrokernel.cpp` · lit: `tests/lit/loop/matmul-microkernel.mlir` · runs: -O2

    On bufferized code: a static f32 `linalg.matmul` with at least 65,536
    multiply-adds (and two rows or more) becomes a packed loop nest: B in
    kc = 256 by nr panels, M in blocks of mc = 144 rows, and a micro-kernel
    that keeps an
    mr x nr tile of C in registers (mr = 12, nr = 32 with AVX-512: 24 zmm
    accumulators, 12 broadcasts and 24 FMAs per k step; with AVX2's 16
    registers the driver sets mr = 6, nr = 16: 12 ymm accumulators). Columns past N are
    masked and rows past M skipped only when C is updated.
    A constant B (a weight: `memref.get_global` of a constant global) is packed
    once, at compile time, into a new global in panel order
    [N / nr][K / kc][kc][nr] (zero-padded), which the kernel reads in place; the
    unpacked weight is dropped from the library. A B known only at run time
    is packed into that layout first, by one loop over its column panels
    (parallel). Such a product (with A and C of the identity layout) then
    packs nothing else: it is one parallel loop
    over (mc row block, column panel) pairs, each running its K blocks, whole
    mr-row tiles that broadcast A in place, then the m % mr rows left in a
    smaller tile; the whole tiles prefetch the next panel of B into L2 (a
    large model's weights come from DRAM, where the hardware prefetchers stop
    at page ends), and a zero `linalg.fill` of C just before is folded in (the
    first K block writes C). Otherwise (an A or C view of another layout,
    which cannot cross into an outlined parallel loop, and batched products)
    the BLIS loop nest packs B per K block and A per mc x kc block into mr x
    kc panels before the tiles. Batched products (the generic
    C[b.., m, n] += A[b.., m, k] * B[b.., k, n] that `convert-dlc-to-linalg`
    makes for attention's Q x K^T and P x V) run the kernel once per batch index
    on 2-d views; the batch loop is the one shared by threads.
    dlc-tile-fused-groups leaves such matmuls whole; a fused epilogue runs after
    it as one more loop nest over C (tiled, and parallel when large). Leaves
    alone: small products, one-row products (GEMV) by a B known only at run
    time (a constant B is streamed by a tile of the rows there are), f64,
    tensors, batched
    products that broadcast a batch dim.

    8-bit products (the generic C[m, n] += ext(A[m, k]) * ext(B[k, n]) in i32
    that `dlc.matmul_integer` lowers to) take the same loop nest with integer
    dot products, chosen by `int8-dot`: `avx512-vnni` / `avx-vnni` run
    vpdpbusd (4 u8 x s8 products summed into each i32 lane, exactly, never
    saturating) on 16 / 8 lanes, with A and B packed in groups of 4 along K;
    it takes unsigned A and signed B only. `avx2` (and VNNI targets for the
    other sign combinations) widens both operands to i16 when packing and runs
    vpmaddwd (2 products per i32 lane, at most 2 * 255 * 255, so no pair
    saturates as vpmaddubsw's would); `portable` widens to i32 and multiplies
    lanes; `none` leaves 8-bit products to the generic loops. B is packed
    in K blocks of kc = 512 ([K / kc][N / nr][kc / g][nr * g]): at compile
    time when constant, else first, by parallel column panels. Per block of
    mc rows, A is packed whole along K by parallel row panels, then the
    column panels run in parallel, each register tile summing all of K
    before C is updated once: two parallel loops a block, no serial packing.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes of a vector register (16: AVX-512, 8: AVX2)">,
    Option<"microRows", "mr", "int64_t", "12",
           "Rows of C in the register tile">,
    Option<"kc", "kc", "int64_t", "256", "K block (a B panel stays in L1)">,
    Option<"mc", "mc", "int64_t", "144", "M block (an A block stays in L2)">,
    Option<"minFlops", "min-flops", "int64_t", "dlc::kMicrokernelMinMacs",
           "Smallest M * N * K to rewrite">,
    Option<"int8Dot", "int8-dot", "std::string", "\"none\"",
           "Dot product of 8-bit matmuls: avx512-vnni, avx-vnni, avx2, "
           "portable or none">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def ParallelizeLoops : Pass<"dlc-parallelize-loops", "mlir::ModuleOp"> {
  let summary = "Run loops marked dlc.parallel on the runtime's thread pool";
  let description = [{
    `passes/loop/ParallelizeLoops.cpp` · lit: `tests/lit/loop/parallelize-loops.mlir` · runs: -O2

    Loops whose iterations write disjoint data, in kernels with at least 2^16
    iterations of work (smaller ones lose more to waking the threads than they
    gain), are marked `dlc.parallel` where they are made: the outer tile loop of dlc-tile-fused-groups, the
    channel-block-pair loop (or the row loop) of the conv micro-kernel, the
    column-panel loop of the matmul micro-kernel. After lowering to loops, the
    body of each outermost marked loop is outlined into
    `@<function>_par<k>(buffers..., indices..., begin, end)` and the loop becomes
    a call to `@<function>_par<k>_launch(..., lower, upper, step)`. The library's
    C glue defines the launcher: it packs the operands and calls the runtime's
    `dlc_parallel_for`, which splits the iterations into one contiguous chunk per
    thread (runtime/parallel.c; `--threads` / `<N>_set_num_threads`, default one
    per core). Constants are cloned into the body. Buffers that share no byte
    (different buffers, or arena slots at disjoint constant offsets) are marked
    `llvm.noalias`, so LLVM optimizes the outlined body as it did the entry
    function. Left alone: unmarked loops,
    loops capturing values other than static identity-layout buffers and
    indices, loops with a non-constant step.
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect"];
}

def OutlineKernels : Pass<"dlc-outline-kernels", "mlir::ModuleOp"> {
  let summary = "Give each sequential kernel loop nest its own function";
  let description = [{
    `passes/loop/OutlineKernels.cpp` · lit: `tests/lit/loop/outline-kernels.mlir` · runs: always

    Runs last in the loop pipeline (CPU). Every outermost `scf.for` still in a
    model's entry function (each kernel that did not go to the thread pool)
    moves into `@<function>_kernel<k>(buffers..., indices...)`, private and
    marked `noinline`, and the loop becomes a call. This is for the compiler's
    own speed: LLVM's function passes and machine scheduler cost more than
    linearly in a function's size, and a large model's entry function held every
    sequential kernel (DenseNet-121: 170,000 lines of LLVM IR in one function;
    its compile took 95 s, 25 s with the kernels outlined). What crosses is what
    the bare-pointer calling convention allows: static identity-layout buffers
    and indices; constants and views of passed buffers (a concat's slot as a
    strided subview) are re-created inside. Global buffers (the weights) cross
    as arguments: the kernels of a model's repeated layers then differ only in
    what they are passed, which dlc-merge-identical-kernels uses. Buffers that
    share no byte are marked `llvm.noalias`. Left alone: loops that yield
    values, loops capturing anything else (a dynamically shaped buffer).
    `--disable-pass=dlc-outline-kernels` keeps the kernels inline.
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect"];
}

def MergeIdenticalKernels : Pass<"dlc-merge-identical-kernels", "mlir::ModuleOp"> {
  let summary = "Keep one of each set of identical kernel functions";
  let description = [{
    `passes/loop/MergeIdenticalKernels.cpp` · lit: `tests/lit/loop/merge-identical-kernels.mlir` · runs: always

    Runs after dlc-outline-kernels, for the compiler's own speed. A
    transformer's layers (a CNN's repeated blocks) give kernels whose functions
    are equivalent: same type, attributes (noalias marks included) and body,
    up to the name. LLVM would optimize and compile every copy. This pass keeps
    the first function of each equivalence class (checked with MLIR's
    `OperationEquivalence` within buckets of equal type and op sequence) and
    points the other calls at it: parallel-loop bodies (`dlc.parallel_loop`)
    first, their `_launch` declarations with them, then outlined kernels
    (`dlc.kernel`), which only then call the same launchers. ViT-tiny: 385
    functions, 138 distinct; its compile went from 35 s to 11 s (measured with
    `dlc compile -v` on this 2-core machine, LLVM's share from 27.6 s to 6.3 s).
    Left alone: functions of neither kind, and functions that differ in a
    constant, a type or an argument attribute. Run time is unchanged (the
    calls run the same code; BERT-base at 2 threads: old and new libraries
    within the machine's noise, 182-221 ms each, alternating).
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def InstrumentKernels : Pass<"dlc-instrument-kernels", "mlir::ModuleOp"> {
  let summary = "Call the profiler's mark before each kernel (--profile)";
  let description = [{
    `passes/loop/InstrumentKernels.cpp` · lit: `tests/lit/loop/instrument-kernels.mlir` · runs: `--profile`

    Runs last on loops, only with `dlc compile --profile`. In the model's entry
    (each public function with a body) a call `__dlc_profile_mark(i)` goes
    before kernel i (a top-level loop nest, linalg op, copy, call or
    gpu.launch) and `__dlc_profile_mark(K)` before the return; the C glue turns
    the marks into the per-kernel times that `<N>_profile` returns and
    `dlc bench --profile` prints. The function gets `dlc.kernel_labels` (each
    kernel's ONNX nodes, else its op name), which the driver hands to the glue.
    Leaves alone: private functions (outlined kernels), ops that are not
    kernels, and a module that declares the mark already.
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::arith::ArithDialect"];
}

def PlanMemory : Pass<"dlc-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Place all intermediate buffers in one arena, reused by liveness";
  let description = [{
    `passes/loop/PlanMemory.cpp` · lit: `tests/lit/loop/plan-memory.mlir` · runs: -O2

    On bufferized code. A buffer whose last use is its copy into a result is
    replaced by the result (the kernel writes the output directly). Every other
    static top-level `memref.alloc` lives from its alloc to the last top-level op
    that uses it or a value that may alias it: a view, or any memref result of a
    user or of an op around a user (a loop that carries the buffer returns it;
    an op the planner does not model counts as aliasing, which only lengthens a
    lifetime); buffers are placed largest first at the lowest
    64-byte aligned offset free of every buffer alive at the same time, and become
    `memref.view`s of one arena. The function records `dlc.arena_bytes` and
    `dlc.naive_bytes` for `--report`. Leaves alone: dynamic buffers, returned or
    escaping buffers, buffers inside loops.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "64",
           "Byte alignment of every buffer in the arena">,
  ];
}

def FlattenConstantGlobals
    : Pass<"dlc-flatten-constant-globals", "mlir::ModuleOp"> {
  let summary = "Make constant memref.globals one-dimensional";
  let description = [{
    `passes/loop/FlattenConstantGlobals.cpp` · lit: `tests/lit/loop/flatten-constant-globals.mlir` · runs: CUDA target

    Makes constant `memref.global`s of rank 2 or more one-dimensional; each
    `memref.get_global` of one becomes an `expand_shape` view back to its shape.
    LLVM gets one constant per weight instead of one per innermost row of nested
    arrays: ResNet-50 for CUDA (whose 1x1 conv weights would be one LLVM
    constant per float) compiled in 80 s and 4.3 GB before, 25 s and 625 MB
    after. Leaves alone: rank-0/1, mutable and uninitialized globals.
  }];
}

//===----------------------------------------------------------------------===//
// GPU (passes/gpu)
//===----------------------------------------------------------------------===//

def GpuMapKernels : Pass<"dlc-gpu-map-kernels", "mlir::func::FuncOp"> {
  let summary = "Make each kernel of a bufferized function one gpu.launch";
  let description = [{
    `passes/gpu/GpuMapKernels.cpp` · lit: `tests/lit/gpu/map-kernels.mlir`,
    `tests/lit/gpu/map-kernels-split-k.mlir`,
    `tests/lit/gpu/map-kernels-tiles.mlir`

    On bufferized linalg, before loops. Every kernel becomes one `gpu.launch`,
    so that host code touches no buffer:
    - **Contractions** (an f32 linalg op whose payload is `acc + a * b` over two
      inputs: matmul, batch_matmul, the convolution generics, which on this
      target read a zero-padded input copy) with M, N >= 32 and K >= 16: loop
      dims read by both inputs are batch dims (the grid's z), by the first only
      M, by the second only N, reductions K. A block of 16 x 16 threads computes
      a 64 x 64 tile, 4 x 4 outputs per thread in registers (rows and columns
      spaced 16 apart, so a warp's stores are contiguous along N); A (transposed,
      one column of padding against bank conflicts) and B tiles of 16 along K
      are staged through workgroup memory, every element read through its
      operand's indexing map (a convolution is an implicit GEMM: M = batch x
      output pixels, N = filters, K = channels x window); loads and stores are
      guarded only where a tile does not divide M, N or K.
    - **Large tiles**: a contraction with M, N >= 128 and at least two
      128 x 128 tiles per multiprocessor (`sm-count`; a 4096^3 matmul has
      1024) takes 128 x 128 tiles, 8 x 8 outputs per thread: twice the
      multiply-adds per value read from workgroup memory. Such a block needs
      about 180 registers a thread, so one runs per multiprocessor; to hide
      the global reads that other blocks would otherwise overlap, each thread
      reads the next K step's A and B elements into registers before
      computing on the staged tiles and stores them after a barrier. With
      `sm-count=0` every contraction takes the 64 x 64 tile.
    - **Everything else with outputs indexed by its parallel loops**: one
      thread per output element (256 a block, `block-size`), the output's last
      dim fastest; reduction loops run in the thread with the accumulator in a
      register.
    - A group's `linalg.fill` is folded into the accumulator's start and its
      in-place elementwise epilogue (bias, activation, residual add) is applied
      before the one store: a fused group is one kernel.
    - **Split-K** (`sm-count`, from the chip: 132 for sm_90, 108 for sm_80,
      0 turns it off): a contraction with fewer 64 x 64 output tiles than two
      per multiprocessor (a batch-1 layer with few output pixels: ResNet-50's
      7 x 7 convolutions have 8 tiles) has its K split in up to 32 ranges of at
      least 8 x 16, one a block (the grid's z is split x batch); each block
      stores its partial sums in a buffer [splits, batch, M, N], and a second
      kernel, one thread per output, adds them up with the start value,
      applies the epilogue and stores.
    - **Split reductions**: a one-thread-per-output kernel with fewer outputs
      than 512 per multiprocessor whose payload is `combiner(acc, f(inputs))`
      with the combiner a sum, max or min (a batch-1 classifier, the row
      reductions of layer norm and softmax) has its outermost reduction loop
      split across the grid's y, at least 32 iterations of the whole reduction
      a split; partials start from the combiner's identity and a second kernel
      combines them with the start value by the same op. Any other payload
      (an accumulator used twice, an argmax) keeps one thread per output.
    - Anything else that touches memory (a loop nest lowered by hand, an op
      whose output is not indexed by its parallel loops, full reductions to a
      scalar) runs in a one-thread kernel. Strided views a kernel uses are
      rebuilt inside it (kernels take bare pointers).
    Leaves alone: metadata ops (views, constants), allocations and deallocations
    (the arena is made on the host and lives on the device).
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "Threads per block of the one-thread-per-output kernels">,
    Option<"tiledContractions", "tiled-contractions", "bool", "true",
           "Give contractions (matmuls, convolutions) the shared-memory "
           "tiled kernel">,
    Option<"smCount", "sm-count", "int64_t", "132",
           "Multiprocessors of the GPU, for split-K and split reductions: "
           "a kernel whose outputs leave multiprocessors idle has its "
           "reduction split across blocks (0: never)">,
  ];
  let dependentDialects = ["mlir::affine::AffineDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::gpu::GPUDialect",
                           "mlir::math::MathDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def GpuEmulate : Pass<"dlc-gpu-emulate", "mlir::func::FuncOp"> {
  let summary = "Run gpu.launch kernels as loops on the CPU (for testing)";
  let description = [{
    `passes/gpu/GpuEmulate.cpp` · lit: `tests/lit/gpu/emulate.mlir`, `emulate-errors.mlir` · runs: `--target=cuda-emulate`

    Each `gpu.launch` with constant sizes becomes loops over blocks and threads,
    its workgroup buffers stack buffers. Barriers must be at the top level of
    the kernel's body or of an `scf.for` there (the tiled kernel's K loop, and
    the large tile's prefetching prologue before it): the body and those
    loops' bodies are split at them, each piece runs for all threads of the
    block, and values living across a barrier (iter_args, per-thread results)
    go through per-thread arrays; pure ops that read only ids, sizes and
    values from outside are recomputed in each piece instead. A barrier in a
    branch or two loops deep, or a barrier loop whose bounds are read from
    memory, is an error. With it, every
    ONNX node case dlc passes on the CPU (811 of Debian's 932) also passes
    through the GPU kernels (`tools/conformance/conformance.py --target
    cuda-emulate`), and tests/e2e/test_cuda.py compares the CNN, MLP,
    transformer block, a 48-channel CNN (tiled convs with ragged tiles) and
    MobileNetV2 with onnxruntime.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def GpuLibdeviceCalls : Pass<"dlc-gpu-libdevice-calls", "mlir::gpu::GPUModuleOp"> {
  let summary = "Math ops the NVVM lowering lacks become libdevice calls";
  let description = [{
    `passes/gpu/GpuLibdeviceCalls.cpp` · lit: `tests/lit/gpu/libdevice-calls.mlir`

    In the kernels' module, f32/f64 `math.sinh`, `cosh`, `asin`, `acos`,
    `asinh`, `acosh`, `atanh` (no pattern in convert-gpu-to-nvvm) become calls
    to libdevice's `__nv_*` functions, linked when the PTX is made. Leaves alone:
    the math ops the NVVM lowering handles, host code.
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def GpuMergeModules : Pass<"dlc-gpu-merge-modules", "mlir::ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module";
  let description = [{
    `passes/gpu/GpuMergeModules.cpp` · lit: `tests/lit/gpu/merge-modules.mlir`

    After gpu-kernel-outlining: every kernel moves into the first gpu.module
    (taking its old module's name), functions the outlining cloned into several
    modules are kept once, and the launches follow: one PTX module per model
    (one `--emit=ptx` file, one load at run time).
  }];
}

def GpuHostMemory : Pass<"dlc-gpu-host-memory", "mlir::ModuleOp"> {
  let summary = "Give host code device memory: buffers and weights on the GPU";
  let description = [{
    `passes/gpu/GpuHostMemory.cpp` · lit: `tests/lit/gpu/host-memory.mlir`

    On the LLVM dialect, in host functions: `malloc`/`free` become
    `__dlc_gpu_alloc`/`__dlc_gpu_free` (device buffers the runtime keeps for the
    next run) and the address of a constant global (a weight) becomes
    `__dlc_gpu_constant(address, bytes)`, its device copy (uploaded once).
    Leaves alone: mutable globals, kernels.

    The rest of the CUDA pipeline is upstream: gpu-kernel-outlining,
    convert-gpu-to-nvvm and gpu-to-llvm with bare pointers, nvvm-attach-target
    (chip from `--target`, PTX ISA chosen by LLVM) and gpu-module-to-binary
    (`isa`: PTX text through LLVM's NVPTX back end, libdevice linked from the
    CUDA toolkit). The driver then assembles the PTX with the toolkit's `ptxas
    -arch=sm_XX -O3` and packs machine code and PTX with `fatbinary` into the
    gpu.binary's object (codegen/gpu/Fatbin.cpp), so the library loads machine
    code (`mgpuModuleLoad`) rather than JIT-compiling PTX (`mgpuModuleLoadJIT`);
    a ptxas error is a compile error. Every PTX of the ONNX node cases that dlc passes assembles
    with `ptxas -arch=sm_90` (`conformance.py --target cuda --ptxas
    /usr/local/cuda/bin/ptxas`), and tests/e2e/test_cuda.py assembles the CNN,
    MLP and transformer block for sm_80 and sm_90 in CI.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // DLC_PASSES_TD
