//===- DlcOps.td - The dlc graph dialect -------------------*- tablegen -*-===//
//
// A compact set of canonical tensor ops with static shapes. Frontends map
// their ops onto these (decomposing composite ones); every op infers its result
// type and declares its op-pattern kind for fusion.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_OPS_TD
#define DLC_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "compiler/dialect/DlcInterfaces.td"

def Dlc_Dialect : Dialect {
  let name = "dlc";
  let cppNamespace = "::dlc";
  let summary = "The dlc graph dialect: canonical tensor ops with static shapes";
  let description = [{
    Graph-level IR of the dlc compiler. Values are ranked tensors; a dimension
    may be dynamic (`?`) until shape inference (dlc-shape-inference) makes it
    static, which lowering requires. Ops are pure. Every op declares an op-pattern kind
    (PatternKindInterface) that operator fusion reads.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultTypePrinterParser = 1;
  // The attributes dlc's passes and importers leave on ops of other
  // dialects (as "dlc.<name>"), each with a helper class
  // (DlcDialect::ParallelAttrHelper, ...).
  let discardableAttrs = (ins
    // An scf.for whose iterations are independent: dlc-parallelize-loops
    // runs it on the thread pool.
    UnitAttr:$parallel,
    // A function outlined from a parallel loop, called through the glue's
    // launcher: [pointer operands, index operands].
    DenseI64ArrayAttr:$parallel_loop,
    // A function outlined by dlc-outline-kernels from the entry's body.
    UnitAttr:$kernel,
    // On the entry under --profile: the ONNX nodes of each timed kernel.
    ArrayAttr:$kernel_labels,
    // The anchor of a fused group, which dlc-tile-fused-groups tiles.
    UnitAttr:$fusion_root,
    // On the entry after dlc-plan-memory: the arena's bytes and the bytes
    // of one buffer per intermediate.
    I64Attr:$arena_bytes,
    I64Attr:$naive_bytes,
    // On an entry argument or result: the ONNX tensor's name.
    StrAttr:$name,
    // On an entry argument or result: its dim 0 is the model's symbolic
    // batch (this symbol), which the library runs sample by sample.
    StrAttr:$batch_symbol,
    // On an entry argument marked batch_symbol: [min, max], the batch sizes
    // the library serves (--dim-range); max -1 when unbounded.
    DenseI64ArrayAttr:$batch_range,
    // On an entry argument: checks of its values at run time, each a
    // dictionary {kind, node, expected, operand, flags}. The argument
    // decides a node's output shape (a Reshape's shape, TopK's k), and the
    // library was compiled for the shape the model declares.
    ArrayAttr:$value_checks,
    // On an entry result whose shape depends on the data (NonZero,
    // Compress): computed at its largest shape, its size along this dim
    // known at run time. A trailing result marked count_of (the index of
    // that result) holds the size; the library allocates the output.
    I64Attr:$bounded_dim,
    I64Attr:$count_of
  );
}

//===----------------------------------------------------------------------===//
// Element types ONNX has and MLIR 19 lacks
//===----------------------------------------------------------------------===//

class Dlc_Type<string name, string typeMnemonic> : TypeDef<Dlc_Dialect, name> {
  let mnemonic = typeMnemonic;
}

def Dlc_Float4E2M1Type : Dlc_Type<"Float4E2M1", "f4E2M1"> {
  let summary = "ONNX's FLOAT4E2M1: sign, 2 exponent bits (bias 1), 1 mantissa bit";
  let description = [{
    Values 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives; no infinity or
    NaN. Only casts and data movement take it: dlc-expand-narrow-types
    stores it in an i8 (the bits in the low four) before any other pass.
  }];
}

def Dlc_Float8E8M0Type : Dlc_Type<"Float8E8M0", "f8E8M0"> {
  let summary = "ONNX's FLOAT8E8M0: an unsigned power of two, 2^(bits - 127)";
  let description = [{
    0xFF is NaN; no zero, sign or infinity. Only casts and data movement
    take it: dlc-expand-narrow-types stores it in an i8 before any other
    pass.
  }];
}

class Dlc_Op<string mnemonic, string kind, list<Trait> traits = []>
    : Op<Dlc_Dialect, mnemonic,
         !listconcat([Pure, Dlc_PatternKindInterface], traits)> {
  code patternKindDecl = "static ::dlc::PatternKind getPatternKind() { "
                         "return ::dlc::PatternKind::" # kind # "; }";
  let extraClassDeclaration = patternKindDecl;
}

// On integers, computes the same bits whether they are read as signed or
// unsigned (two's complement): dlc-signless-integers only drops the sign
// from its types. Other ops on unsigned integers it rewrites or refuses.
def Dlc_SignAgnostic : NativeOpTrait<"SignAgnostic"> {
  let cppNamespace = "::mlir::OpTrait::dlc";
}

def Dlc_Tensor : RankedTensorOf<[AnyType]>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Dlc_ConstantOp : Dlc_Op<"constant", "Opaque", [ConstantLike,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "A constant tensor (a weight, a bias, a shape)";
  let description = [{
    ```mlir
    %w = dlc.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let builders = [
    OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
      build($_builder, $_state, value.getType(), value);
    }]>
  ];
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Dlc_UnaryOp<string mnemonic, string summaryText,
                  list<Trait> traits = []>
    : Dlc_Op<mnemonic, "Elementwise",
             !listconcat([SameOperandsAndResultType], traits)> {
  let summary = summaryText;
  let arguments = (ins Dlc_Tensor:$input);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Dlc_ReluOp : Dlc_UnaryOp<"relu", "max(x, 0)">;
def Dlc_SigmoidOp : Dlc_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Dlc_TanhOp : Dlc_UnaryOp<"tanh", "Hyperbolic tangent">;
def Dlc_ExpOp : Dlc_UnaryOp<"exp", "Natural exponential">;
def Dlc_LogOp : Dlc_UnaryOp<"log", "Natural logarithm">;
def Dlc_SqrtOp : Dlc_UnaryOp<"sqrt", "Square root">;
def Dlc_NegOp : Dlc_UnaryOp<"neg", "Negation", [Dlc_SignAgnostic]>;
def Dlc_AbsOp : Dlc_UnaryOp<"abs", "Absolute value">;
def Dlc_ErfOp : Dlc_UnaryOp<"erf", "Gauss error function">;
def Dlc_ReciprocalOp : Dlc_UnaryOp<"reciprocal", "1 / x">;
def Dlc_SinOp : Dlc_UnaryOp<"sin", "Sine">;
def Dlc_CosOp : Dlc_UnaryOp<"cos", "Cosine">;
def Dlc_TanOp : Dlc_UnaryOp<"tan", "Tangent">;
def Dlc_AsinOp : Dlc_UnaryOp<"asin", "Arcsine">;
def Dlc_AcosOp : Dlc_UnaryOp<"acos", "Arccosine">;
def Dlc_AtanOp : Dlc_UnaryOp<"atan", "Arctangent">;
def Dlc_SinhOp : Dlc_UnaryOp<"sinh", "Hyperbolic sine">;
def Dlc_CoshOp : Dlc_UnaryOp<"cosh", "Hyperbolic cosine">;
def Dlc_AsinhOp : Dlc_UnaryOp<"asinh", "Inverse hyperbolic sine">;
def Dlc_AcoshOp : Dlc_UnaryOp<"acosh", "Inverse hyperbolic cosine">;
def Dlc_AtanhOp : Dlc_UnaryOp<"atanh", "Inverse hyperbolic tangent">;
def Dlc_CeilOp : Dlc_UnaryOp<"ceil", "Smallest integer >= x">;
def Dlc_FloorOp : Dlc_UnaryOp<"floor", "Largest integer <= x">;
def Dlc_RoundOp : Dlc_UnaryOp<"round", "Nearest integer, halves to even">;
def Dlc_SignOp : Dlc_UnaryOp<"sign", "-1, 0 or 1 (0 for 0, NaN for NaN)">;
def Dlc_NotOp : Dlc_UnaryOp<"not", "Logical negation of i1", [Dlc_SignAgnostic]>;

def Dlc_CastOp : Dlc_Op<"cast", "Elementwise"> {
  let summary = "Converts each element to the result's element type";
  let description = [{
    Float to integer truncates toward zero (saturating at the type's range);
    integer to float rounds to nearest; any value to i1 is `x != 0`.
    A cast to a float8 type rounds to nearest even and saturates at the
    largest finite value, unless the unit attribute `no_saturate` is set:
    then an overflow gives infinity (float8e5m2) or NaN (the other float8
    types), as ONNX's Cast with saturate=0.
  }];
  let arguments = (ins Dlc_Tensor:$input);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

def Dlc_BitcastOp : Dlc_Op<"bitcast", "Elementwise", [Dlc_SignAgnostic]> {
  let summary = "Reinterprets each element's bits as the result's type";
  let description = [{
    Both element types have the same bit width (f32 <-> i32, bf16 <-> i16).
  }];
  let arguments = (ins Dlc_Tensor:$input);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

def Dlc_ClipOp : Dlc_Op<"clip", "Elementwise", [SameOperandsAndResultType]> {
  let summary = "min(max(x, min), max) with constant bounds";
  let arguments = (ins Dlc_Tensor:$input, F64Attr:$min, F64Attr:$max);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

// The result type of a broadcasting op with two operands: their broadcast
// shape, with the element type `resultElement` (C++ given the context), or
// the operands' when empty.
class Dlc_BroadcastInference<string resultElement> {
  code inference = [{
    ::mlir::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      return inferBroadcast(loc, {adaptor.getLhs(), adaptor.getRhs()},
                            }] # !if(!empty(resultElement), "nullptr",
                                     resultElement) # [{, inferred);
    }
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange declared,
                                            ::mlir::TypeRange inferred) {
      return compatibleTypes(declared, inferred);
    }
  }];
}

class Dlc_BinaryOp<string mnemonic, string summaryText,
                   list<Trait> traits = []>
    : Dlc_Op<mnemonic, "Broadcast",
             !listconcat([SameOperandsElementType,
                          InferTypeOpAdaptorWithIsCompatible], traits)> {
  let summary = summaryText;
  let description = [{
    Elementwise with numpy-style (multidirectional) broadcasting.
  }];
  let arguments = (ins Dlc_Tensor:$lhs, Dlc_Tensor:$rhs);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDefinition = Dlc_BroadcastInference<"">.inference;
}

def Dlc_AddOp : Dlc_BinaryOp<"add", "lhs + rhs", [Dlc_SignAgnostic]> { let hasFolder = 1; }
def Dlc_SubOp : Dlc_BinaryOp<"sub", "lhs - rhs", [Dlc_SignAgnostic]>;
def Dlc_MulOp : Dlc_BinaryOp<"mul", "lhs * rhs", [Dlc_SignAgnostic]> { let hasFolder = 1; }
def Dlc_DivOp : Dlc_BinaryOp<"div", "lhs / rhs">;
def Dlc_MaxOp : Dlc_BinaryOp<"max", "max(lhs, rhs)">;
def Dlc_MinOp : Dlc_BinaryOp<"min", "min(lhs, rhs)">;
def Dlc_PowOp : Dlc_BinaryOp<"pow", "lhs ^ rhs">;
def Dlc_ModOp : Dlc_BinaryOp<"mod", "lhs mod rhs, the sign of rhs (floored)">;
def Dlc_FModOp : Dlc_BinaryOp<"fmod", "lhs mod rhs, the sign of lhs (C fmod)">;
def Dlc_AndOp : Dlc_BinaryOp<"and", "And of integers: logical on i1, bitwise on wider ones", [Dlc_SignAgnostic]>;
def Dlc_OrOp : Dlc_BinaryOp<"or", "Or of integers: logical on i1, bitwise on wider ones", [Dlc_SignAgnostic]>;
def Dlc_XorOp : Dlc_BinaryOp<"xor", "Exclusive or of integers: logical on i1, bitwise on wider ones", [Dlc_SignAgnostic]>;
def Dlc_ShiftLeftOp : Dlc_BinaryOp<"shift_left",
    "lhs << rhs on integers; 0 when rhs is the width or more",
    [Dlc_SignAgnostic]>;
def Dlc_ShiftRightOp : Dlc_BinaryOp<"shift_right",
    "Logical lhs >> rhs on integers; 0 when rhs is the width or more",
    [Dlc_SignAgnostic]>;

class Dlc_CompareOp<string mnemonic, string summaryText,
                    list<Trait> traits = []>
    : Dlc_Op<mnemonic, "Broadcast",
             !listconcat([SameOperandsElementType,
                          InferTypeOpAdaptorWithIsCompatible], traits)> {
  let summary = summaryText;
  let description = [{
    Compares elementwise with numpy-style broadcasting; the result is i1.
    Comparisons with NaN are false (ordered), except `not_equal`.
  }];
  let arguments = (ins Dlc_Tensor:$lhs, Dlc_Tensor:$rhs);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDefinition =
      Dlc_BroadcastInference<"::mlir::IntegerType::get(context, 1)">.inference;
}

def Dlc_EqualOp : Dlc_CompareOp<"equal", "lhs == rhs", [Dlc_SignAgnostic]>;
def Dlc_NotEqualOp : Dlc_CompareOp<"not_equal", "lhs != rhs (true with NaN)", [Dlc_SignAgnostic]>;
def Dlc_LessOp : Dlc_CompareOp<"less", "lhs < rhs">;
def Dlc_LessEqualOp : Dlc_CompareOp<"less_equal", "lhs <= rhs">;
def Dlc_GreaterOp : Dlc_CompareOp<"greater", "lhs > rhs">;
def Dlc_GreaterEqualOp : Dlc_CompareOp<"greater_equal", "lhs >= rhs">;

def Dlc_SelectOp : Dlc_Op<"select", "Broadcast",
                          [InferTypeOpAdaptorWithIsCompatible,
                           Dlc_SignAgnostic]> {
  let summary = "cond ? lhs : rhs, elementwise with broadcasting (ONNX Where)";
  let arguments = (ins Dlc_Tensor:$condition, Dlc_Tensor:$lhs,
                   Dlc_Tensor:$rhs);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Matrix products, convolution, pooling
//===----------------------------------------------------------------------===//

def Dlc_MatMulOp : Dlc_Op<"matmul", "OutEWiseFusable", [InferTypeOpAdaptorWithIsCompatible,
                                                          SameOperandsElementType,
                                                          Dlc_SignAgnostic]> {
  let summary = "Batched matrix product with broadcast batch dimensions";
  let description = [{
    lhs [..., M, K] x rhs [..., K, N] -> [..., M, N]; both operands have rank
    2 or more and their batch dimensions broadcast as in numpy.
  }];
  let arguments = (ins Dlc_Tensor:$lhs, Dlc_Tensor:$rhs);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasCanonicalizer = 1;
}

def Dlc_MatMulIntegerOp : Dlc_Op<"matmul_integer", "OutEWiseFusable",
                                 [InferTypeOpAdaptorWithIsCompatible,
                                  Dlc_SignAgnostic]> {
  let summary = "Matrix product of 8-bit integers, accumulated exactly in i32";
  let description = [{
    lhs [M, K] x rhs [K, N] of 8-bit integers -> [M, N] of i32: each
    element sums K products of the operands widened to i32, zero-extended
    where `lhs_unsigned` / `rhs_unsigned` is set, sign-extended otherwise
    (the attributes, not the element types, carry the sign, so that the op
    survives dlc-signless-integers). The sums wrap as i32 arithmetic does;
    below 2^31 / 255^2 (33025) products they are exact. The CPU micro-kernel
    runs it on VNNI's vpdpbusd or on AVX2's vpmaddwd.

    ```mlir
    %c = dlc.matmul_integer %a, %b {lhs_unsigned}
        : (tensor<4x64xui8>, tensor<64x32xi8>) -> tensor<4x32xi32>
    ```
  }];
  let arguments = (ins Dlc_Tensor:$lhs, Dlc_Tensor:$rhs,
                   UnitAttr:$lhs_unsigned, UnitAttr:$rhs_unsigned);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Dlc_ConvOp : Dlc_Op<"conv", "OutEWiseFusable", [InferTypeOpAdaptorWithIsCompatible,
                                                      SameOperandsElementType,
                                                      Dlc_SignAgnostic]> {
  let summary = "N-d grouped convolution, channels first (NC...)";
  let description = [{
    input [N, C, D1..Dk] with filter [F, C/group, K1..Kk] gives
    [N, F, O1..Ok]. `pads` holds k begin pads then k end pads (ONNX order).
    Bias is a separate broadcast add.

    ```mlir
    %y = dlc.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64,
                          pads = array<i64: 1, 1, 1, 1>,
                          strides = array<i64: 1, 1>}
        : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Dlc_Tensor:$input, Dlc_Tensor:$filter,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, I64Attr:$group);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` functional-type(operands, results)
  }];
}

def Dlc_ConvIntegerOp : Dlc_Op<"conv_integer", "OutEWiseFusable",
    [InferTypeOpAdaptorWithIsCompatible, Dlc_SignAgnostic]> {
  let summary = "Convolution of 8-bit integers, accumulated exactly in i32";
  let description = [{
    input [N, C, D1..Dk] of unsigned 8-bit integers (i8, zero-extended: the
    operand signs of VNNI's vpdpbusd) or of signed 16-bit ones (i16,
    sign-extended: vpmaddwd's) with filter [F, C, K1..Kk] of signed 8-bit
    integers (sign-extended) gives [N, F, O1..Ok] of i32 sums. No groups;
    padding reads 0. Sums wrap as i32 arithmetic does; with inputs within
    [-255, 255] and below 2^31 / (255 * 128) (65793) products per output
    they are exact. Made by dlc-quantized-conv; dlc-layout-nchwc blocks it.

    ```mlir
    %y = dlc.conv_integer %x, %w {dilations = array<i64: 1, 1>,
                                  pads = array<i64: 0, 0, 0, 0>,
                                  strides = array<i64: 1, 1>}
        : (tensor<1x8x4x4xi8>, tensor<16x8x1x1xi8>) -> tensor<1x16x4x4xi32>
    ```
  }];
  let arguments = (ins Dlc_Tensor:$input, Dlc_Tensor:$filter,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` functional-type(operands, results)
  }];
}

class Dlc_PoolOp<string mnemonic, string summaryText, dag extraArgs>
    : Dlc_Op<mnemonic, "OutEWiseFusable", [InferTypeOpAdaptorWithIsCompatible]> {
  let summary = summaryText;
  let description = [{
    Pools over the spatial dims 2.. of [N, C, D1..Dk]. With `blocked`, the
    input is in the blocked channel layout [N, C/b, D1..Dk, b]
    (dlc.to_blocked) and the last dim is pooled over nothing.
  }];
  let arguments = !con((ins Dlc_Tensor:$input,
                        DenseI64ArrayAttr:$kernel_shape,
                        DenseI64ArrayAttr:$strides,
                        DenseI64ArrayAttr:$dilations,
                        DenseI64ArrayAttr:$pads, BoolAttr:$ceil_mode),
                       extraArgs, (ins UnitAttr:$blocked));
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dlc_MaxPoolOp : Dlc_PoolOp<"max_pool", "N-d max pooling, channels first",
                               (ins)>;
def Dlc_AvgPoolOp : Dlc_PoolOp<"avg_pool", "N-d average pooling, channels first",
                               (ins BoolAttr:$count_include_pad)>;

//===----------------------------------------------------------------------===//
// Reductions and normalization
//===----------------------------------------------------------------------===//

class Dlc_ReduceOp<string mnemonic, string summaryText,
                   list<Trait> traits = []>
    : Dlc_Op<mnemonic, "Reduction",
             !listconcat([InferTypeOpAdaptorWithIsCompatible], traits)> {
  let summary = summaryText;
  let arguments = (ins Dlc_Tensor:$input, DenseI64ArrayAttr:$axes,
                   BoolAttr:$keepdims);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dlc_ReduceSumOp : Dlc_ReduceOp<"reduce_sum", "Sum over `axes`",
                                   [Dlc_SignAgnostic]>;
def Dlc_ReduceMeanOp : Dlc_ReduceOp<"reduce_mean", "Mean over `axes`">;
def Dlc_ReduceMaxOp : Dlc_ReduceOp<"reduce_max", "Maximum over `axes`">;
def Dlc_ReduceMinOp : Dlc_ReduceOp<"reduce_min", "Minimum over `axes`">;
def Dlc_ReduceProdOp : Dlc_ReduceOp<"reduce_prod", "Product over `axes`",
                                    [Dlc_SignAgnostic]>;

class Dlc_ArgReduceOp<string mnemonic, string summaryText>
    : Dlc_Op<mnemonic, "Opaque", [InferTypeOpAdaptorWithIsCompatible]> {
  let summary = summaryText;
  let description = [{
    The i64 index along `axis` of the extreme element: the first one, or the
    last one with `select_last_index`. NaN is never selected unless all are.
  }];
  let arguments = (ins Dlc_Tensor:$input, I64Attr:$axis, BoolAttr:$keepdims,
                   BoolAttr:$select_last_index);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dlc_ArgMaxOp : Dlc_ArgReduceOp<"arg_max", "Index of the maximum along `axis`">;
def Dlc_ArgMinOp : Dlc_ArgReduceOp<"arg_min", "Index of the minimum along `axis`">;

def Dlc_CumSumOp : Dlc_Op<"cumsum", "Opaque", [SameOperandsAndResultType,
                                                Dlc_SignAgnostic]> {
  let summary = "Running sum along `axis` (ONNX CumSum)";
  let description = [{
    Element i holds the sum of elements 0..i along `axis` (0..i-1 when
    `exclusive`; counted from the end when `reverse`).
  }];
  let arguments = (ins Dlc_Tensor:$input, I64Attr:$axis, BoolAttr:$exclusive,
                   BoolAttr:$reverse);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Dlc_SoftmaxOp : Dlc_Op<"softmax", "Opaque", [SameOperandsAndResultType]> {
  let summary = "exp(x - max) / sum(exp(x - max)) along one axis";
  let arguments = (ins Dlc_Tensor:$input, I64Attr:$axis);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Dlc_TransposeOp : Dlc_Op<"transpose", "Injective", [InferTypeOpAdaptorWithIsCompatible,
                                                        Dlc_SignAgnostic]> {
  let summary = "Permutes dimensions: result dim i is input dim perm[i]";
  let hasFolder = 1;
  let arguments = (ins Dlc_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dlc_ReshapeOp : Dlc_Op<"reshape", "Injective", [Dlc_SignAgnostic]> {
  let summary = "Same elements in row-major order, new shape";
  let description = [{
    At most one result dimension may be dynamic (`?`, as ONNX's -1): shape
    inference computes it from the element count.
  }];
  let arguments = (ins Dlc_Tensor:$input);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Dlc_GatherOp : Dlc_Op<"gather", "Injective",
                           [InferTypeOpAdaptorWithIsCompatible,
                            Dlc_SignAgnostic]> {
  let summary = "Picks slices along `axis` at integer `indices` (ONNX Gather)";
  let description = [{
    result shape = input.shape[:axis] + indices.shape + input.shape[axis+1:].
    A negative index counts from the end; an index out of range reads the
    nearest valid slice (ONNX leaves it undefined).
  }];
  let arguments = (ins Dlc_Tensor:$input, Dlc_Tensor:$indices, I64Attr:$axis);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` functional-type(operands, results)
  }];
}

def Dlc_GatherElementsOp : Dlc_Op<"gather_elements", "Injective",
                                   [InferTypeOpAdaptorWithIsCompatible,
                                    Dlc_SignAgnostic]> {
  let summary = "result[i..] = input[i.. with indices[i..] along `axis`]";
  let description = [{
    ONNX GatherElements: the result has the shape of `indices`. A negative
    index counts from the end; an index out of range reads the nearest valid
    element (ONNX leaves it undefined).
  }];
  let arguments = (ins Dlc_Tensor:$input, Dlc_Tensor:$indices, I64Attr:$axis);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` functional-type(operands, results)
  }];
}

def Dlc_GatherNDOp : Dlc_Op<"gather_nd", "Injective",
                             [InferTypeOpAdaptorWithIsCompatible,
                              Dlc_SignAgnostic]> {
  let summary = "Reads slices of `input` at index tuples (ONNX GatherND)";
  let description = [{
    The last dim of `indices` (k) holds coordinates into input dims
    batch_dims .. batch_dims + k; the first batch_dims dims of both are
    batch dims. result shape = indices.shape[:-1] + input.shape[batch_dims
    + k:]. Negative coordinates count from the end; out of range ones are
    clamped.
  }];
  let arguments = (ins Dlc_Tensor:$input, Dlc_Tensor:$indices,
                   I64Attr:$batch_dims);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` functional-type(operands, results)
  }];
}

class Dlc_ScatterOp<string mnemonic, string summaryText, string text>
    : Dlc_Op<mnemonic, "Opaque", [InferTypeOpAdaptorWithIsCompatible]> {
  let summary = summaryText;
  let description = text # [{

    The result starts as a copy of `data`; updates are applied in index
    order, each combined with the element it targets as `reduction` says:
    "none" (replace), "add", "mul", "max" or "min". A negative index counts
    from the end; an index out of range writes the nearest valid element
    (ONNX leaves it undefined).
  }];
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:`
      functional-type(operands, results)
  }];
}

def Dlc_ScatterElementsOp : Dlc_ScatterOp<"scatter_elements",
    "result[i.. with indices[i..] along `axis`] = updates[i..]", [{
    ONNX ScatterElements: `indices` and `updates` have one shape, of the
    data's rank.
  }]> {
  let arguments = (ins Dlc_Tensor:$data, Dlc_Tensor:$indices,
                   Dlc_Tensor:$updates, I64Attr:$axis, StrAttr:$reduction);
}

def Dlc_ScatterNDOp : Dlc_ScatterOp<"scatter_nd",
    "Writes slices of `updates` at index tuples (ONNX ScatterND)", [{
    The last dim of `indices` (k) holds coordinates into data dims 0..k-1;
    updates.shape = indices.shape[:-1] + data.shape[k:].
  }]> {
  let arguments = (ins Dlc_Tensor:$data, Dlc_Tensor:$indices,
                   Dlc_Tensor:$updates, StrAttr:$reduction);
}

def Dlc_TopKOp : Dlc_Op<"top_k", "Opaque",
                         [InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "i64 indices of the `k` largest (or smallest) along `axis`";
  let description = [{
    ONNX TopK's indices output, sorted: best first, and equal values in
    index order. Floats are ordered totally, NaN above every number. The
    values are a gather_elements of the input at these indices.
  }];
  let arguments = (ins Dlc_Tensor:$input, I64Attr:$axis, I64Attr:$k,
                   BoolAttr:$largest);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dlc_NonMaxSuppressionOp : Dlc_Op<"non_max_suppression", "Opaque",
                              [InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX NonMaxSuppression's selected boxes, packed first";
  let description = [{
    Boxes [batches, boxes, 4] and scores [batches, classes, boxes] (floats
    of one type); max_per_class (i64), iou_threshold and score_threshold
    (the boxes' type) are scalar tensors, read at run time. Per batch and
    class, greedily: the best remaining candidate (highest score, then
    lowest index; with has_score_threshold, only scores above the
    threshold) is selected unless a box already selected overlaps it by an
    IoU above iou_threshold, up to max_per_class; as ONNX's reference
    computes the IoU (corners in any order, or centers and sizes with
    center_point_box). The result, [batches * classes * per_class_bound,
    3] i64, holds (batch, class, box) rows in selection order, as many as
    `count` (a scalar i64 tensor) says; the rows after them are undefined.
  }];
  let arguments = (ins Dlc_Tensor:$boxes, Dlc_Tensor:$scores,
                   Dlc_Tensor:$max_per_class, Dlc_Tensor:$iou_threshold,
                   Dlc_Tensor:$score_threshold, BoolAttr:$center_point_box,
                   BoolAttr:$has_score_threshold, I64Attr:$per_class_bound);
  let results = (outs Dlc_Tensor:$result, Dlc_Tensor:$count);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Dlc_SliceOp : Dlc_Op<"slice", "Injective",
                          [InferTypeOpAdaptorWithIsCompatible,
                           Dlc_SignAgnostic]> {
  let summary = "Strided slice: starts, ends, steps given for every dim";
  let description = [{
    Dim d keeps indices starts[d], starts[d] + steps[d], ... below ends[d]
    (clamped to the dim). Starts are in range and steps positive; the
    importer normalizes ONNX's negative and out-of-range values.
  }];
  let arguments = (ins Dlc_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dlc_ConcatOp : Dlc_Op<"concat", "Injective", [InferTypeOpAdaptorWithIsCompatible,
                                                  Dlc_SignAgnostic]> {
  let summary = "Joins tensors along `axis`";
  let arguments = (ins Variadic<Dlc_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Blocked channel layout (NCHW[x]c)
//===----------------------------------------------------------------------===//

def Dlc_ToBlockedOp : Dlc_Op<"to_blocked", "Injective",
                              [InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "[N, C, D...] -> [N, C/b, D..., b]: channels in blocks of b";
  let description = [{
    The blocked layout of dlc-layout-nchwc: channel c lands in block c / b at
    position c % b, the innermost dimension, so a vector of b channels is
    contiguous. `block` must divide C.
  }];
  let arguments = (ins Dlc_Tensor:$input, I64Attr:$block);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Dlc_FromBlockedOp : Dlc_Op<"from_blocked", "Injective",
                                [InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "[N, C/b, D..., b] -> [N, C, D...]: back to channels first";
  let arguments = (ins Dlc_Tensor:$input);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Dlc_BlockedConvOp : Dlc_Op<"conv_blocked", "OutEWiseFusable",
    [InferTypeOpAdaptorWithIsCompatible, SameOperandsElementType]> {
  let summary = "Convolution in the blocked channel layout";
  let description = [{
    input [N, C/bi, D1..Dk, bi] with filter [F/bo, C/bi, K1..Kk, bi, bo]
    (packed at compile time by dlc-layout-nchwc) gives [N, F/bo, O1..Ok, bo].
    Attributes as dlc.conv; no groups.
  }];
  let arguments = (ins Dlc_Tensor:$input, Dlc_Tensor:$filter,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` functional-type(operands, results)
  }];
}

def Dlc_BlockedConvIntegerOp : Dlc_Op<"conv_integer_blocked",
    "OutEWiseFusable", [InferTypeOpAdaptorWithIsCompatible,
                        Dlc_SignAgnostic]> {
  let summary = "Convolution of 8-bit integers in the blocked channel layout";
  let description = [{
    dlc.conv_integer with input [N, C/bi, D1..Dk, bi] and filter
    [F/bo, C/bi, K1..Kk, bi/g, bo * g] (signed; packed at compile time by
    dlc-layout-nchwc) of the same type: input channels go in groups of g,
    the g values one 32-bit lane multiplies, so bi is a multiple of g. With
    i8 operands g = 4 (vpdpbusd: the input unsigned), with i16 g = 2
    (vpmaddwd: both signed). Gives [N, F/bo, O1..Ok, bo] of i32.
  }];
  let arguments = (ins Dlc_Tensor:$input, Dlc_Tensor:$filter,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` functional-type(operands, results)
  }];
}

def Dlc_BlockedDepthwiseConvOp : Dlc_Op<"depthwise_conv_blocked",
    "OutEWiseFusable", [InferTypeOpAdaptorWithIsCompatible,
                        SameOperandsElementType]> {
  let summary = "Depthwise convolution in the blocked channel layout";
  let description = [{
    input [N, C/b, D1..Dk, b] with filter [C/b, K1..Kk, b] (one kernel per
    channel, packed by dlc-layout-nchwc) gives [N, C/b, O1..Ok, b]: channel c
    of the output sees only channel c of the input.
  }];
  let arguments = (ins Dlc_Tensor:$input, Dlc_Tensor:$filter,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Fused groups
//===----------------------------------------------------------------------===//

def Dlc_FusedOp : Dlc_Op<"fused", "Opaque", [IsolatedFromAbove, SingleBlock]> {
  let summary = "A group of ops that runs as one kernel";
  let description = [{
    Made by operator fusion (dlc-fuse-ops). The region computes the group's one
    result from the block arguments, which are the group's inputs; no value
    inside is used outside it. Lowering turns a group into one loop nest with
    no intermediate buffer between its members.

    ```mlir
    %y = dlc.fused %x, %w, %b : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>,
                                 tensor<4x1x1xf32>) -> tensor<1x4x8x8xf32> {
    ^bb0(%a: tensor<1x3x8x8xf32>, %f: tensor<4x3x3x3xf32>, %c: tensor<4x1x1xf32>):
      %0 = dlc.conv %a, %f {...} : ...
      %1 = dlc.add %0, %c : ...
      %2 = dlc.relu %1 : tensor<1x4x8x8xf32>
      dlc.yield %2 : tensor<1x4x8x8xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Dlc_Tensor>:$inputs);
  let results = (outs Dlc_Tensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type($inputs, results) $body
  }];
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::ValueRange":$inputs)>
  ];
  let extraClassDeclaration = patternKindDecl # [{
    /// The op whose result the group yields.
    ::mlir::Operation *getRoot();
    /// The group's conv/matmul/pool/reduction, or null.
    ::mlir::Operation *getAnchor();
  }];
}

def Dlc_YieldOp : Op<Dlc_Dialect, "yield", [Pure, Terminator, ReturnLike,
                                             HasParent<"FusedOp">]> {
  let summary = "Ends a fused group, naming its result";
  let arguments = (ins Dlc_Tensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // DLC_OPS_TD
