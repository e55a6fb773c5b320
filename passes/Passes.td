//===- Passes.td - dlc passes ------------------------------*- tablegen -*-===//
#ifndef DLC_PASSES_TD
#define DLC_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertDlcToLinalg : Pass<"convert-dlc-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower dlc graph ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Every dlc op becomes linalg on tensors: elementwise and broadcasting ops
    become linalg.generic with broadcasting indexing maps, matmul and
    convolution become generic contractions, pooling and reductions become
    generic reductions, reshape becomes tensor.collapse_shape/expand_shape,
    concat becomes tensor.insert_slice. A dlc op that cannot be lowered is an
    error at its location.
  }];
  let options = [
    Option<"convMicrokernel", "conv-microkernel", "bool", "false",
           "Lower 2-d f32 dlc.conv_blocked (and its fused epilogue) to a "
           "register-blocked vector micro-kernel">,
    Option<"vectorRegisters", "vector-registers", "int64_t", "32",
           "Vector registers the conv micro-kernel's tile may use (32: "
           "AVX-512, 16: AVX2)">,
    Option<"paddedInputCopy", "padded-input-copy", "bool", "false",
           "A dlc.conv with padding reads one zero-padded copy of its input "
           "(a loop nest of its own) instead of checking bounds in its "
           "contraction (the CUDA target's implicit GEMM wants two plain "
           "operands)">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
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
    Walks the function in order and re-infers each dlc op's result type from
    its operands (broadcasting, matmul, conv, pooling, reductions, transpose,
    concat, and ops whose result type is their operand's). A dynamic
    dimension (`?`) is replaced by the inferred size; a reshape's one dynamic
    dimension (ONNX's -1) is computed from the element count. A declared size
    that contradicts the inferred one is an error naming the node. The
    function's result types follow the returned values.
  }];
}

def ExpandNarrowTypes : Pass<"dlc-expand-narrow-types", "mlir::func::FuncOp"> {
  let summary = "Give bf16, float8, int4 and int2 values integer storage types";
  let description = [{
    bf16 and float8 values become i16 / i8 holding their bits, 4- and 2-bit
    integers i8 holding their value. A cast from a narrow float decodes its
    bits to f32 (bf16 by a shift, float8 through a 256-entry table); a cast
    to one rounds f32 bits to nearest even, float8 saturating at its
    largest finite value unless the cast is `no_saturate` (then overflow
    gives infinity for float8e5m2, NaN for the others, as ONNX). A cast to
    a narrow integer wraps to its width. Data-movement ops (injective ones
    and select) are only retyped; any other op on narrow floats runs in f32
    between a decode and a rounding; one on narrow integers is an error at
    the op. The signature takes storage types (the ABI keeps the narrow
    dtype, read before this pass); narrow integers cross it in the low bits
    of a byte, the rest zero. Runs right after shape inference.
  }];
}

def SignlessIntegers : Pass<"dlc-signless-integers", "mlir::func::FuncOp"> {
  let summary = "Make unsigned element types signless, keeping their meaning";
  let description = [{
    Values of type ui8..ui64 (ONNX's UINT types) become i8..i64. Where the
    unsigned meaning differs from the signed one it is spelled out with
    signless ops: comparisons, max/min, max reductions and pools, arg_max,
    arg_min and top_k flip the sign bit of their operands (x ^ 0x80..)
    and value results back; div and mod run on operands zero-extended to
    i64; casts from unsigned zero-extend; a float cast to unsigned goes
    through i64. relu and abs disappear. Ops whose bits do not depend on
    the signedness are only retyped; any other op on unsigned values is an
    error at the op. The function signature becomes signless too (the
    library's ABI keeps the unsigned dtype, read before this pass). Runs
    right after shape inference: folding and lowering see signless types.
  }];
}

def FoldConstants : Pass<"dlc-fold-constants", "mlir::func::FuncOp"> {
  let summary = "Evaluate ops whose inputs are all constants at compile time";
  let description = [{
    Elementwise and broadcasting ops, clip, transpose, reshape, concat,
    reductions, matmul and softmax with constant operands are computed at
    compile time and replaced by a dlc.constant. Results larger than
    `max-elements` are left alone (they would bloat the library).
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
    BatchNormalization is imported as y = x * s + t with per-channel
    constants. When x comes from a conv (or matmul) with constant weights,
    the scale is multiplied into the weights (output channel f of the filter,
    or column n of the matmul's right operand) and the shifts are summed into
    one bias add: conv -> add(b) -> mul(s) -> add(t) becomes
    conv(W * s) -> add(b * s + t). Scales that vary along any other axis, or
    a conv whose result has other users, are left alone.
  }];
}

def LayoutNCHWc : Pass<"dlc-layout-nchwc", "mlir::func::FuncOp"> {
  let summary = "Blocked channel layout NCHW[x]c for convolution chains";
  let description = [{
    Each conv (group 1, constant f32 weights) becomes dlc.conv_blocked on
    [N, C/b, H, W, b] with its filter packed at compile time into
    [F/bo, C/bi, KH, KW, bi, bo]; b is `block` (16 floats for AVX-512, from
    the target) or, when it does not divide the channels, their largest
    divisor below it. Elementwise ops, per-channel broadcasts (constants
    repacked), residual adds, pooling and spatial reductions with kept dims
    between convs follow in the blocked layout, so dlc.to_blocked and
    dlc.from_blocked appear only at a chain's edges. Grouped convs,
    non-constant weights and convs whose outputs have no block (one channel)
    are left alone.
  }];
  let options = [
    Option<"block", "block", "int64_t", "16",
           "Channels per block (the vector width in elements)">,
  ];
}

def FuseOps : Pass<"dlc-fuse-ops", "mlir::func::FuncOp"> {
  let summary = "Group ops by op-pattern kind into dlc.fused kernels";
  let description = [{
    TVM's fusion rules, read from each op's PatternKindInterface (never its
    name): a conv, matmul or pool (out-elementwise-fusable) absorbs the
    elementwise and broadcast ops that follow it; elementwise ops fuse with
    each other; injective ops fuse with each other; a reduction ends its
    group; opaque ops stand alone; two out-elementwise-fusable ops never share
    a group. An op joins its producer's group only when it is the producer's
    only user and has the producer's shape, so every group has one output.
    Groups of two or more ops become dlc.fused.
  }];
}

//===----------------------------------------------------------------------===//
// Loop level (passes/loop)
//===----------------------------------------------------------------------===//

def TileFusedGroups : Pass<"dlc-tile-fused-groups", "mlir::func::FuncOp"> {
  let summary = "Make each lowered fused group one loop nest";
  let description = [{
    A fused group lowers to its anchor (conv, matmul, pool, reduction) and one
    elementwise linalg.generic that updates the anchor's result in place,
    marked `dlc.fusion_root`. This pass tiles that root over its outer
    dimensions (all but the innermost, tile size 1) and fuses into the tile
    loop the anchor and the ops the anchor lowered into (its fill, its
    reduction steps: the ops at the anchor's location), so the group runs as
    one loop nest and its epilogue works on a tile still in cache. With
    `microkernel`, a matmul dlc-matmul-microkernel takes is left whole and
    its epilogue tiled on its own. A kernel without an anchor (elementwise
    ops, a transpose) is tiled when it has at least 2^16 iterations. The
    tile loop of a kernel with that much work is marked `dlc.parallel`.
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
    Replaces f32 (and vector of f32) math.exp, math.expm1, math.log,
    math.log1p, math.log2, math.tanh and math.erf with MLIR's polynomial
    approximations (arith ops only), so that loops calling them vectorize
    instead of calling libm one element at a time. Other math ops (sin,
    cos, atan, ...) keep their exact libm calls. The approximations' error
    against a float64 reference is measured by tests/e2e/test_math.py
    (figures in docs/passes.md).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def MatmulMicrokernel : Pass<"dlc-matmul-microkernel", "mlir::ModuleOp"> {
  let summary = "Packed, register-blocked micro-kernel for f32 matmul";
  let description = [{
    Runs on bufferized code. A static f32 linalg.matmul with at least
    `min-flops` multiply-adds becomes the BLIS loop nest: B packed per
    kc-block into kc x nr panels, A per mc x kc block into mr x kc panels
    (both zero-padded to whole tiles), and a micro-kernel that keeps an
    mr x nr tile of C in mr * nr / lanes vector registers (nr = 2 * lanes),
    one broadcast of A and nr / lanes vector FMAs per row and k step. Only
    the update of C masks columns past N and skips rows past M. Smaller
    matmuls are left to the generic lowering. A constant B (a
    memref.get_global of a constant global) is packed at compile time into
    a new global [K / kc][N / nr][kc][nr]. Batched matmuls (the generic
    C[b.., m, n] += A[b.., m, k] * B[b.., k, n]) run the kernel once per
    batch index, with the batch loop marked for threads.
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
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def ParallelizeLoops : Pass<"dlc-parallelize-loops", "mlir::ModuleOp"> {
  let summary = "Run loops marked dlc.parallel on the runtime's thread pool";
  let description = [{
    Runs on loops (after bufferization). The body of each outermost scf.for
    marked `dlc.parallel` (its iterations write disjoint data) is outlined
    into `@<function>_par<k>(buffers..., indices..., begin, end)`, marked
    `dlc.parallel_loop = [buffers, indices]`, and the loop becomes a call to
    the external `@<function>_par<k>_launch(buffers..., indices..., lower,
    upper, step)` that the library's glue defines around dlc_parallel_for.
    Constants are cloned into the body. A loop that captures anything but
    static identity-layout memrefs and index values, or has a non-constant
    step, stays sequential.
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect"];
}

def OutlineKernels : Pass<"dlc-outline-kernels", "mlir::ModuleOp"> {
  let summary = "Give each sequential kernel loop nest its own function";
  let description = [{
    Runs on loops, after dlc-parallelize-loops. Every outermost scf.for left
    in a model's entry function (a kernel that did not go to the thread
    pool) moves into `@<function>_kernel<k>(buffers..., indices...)`, marked
    noinline, and the loop becomes a call. Without it a large model's entry
    function holds every sequential kernel, and LLVM's optimizations, whose
    cost grows faster than the size of a function, take minutes on it. As
    for parallel loops, only static identity-layout memrefs and index values
    can cross (the bare-pointer calling convention); constants and views of
    what crosses (a concat's strided slot) are re-created inside; global
    buffers (weights) cross as arguments, so repeated layers give identical
    kernels; buffers that share no byte are marked noalias. A loop
    capturing anything else, or yielding values, stays.
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect"];
}

def MergeIdenticalKernels : Pass<"dlc-merge-identical-kernels", "mlir::ModuleOp"> {
  let summary = "Keep one of each set of identical kernel functions";
  let description = [{
    Runs after dlc-outline-kernels. A transformer's layers (or a CNN's
    repeated blocks) become kernels that differ only in the buffers they
    are given: LLVM would optimize and compile each copy. Parallel-loop
    bodies (`dlc.parallel_loop`) whose types, attributes and bodies are
    equivalent are merged first (their `_launch` calls redirected to the
    one kept), then outlined kernels (`dlc.kernel`), whose calls then name
    the same launchers. Not an optimization of the code: the calls run
    what they ran before.
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def InstrumentKernels : Pass<"dlc-instrument-kernels", "mlir::ModuleOp"> {
  let summary = "Call the profiler's mark before each kernel (--profile)";
  let description = [{
    Runs on loops, last (`dlc compile --profile`). In each public function
    with a body (the model's entry), a call `__dlc_profile_mark(i)` goes
    before its i-th kernel (each top-level loop nest, linalg op, copy, call
    or gpu.launch) and `__dlc_profile_mark(K)` before it returns, K being
    the number of kernels; the C glue turns the marks into per-kernel times.
    The function gets `dlc.kernel_labels`, one string per kernel: the ONNX
    nodes behind it, or its op name. A module that declares the mark
    already is left alone, and so are private functions (outlined kernels).
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::arith::ArithDialect"];
}

def PlanMemory : Pass<"dlc-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Place all intermediate buffers in one arena, reused by liveness";
  let description = [{
    Runs on bufferized code. A buffer that is only copied into a result
    (out-param) at the end is replaced by that result. Every other static
    top-level memref.alloc becomes a memref.view into one 64-byte aligned
    arena; buffers whose lifetimes do not overlap share bytes (greedy by size,
    first fit). The function gets `dlc.arena_bytes` and `dlc.naive_bytes`
    (the sum of the planned buffers) attributes for `dlc compile --report`.
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
    A constant memref.global of rank 2 or more (a weight) becomes a 1-d
    global of the same elements, and each memref.get_global of it an
    expand_shape view back to the original shape. LLVM gets one constant per
    weight instead of one per innermost row of nested arrays (a 1x1
    convolution's weights would be one constant per float, which makes
    translating ResNet-50 take tens of seconds and gigabytes).
  }];
}

//===----------------------------------------------------------------------===//
// GPU (passes/gpu)
//===----------------------------------------------------------------------===//

def GpuMapKernels : Pass<"dlc-gpu-map-kernels", "mlir::func::FuncOp"> {
  let summary = "Make each kernel of a bufferized function one gpu.launch";
  let description = [{
    Runs on bufferized linalg (before linalg becomes loops). Each kernel of
    the function becomes one gpu.launch, so that no buffer is touched on the
    host:
    - an f32 contraction (a linalg op whose payload is acc + a * b over two
      inputs: matmuls, batched matmuls, convolutions as implicit GEMMs) with
      M, N >= 32 and K >= 16 becomes a tiled kernel: loop dims read by both
      inputs are batch dims (the grid's z), by the first only M, by the
      second only N, reductions K; a block of 16 x 16 threads computes a
      64 x 64 tile of C, 4 x 4 outputs a thread in registers, with A and B
      staged through workgroup (shared) memory 16 of K at a time, each
      element read through the operand's indexing map;
    - any other linalg op whose outputs are indexed by its parallel loops
      gets one thread per output element (`block-size` threads a block),
      its reduction loops run by that thread with the accumulator in a
      register;
    - the linalg.fill that initializes a reduction's output is folded into
      the accumulator, and the in-place elementwise linalg.generic ops that
      follow it on the same buffer (a fused group's epilogue) are applied to
      each output before it is stored: a fused group is one kernel;
    - anything else that touches memory (a loop nest lowered by hand, a
      linalg op with an irregular output) runs in a one-thread kernel.
    A memref with a strided layout that a kernel uses is rebuilt inside the
    kernel from its identity-layout source, so kernels take bare pointers.

    Split-K: a tiled contraction with fewer output tiles than twice
    `sm-count` (a batch-1 layer with few output pixels) has its K split in
    up to 32 ranges of at least 8 x 16, one a block (the grid's z is split
    x batch), so that every multiprocessor gets work; each block stores its
    partial sums in a buffer [splits, batch, M, N], and a second kernel, one
    thread per output, adds them up with the start value, applies the
    epilogue and stores.

    Split reductions: a one-thread-per-output kernel with fewer outputs
    than 512 a multiprocessor (a batch-1 classifier, the row reductions of
    layer norm and softmax) whose payload is combiner(acc, f(inputs)) with
    the combiner a sum, max or min has its outermost reduction loop split
    across the grid's y (ranges of at least 32 iterations of the whole
    reduction); each thread's partial starts from the combiner's identity
    and goes to a buffer [splits, outputs]; a second kernel combines them
    with the start value by the same op, applies the epilogue and stores.
    Any other payload keeps one thread per output.
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
    For checking the GPU mapping on a machine without a GPU (`dlc compile
    --target=cuda-emulate`): each gpu.launch with constant sizes becomes
    loops over its blocks and threads, run one after another, and its
    workgroup buffers become stack buffers. A kernel with barriers must have
    them at the top level of one scf.for of its body, as the tiled matmul
    does: that loop's body is split at the barriers and each piece runs for
    every thread of the block before the next; values that live across a
    barrier (the loop's iter_args, per-thread results) are kept in
    per-thread arrays. Other kernels with barriers are an error.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def GpuLibdeviceCalls : Pass<"dlc-gpu-libdevice-calls", "mlir::gpu::GPUModuleOp"> {
  let summary = "Math ops the NVVM lowering lacks become libdevice calls";
  let description = [{
    In the kernels' gpu.module, f32 and f64 math.sinh, cosh, asin, acos,
    asinh, acosh and atanh (which convert-gpu-to-nvvm has no pattern for)
    become calls to libdevice's __nv_* functions (__nv_sinhf, __nv_sinh,
    ...), declared in the module; libdevice is linked when the PTX is made.
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def GpuMergeModules : Pass<"dlc-gpu-merge-modules", "mlir::ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module";
  let description = [{
    gpu-kernel-outlining gives each kernel a gpu.module of its own. This
    pass moves every kernel into the first one (a moved kernel takes its old
    module's name, which is unique) and points the gpu.launch_func ops at
    it, so that a model is one PTX module: one file for `--emit=ptx` and one
    load at run time.
  }];
}

def GpuHostMemory : Pass<"dlc-gpu-host-memory", "mlir::ModuleOp"> {
  let summary = "Give host code device memory: buffers and weights on the GPU";
  let description = [{
    Runs on the LLVM dialect, after the host side of a CUDA module is
    lowered. In host functions (outside gpu.module and gpu.binary), heap
    buffers become device buffers: calls to malloc / free become
    __dlc_gpu_alloc / __dlc_gpu_free, and the address of a constant global
    (a weight) becomes __dlc_gpu_constant(address, bytes), which returns its
    copy on the device (uploaded by the runtime once). The entry function's
    arguments are device pointers already (the glue copies them).
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // DLC_PASSES_TD
