//===- MatmulMicrokernel.cpp - Packed, register-blocked matmul ------------===//
//
// Replaces a bufferized f32 matmul C += A * B with the BLIS loop nest:
//
//   for pc (K in blocks of kc):      pack B[pc.., :] into kc x nr panels
//     for ic (M in blocks of mc):    pack A[ic.., pc..] into mr x kc panels
//       for jr (N / nr), ir (mc / mr):
//         micro-kernel: an mr x nr tile of C kept in mr * nr / lanes vector
//         registers, updated with one broadcast of A and nr / lanes FMAs per
//         row and k step.
//
// Panels are zero-padded to whole tiles, so the micro-kernel never branches;
// only the update of C masks the columns past N and skips the rows past M.
// The kernel is built with the vector dialect: LLVM maps each
// vector<lanes x f32> FMA onto one zmm (ymm) FMA with a broadcast operand.
//
// A constant B (a weight, memref.get_global of a constant global) is packed
// once, here at compile time, into a new global laid out as the panels
// [N / nr][K / kc][kc][nr]; the kernel then reads it in place and packs
// nothing at run time (see buildStreamingKernel: A is broadcast in place,
// and the whole product is one parallel loop). Batched matmuls (the
// linalg.generic that convert-dlc-to-linalg makes for C[b.., m, n] += A[b.., m,
// k] * B[b.., k, n]) run the same kernel once per batch index; the batch loop
// is the one shared by threads.
//
// 8-bit products (C[m, n] += ext(A[m, k]) * ext(B[k, n]) in i32, from
// dlc.matmul_integer) take the same loop nest with an integer dot product
// in place of the FMA (see Int8Dot): A and B are packed in groups of g
// consecutive k (g = 4 bytes for vpdpbusd, g = 2 i16 for vpmaddwd), so
// that one broadcast 32-bit group of a row of A meets nr columns of B's
// groups. The sums are exact in i32: vpdpbusd adds u8 x s8 products
// without saturation, and vpmaddwd's pairs of i16 products stay below
// 2 * 255 * 255.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <map>
#include <optional>

namespace dlc {
#define GEN_PASS_DEF_MATMULMICROKERNEL
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

/// C[b.., m, n] += A[b.., m, k] * B[b.., k, n] with `batchRank` leading
/// batch dims (0: a plain matmul).
struct MatmulShape {
  int64_t batchRank, m, n, k;
  /// An 8-bit product accumulated in i32 (2-d only), and how each operand
  /// widens.
  bool integer = false, lhsUnsigned = false, rhsUnsigned = false;
};

/// Whether a generic's body is `out + ext(a) * ext(b)` on i8 operands and an
/// i32 accumulator; sets how each operand is extended.
bool isIntegerMultiplyAccumulate(linalg::GenericOp generic, bool &lhsUnsigned,
                                 bool &rhsUnsigned) {
  Block &body = generic.getRegion().front();
  if (body.getOperations().size() != 5 ||
      !body.getArgument(0).getType().isInteger(8) ||
      !body.getArgument(1).getType().isInteger(8) ||
      !body.getArgument(2).getType().isInteger(32))
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddIOp>();
  if (!add)
    return false;
  Value out = body.getArgument(2);
  if (add.getLhs() != out && add.getRhs() != out)
    return false;
  Value product = add.getLhs() == out ? add.getRhs() : add.getLhs();
  auto mul = product.getDefiningOp<arith::MulIOp>();
  if (!mul)
    return false;
  // The widening of block argument `arg`, when `v` is one.
  auto widened = [&](Value v, unsigned arg, bool &isUnsigned) {
    Operation *ext = v.getDefiningOp();
    if (!ext || ext->getNumOperands() != 1 ||
        ext->getOperand(0) != body.getArgument(arg))
      return false;
    isUnsigned = isa<arith::ExtUIOp>(ext);
    return isa<arith::ExtUIOp, arith::ExtSIOp>(ext);
  };
  return widened(mul.getLhs(), 0, lhsUnsigned) &&
         widened(mul.getRhs(), 1, rhsUnsigned);
}

/// Whether a generic's body is `out + a * b` on floats.
bool isMultiplyAccumulate(linalg::GenericOp generic) {
  Block &body = generic.getRegion().front();
  if (body.getOperations().size() != 3)
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value out = body.getArgument(2);
  Value product = add.getLhs() == out ? add.getRhs() : add.getLhs();
  if (add.getLhs() != out && add.getRhs() != out)
    return false;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  return mul && ((mul.getLhs() == body.getArgument(0) &&
                  mul.getRhs() == body.getArgument(1)) ||
                 (mul.getLhs() == body.getArgument(1) &&
                  mul.getRhs() == body.getArgument(0)));
}

/// The shape of `op` when it is a static f32 matmul the kernel can take:
/// linalg.matmul, or a generic over (b.., m, n, k) reading A[b.., m, k],
/// B[b.., k, n] and updating C[b.., m, n] (no broadcast batch dims).
std::optional<MatmulShape> matchMatmul(Operation *op) {
  if (!op || !isa<linalg::MatmulOp, linalg::GenericOp>(op))
    return std::nullopt;
  if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
    MatmulShape shape{0, 0, 0, 0, /*integer=*/true};
    if (generic.getNumDpsInputs() == 2 && generic.getNumDpsInits() == 1 &&
        generic.getNumLoops() == 3 &&
        isIntegerMultiplyAccumulate(generic, shape.lhsUnsigned,
                                    shape.rhsUnsigned)) {
      for (Value operand : op->getOperands()) {
        auto type = dyn_cast<ShapedType>(operand.getType());
        if (!type || !type.hasStaticShape())
          return std::nullopt;
      }
      MLIRContext *context = op->getContext();
      auto map = [&](unsigned row, unsigned col) {
        return AffineMap::get(
            3, 0,
            {getAffineDimExpr(row, context), getAffineDimExpr(col, context)},
            context);
      };
      SmallVector<utils::IteratorType> iterators =
          generic.getIteratorTypesArray();
      if (generic.getIndexingMapsArray() !=
              SmallVector<AffineMap>{map(0, 2), map(2, 1), map(0, 1)} ||
          iterators[0] != utils::IteratorType::parallel ||
          iterators[1] != utils::IteratorType::parallel ||
          iterators[2] != utils::IteratorType::reduction)
        return std::nullopt;
      SmallVector<int64_t> ranges = generic.getStaticLoopRanges();
      shape.m = ranges[0];
      shape.n = ranges[1];
      shape.k = ranges[2];
      return shape;
    }
  }
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<ShapedType>(operand.getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
      return std::nullopt;
  }
  auto linalgOp = cast<linalg::LinalgOp>(op);
  SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
  if (isa<linalg::MatmulOp>(op))
    return MatmulShape{0, ranges[0], ranges[1], ranges[2]};
  auto generic = cast<linalg::GenericOp>(op);
  int64_t loops = generic.getNumLoops();
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      loops < 4 || !isMultiplyAccumulate(generic))
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = generic.getIteratorTypesArray();
  for (int64_t i = 0; i < loops; ++i)
    if ((iterators[i] == utils::IteratorType::reduction) != (i == loops - 1))
      return std::nullopt;
  int64_t batchRank = loops - 3;
  MLIRContext *context = op->getContext();
  auto map = [&](int64_t row, int64_t col) {
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < batchRank; ++d)
      exprs.push_back(getAffineDimExpr(d, context));
    exprs.push_back(getAffineDimExpr(row, context));
    exprs.push_back(getAffineDimExpr(col, context));
    return AffineMap::get(loops, 0, exprs, context);
  };
  int64_t m = batchRank, n = batchRank + 1, k = batchRank + 2;
  SmallVector<AffineMap> expected = {map(m, k), map(k, n), map(m, n)};
  if (generic.getIndexingMapsArray() != expected)
    return std::nullopt;
  return MatmulShape{batchRank, ranges[m], ranges[n], ranges[k]};
}

} // namespace

bool dlc::fitsMatmulMicrokernel(Operation *op, int64_t minMacs) {
  std::optional<MatmulShape> shape = matchMatmul(op);
  // Small products are not worth packing. One row (a GEMV: a classifier's
  // Gemm at batch 1) reads each element of B once: worth it only when B is
  // a constant, packed at compile time, which the kernel then streams.
  auto isConstant = [](Value value) {
    return value.getDefiningOp<memref::GetGlobalOp>() ||
           value.getDefiningOp<arith::ConstantOp>();
  };
  return shape && shape->m * shape->n * shape->k >= minMacs &&
         (shape->m >= 2 ||
          (shape->batchRank == 0 && isConstant(op->getOperand(1))));
}

namespace {

/// The constants an f32 loop nest starts with, made at `b`'s insertion
/// point.
struct F32Constants {
  F32Constants(ImplicitLocOpBuilder &b, int64_t lanes)
      : b(b), vecType(VectorType::get({lanes}, b.getF32Type())), zero(index(0)),
        one(index(1)),
        zeroF(b.create<arith::ConstantOp>(b.getF32FloatAttr(0.0f))),
        zeroVec(b.create<arith::ConstantOp>(
            DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0f)))) {}
  Value index(int64_t v) const { return b.create<arith::ConstantIndexOp>(v); }

  ImplicitLocOpBuilder &b;
  VectorType vecType;
  Value zero, one, zeroF, zeroVec;
};

struct MatmulMicrokernelPass
    : dlc::impl::MatmulMicrokernelBase<MatmulMicrokernelPass> {
  using MatmulMicrokernelBase::MatmulMicrokernelBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> matmuls;
    module.walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() &&
          dlc::fitsMatmulMicrokernel(op, minFlops) &&
          (!matchMatmul(op)->integer || int8DotFor(*matchMatmul(op))))
        matmuls.push_back(op);
    });
    SymbolTable symbols(module);
    for (Operation *op : matmuls)
      rewrite(op, symbols);
    // Weights now read only in packed form are dropped.
    for (memref::GlobalOp global : packedGlobals)
      if (SymbolTable::symbolKnownUseEmpty(global, module))
        symbols.erase(global);
  }

  /// How the dot steps of an 8-bit product run on the target.
  struct Int8Dot {
    enum Kind { Vnni, MaddWd, Widened } kind;
    int64_t lanes; // i32 lanes of an accumulator
    int64_t group; // consecutive k packed together (32 bits of them)
    unsigned elementBits;
    const char *intrinsic; // vpdpbusd's or vpmaddwd's; null for Widened
  };

  std::optional<Int8Dot> int8DotFor(const MatmulShape &shape) const {
    // vpdpbusd multiplies unsigned bytes of A by signed bytes of B.
    bool vnniSigns = shape.lhsUnsigned && !shape.rhsUnsigned;
    if (int8Dot == "avx512-vnni" && vnniSigns)
      return Int8Dot{Int8Dot::Vnni, 16, 4, 8, "llvm.x86.avx512.vpdpbusd.512"};
    if (int8Dot == "avx-vnni" && vnniSigns)
      return Int8Dot{Int8Dot::Vnni, 8, 4, 8, "llvm.x86.avx512.vpdpbusd.256"};
    if (int8Dot == "avx512-vnni" || int8Dot == "avx-vnni" || int8Dot == "avx2")
      return Int8Dot{Int8Dot::MaddWd, 8, 2, 16, "llvm.x86.avx2.pmadd.wd"};
    if (int8Dot == "portable")
      return Int8Dot{Int8Dot::Widened, vectorWidth, 1, 32, nullptr};
    return std::nullopt;
  }

  int64_t lanes() const { return vectorWidth; }
  int64_t nr() const { return 2 * vectorWidth; }
  int64_t kcFor(int64_t k) const { return std::min<int64_t>(kc, k); }

  /// The packed copy of constant weight `global` ([K, N]): a global
  /// [N / nr][K / kc][kc][nr], zero-padded, made once per weight: a column
  /// panel's K blocks are consecutive in memory.
  memref::GlobalOp packedWeight(memref::GlobalOp global, SymbolTable &symbols) {
    auto it = packedOf.find(global);
    if (it != packedOf.end())
      return it->second;
    memref::GlobalOp packed;
    auto values =
        dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr());
    if (global.getConstant() && values) {
      auto type = global.getType();
      int64_t k = type.getDimSize(0), n = type.getDimSize(1);
      int64_t kcMax = kcFor(k), kBlocks = (k + kcMax - 1) / kcMax;
      int64_t nPanels = (n + nr() - 1) / nr();
      std::vector<float> data(kBlocks * nPanels * kcMax * nr(), 0.0f);
      auto source = values.getValues<float>();
      for (int64_t row = 0; row < k; ++row)
        for (int64_t col = 0; col < n; ++col) {
          int64_t block = row / kcMax, p = row % kcMax;
          int64_t panel = col / nr(), j = col % nr();
          data[((panel * kBlocks + block) * kcMax + p) * nr() + j] =
              source[row * n + col];
        }
      auto packedType = MemRefType::get({nPanels, kBlocks, kcMax, nr()},
                                        type.getElementType());
      OpBuilder b(global);
      packed = b.create<memref::GlobalOp>(
          global.getLoc(), (global.getSymName() + "_packed").str(),
          b.getStringAttr("private"), packedType,
          DenseElementsAttr::get(
              RankedTensorType::get(packedType.getShape(),
                                    packedType.getElementType()),
              llvm::ArrayRef(data)),
          /*constant=*/true, b.getI64IntegerAttr(64));
      symbols.insert(packed); // renames it if the name is taken
      packedGlobals.push_back(global);
    }
    packedOf[global] = packed;
    return packed;
  }

  /// The constant weight B reads, when B is one.
  memref::GlobalOp constantWeight(Value bMem, SymbolTable &symbols) {
    auto getGlobal = bMem.getDefiningOp<memref::GetGlobalOp>();
    if (!getGlobal)
      return {};
    auto global = symbols.lookup<memref::GlobalOp>(getGlobal.getName());
    return global ? packedWeight(global, symbols) : memref::GlobalOp();
  }

  void rewrite(Operation *op, SymbolTable &symbols) {
    MatmulShape shape = *matchMatmul(op);
    auto linalgOp = cast<linalg::LinalgOp>(op);
    ImplicitLocOpBuilder b(op->getLoc(), op);
    Value aMem = linalgOp.getDpsInputs()[0], bMem = linalgOp.getDpsInputs()[1],
          cMem = linalgOp.getDpsInits()[0];
    if (shape.integer) {
      Int8Dot dot = *int8DotFor(shape);
      memref::GlobalOp packed =
          constantIntegerWeight(bMem, shape, dot, symbols);
      Value packedB;
      if (packed)
        packedB = b.create<memref::GetGlobalOp>(packed.getType(),
                                                packed.getSymName());
      buildIntegerKernel(b, shape, dot, aMem, bMem, packedB, cMem,
                         /*parallelPanels=*/shape.m * shape.n * shape.k >=
                             dlc::kParallelMinWork);
      op->erase();
      if (packed && bMem.use_empty())
        bMem.getDefiningOp()->erase();
      return;
    }
    if (shape.batchRank == 0) {
      memref::GlobalOp packed = constantWeight(bMem, symbols);
      Value packedB;
      if (packed)
        packedB = b.create<memref::GetGlobalOp>(packed.getType(),
                                                packed.getSymName());
      bool parallel = shape.m * shape.n * shape.k >= dlc::kParallelMinWork;
      if (hasIdentityLayout(aMem) && hasIdentityLayout(cMem)) {
        // A zero fill of C just before is folded into the first K block.
        linalg::FillOp fill = shape.k > 0 ? zeroFillOf(op, cMem) : nullptr;
        Value runtimePacked;
        if (!packedB)
          packedB = runtimePacked = packAtRunTime(b, shape, bMem, parallel);
        buildStreamingKernel(b, shape, aMem, packedB, cMem, parallel,
                             /*overwrite=*/static_cast<bool>(fill));
        if (runtimePacked)
          b.create<memref::DeallocOp>(runtimePacked);
        if (fill)
          fill->erase();
      } else {
        buildKernel(b, shape, aMem, bMem, packedB, cMem, parallel);
      }
      op->erase();
      if (packed && bMem.use_empty())
        bMem.getDefiningOp()->erase();
      return;
    }
    // One kernel per batch index; the outermost batch loop of more than one
    // iteration is shared by the threads.
    auto batchType = cast<MemRefType>(cMem.getType());
    int64_t batches = 1;
    for (int64_t d = 0; d < shape.batchRank; ++d)
      batches *= batchType.getDimSize(d);
    bool parallel =
        batches * shape.m * shape.n * shape.k >= dlc::kParallelMinWork;
    SmallVector<Value> batchIndices;
    for (int64_t d = 0; d < shape.batchRank; ++d) {
      auto loop = b.create<scf::ForOp>(
          b.create<arith::ConstantIndexOp>(0),
          b.create<arith::ConstantIndexOp>(batchType.getDimSize(d)),
          b.create<arith::ConstantIndexOp>(1));
      if (parallel && batchType.getDimSize(d) > 1) {
        loop->setAttr(dlc::DlcDialect::ParallelAttrHelper::getNameStr(),
                      b.getUnitAttr());
        parallel = false;
      }
      batchIndices.push_back(loop.getInductionVar());
      b.setInsertionPointToStart(loop.getBody());
    }
    auto matrix = [&](Value mem) -> Value {
      auto type = cast<MemRefType>(mem.getType());
      SmallVector<OpFoldResult> offsets(batchIndices.begin(),
                                        batchIndices.end());
      SmallVector<OpFoldResult> sizes(shape.batchRank, b.getIndexAttr(1));
      SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
      for (int64_t d = shape.batchRank; d < type.getRank(); ++d) {
        offsets.push_back(b.getIndexAttr(0));
        sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
      }
      auto matrixType = memref::SubViewOp::inferRankReducedResultType(
          type.getShape().take_back(2), type, offsets, sizes, strides);
      return b.create<memref::SubViewOp>(cast<MemRefType>(matrixType), mem,
                                         offsets, sizes, strides);
    };
    Value aMatrix = matrix(aMem), bMatrix = matrix(bMem),
          cMatrix = matrix(cMem);
    buildKernel(b, shape, aMatrix, bMatrix, Value(), cMatrix,
                /*parallelPanels=*/false);
    op->erase();
  }

  /// C[rowBase + r, colBase + h * lanes ..] += tile[r * vectorsPerRow + h]
  /// for the tile's rows: rows past M are skipped, columns past N masked by
  /// the transfers.
  static void addTileToC(ImplicitLocOpBuilder &b, Value cMem, Value rowBase,
                         Value colBase, int64_t m, int64_t vectorsPerRow,
                         ValueRange tile) {
    auto vectorType = cast<VectorType>(tile.front().getType());
    int64_t lanes = vectorType.getDimSize(0);
    Type element = vectorType.getElementType();
    Value padding = b.create<arith::ConstantOp>(b.getZeroAttr(element));
    int64_t rows = static_cast<int64_t>(tile.size()) / vectorsPerRow;
    for (int64_t r = 0; r < rows; ++r) {
      Value row =
          b.create<arith::AddIOp>(rowBase, b.create<arith::ConstantIndexOp>(r));
      Value inside = b.create<arith::CmpIOp>(
          arith::CmpIPredicate::slt, row, b.create<arith::ConstantIndexOp>(m));
      auto ifOp = b.create<scf::IfOp>(inside, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      for (int64_t h = 0; h < vectorsPerRow; ++h) {
        Value col = b.create<arith::AddIOp>(
            colBase, b.create<arith::ConstantIndexOp>(h * lanes));
        Value old = b.create<vector::TransferReadOp>(
            vectorType, cMem, ValueRange{row, col}, padding);
        Value part = tile[r * vectorsPerRow + h];
        Value sum = isa<FloatType>(element)
                        ? b.create<arith::AddFOp>(old, part).getResult()
                        : b.create<arith::AddIOp>(old, part).getResult();
        b.create<vector::TransferWriteOp>(sum, cMem, ValueRange{row, col});
      }
    }
  }

  static bool hasIdentityLayout(Value mem) {
    auto type = dyn_cast<MemRefType>(mem.getType());
    return type && type.getLayout().isIdentity();
  }

  /// The `linalg.fill` of 0.0 into `cMem` that comes just before `op`, with
  /// only side-effect-free ops (constants, views, get_global) in between.
  static linalg::FillOp zeroFillOf(Operation *op, Value cMem) {
    for (Operation *prev = op->getPrevNode(); prev;
         prev = prev->getPrevNode()) {
      if (auto fill = dyn_cast<linalg::FillOp>(prev)) {
        FloatAttr value;
        if (fill.hasPureBufferSemantics() && fill.getOutputs()[0] == cMem &&
            matchPattern(fill.getInputs()[0], m_Constant(&value)) &&
            value.getValue().isPosZero())
          return fill;
        return {};
      }
      if (!isMemoryEffectFree(prev))
        return {};
    }
    return {};
  }

  /// B known only at run time, packed into a new buffer in the layout of a
  /// packed constant ([N / nr][K / kc][kc][nr], zero past K and N) by one
  /// loop over the column panels (shared by the threads when `parallel`).
  Value packAtRunTime(ImplicitLocOpBuilder &b, const MatmulShape &shape,
                      Value bMem, bool parallel) {
    int64_t k = shape.k, n = shape.n;
    const int64_t lanes = this->lanes(), nr = this->nr(), kcMax = kcFor(k);
    const int64_t kBlocks = (k + kcMax - 1) / kcMax;
    const int64_t nPanels = (n + nr - 1) / nr;
    F32Constants c(b, lanes);
    VectorType vecType = c.vecType;
    Value zero = c.zero, one = c.one, zeroF = c.zeroF, zeroVec = c.zeroVec;
    auto index = [&](int64_t v) { return c.index(v); };
    Value packed = b.create<memref::AllocOp>(
        MemRefType::get({nPanels, kBlocks, kcMax, nr}, b.getF32Type()),
        b.getI64IntegerAttr(64));
    OpBuilder::InsertionGuard guard(b);
    auto jrLoop = b.create<scf::ForOp>(zero, index(nPanels), one);
    if (parallel)
      jrLoop->setAttr(dlc::DlcDialect::ParallelAttrHelper::getNameStr(),
                      b.getUnitAttr());
    b.setInsertionPointToStart(jrLoop.getBody());
    Value jr = jrLoop.getInductionVar();
    auto rowLoop = b.create<scf::ForOp>(zero, index(kBlocks * kcMax), one);
    b.setInsertionPointToStart(rowLoop.getBody());
    Value row = rowLoop.getInductionVar();
    Value kBlock = b.create<arith::DivUIOp>(row, index(kcMax));
    Value p = b.create<arith::RemUIOp>(row, index(kcMax));
    Value inside =
        b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, row, index(k));
    Value safeRow = b.create<arith::SelectOp>(inside, row, zero);
    for (int64_t h = 0; h < nr / lanes; ++h) {
      Value col = b.create<arith::AddIOp>(
          b.create<arith::MulIOp>(jr, index(nr)), index(h * lanes));
      // Columns past N read as zero (masked); rows past K are zeros.
      Value data = b.create<vector::TransferReadOp>(
          vecType, bMem, ValueRange{safeRow, col}, zeroF);
      data = b.create<arith::SelectOp>(inside, data, zeroVec);
      b.create<vector::StoreOp>(data, packed,
                                ValueRange{jr, kBlock, p, index(h * lanes)});
    }
    return packed;
  }

  /// C (+)= A * B for a B packed at compile time ([N / nr][K / kc][kc][nr]),
  /// with A read in place: each micro-kernel broadcasts A[row, k] from its
  /// mr rows (mr loads a k step, the same cache lines for 16 steps), so
  /// nothing is packed at run time and the whole product is one parallel
  /// loop, over (M block, column panel) pairs:
  ///
  ///   parallel for (ic, jr):          an mc x nr column of C
  ///     for pc (K in blocks of kc):   B's kc x nr panel stays in L1
  ///       for ir (mc / mr):           mr x nr tile, then the m % mr rows
  ///
  /// With `overwrite`, the first K block writes C instead of adding to it
  /// (C was only zero-filled).
  void buildStreamingKernel(ImplicitLocOpBuilder &b, const MatmulShape &shape,
                            Value aMem, Value packedB, Value cMem,
                            bool parallel, bool overwrite) {
    int64_t m = shape.m, k = shape.k, n = shape.n;
    const int64_t lanes = this->lanes(), nr = this->nr(),
                  mr = std::min<int64_t>(microRows, m);
    const int64_t kcMax = kcFor(k);
    const int64_t mcMax =
        std::min<int64_t>(std::max<int64_t>(mc / mr, 1) * mr, m);
    const int64_t mBlocks = (m + mcMax - 1) / mcMax;
    const int64_t nPanels = (n + nr - 1) / nr;
    F32Constants c(b, lanes);
    VectorType vecType = c.vecType;
    Value zero = c.zero, one = c.one, zeroF = c.zeroF, zeroVec = c.zeroVec;
    auto index = [&](int64_t v) { return c.index(v); };

    auto tLoop = b.create<scf::ForOp>(zero, index(mBlocks * nPanels), one);
    if (parallel)
      tLoop->setAttr(dlc::DlcDialect::ParallelAttrHelper::getNameStr(),
                     b.getUnitAttr());
    b.setInsertionPointToStart(tLoop.getBody());
    Value t = tLoop.getInductionVar();
    Value ic = b.create<arith::MulIOp>(
        b.create<arith::DivUIOp>(t, index(nPanels)), index(mcMax));
    Value jr = b.create<arith::RemUIOp>(t, index(nPanels));
    Value colBase = b.create<arith::MulIOp>(jr, index(nr));
    Value mcHere = b.create<arith::SubIOp>(
        b.create<arith::MinSIOp>(b.create<arith::AddIOp>(ic, index(mcMax)),
                                 index(m)),
        ic);

    auto pcLoop = b.create<scf::ForOp>(zero, index(k), index(kcMax));
    b.setInsertionPointToStart(pcLoop.getBody());
    Value pc = pcLoop.getInductionVar();
    Value kcHere = b.create<arith::SubIOp>(
        b.create<arith::MinSIOp>(b.create<arith::AddIOp>(pc, index(kcMax)),
                                 index(k)),
        pc);
    Value kBlock = b.create<arith::DivUIOp>(pc, index(kcMax));
    Value firstBlock =
        b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, pc, zero);

    // The next panel of B this thread will read, (jr, kBlock + 1) or (jr +
    // 1, 0), is fetched into L2 while the first tiles run: a thread's panels
    // are sequential in memory only kc * nr floats at a time, and a weight
    // of a large model comes from DRAM, where the hardware prefetchers,
    // which stop at page ends, leave the first tile waiting. Its kc rows
    // are spread over the k steps of the first `spread` whole tiles (a
    // power of 2, so the row is a shift).
    const int64_t kBlocks = (k + kcMax - 1) / kcMax;
    const int64_t wholeTiles = std::max<int64_t>(mcMax / mr, 1);
    const int64_t spreadLog2 = wholeTiles >= 4 ? 2 : wholeTiles >= 2 ? 1 : 0;
    const int64_t floatsPerLine = 16;
    Value nextPanel = b.create<arith::MinSIOp>(
        b.create<arith::AddIOp>(b.create<arith::MulIOp>(jr, index(kBlocks)),
                                b.create<arith::AddIOp>(kBlock, one)),
        index(nPanels * kBlocks - 1));
    Value nextJr = b.create<arith::DivUIOp>(nextPanel, index(kBlocks));
    Value nextKBlock = b.create<arith::RemUIOp>(nextPanel, index(kBlocks));

    // One register tile of `rows` rows from `rowBase`, all inside M; the
    // whole tiles (number `tileIndex`) also prefetch.
    auto tile = [&](Value rowBase, int64_t rows, Value tileIndex) {
      int64_t perRow = nr / lanes;
      SmallVector<Value> initial(rows * perRow, zeroVec);
      auto kLoop = b.create<scf::ForOp>(zero, kcHere, one, initial);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(kLoop.getBody());
        Value p = kLoop.getInductionVar();
        Value column = b.create<arith::AddIOp>(pc, p);
        if (tileIndex) {
          Value step = b.create<arith::AddIOp>(
              b.create<arith::MulIOp>(tileIndex, kcHere), p);
          Value nextRow = b.create<arith::MinSIOp>(
              b.create<arith::ShRUIOp>(step, index(spreadLog2)),
              index(kcMax - 1));
          for (int64_t col = 0; col < nr; col += floatsPerLine)
            b.create<memref::PrefetchOp>(
                packedB, ValueRange{nextJr, nextKBlock, nextRow, index(col)},
                /*isWrite=*/false, /*localityHint=*/2, /*isDataCache=*/true);
        }
        SmallVector<Value> bVectors;
        for (int64_t h = 0; h < perRow; ++h)
          bVectors.push_back(b.create<vector::LoadOp>(
              vecType, packedB, ValueRange{jr, kBlock, p, index(h * lanes)}));
        SmallVector<Value> next;
        for (int64_t r = 0; r < rows; ++r) {
          Value row = b.create<arith::AddIOp>(rowBase, index(r));
          Value a = b.create<memref::LoadOp>(aMem, ValueRange{row, column});
          Value broadcast = b.create<vector::BroadcastOp>(vecType, a);
          for (int64_t h = 0; h < perRow; ++h)
            next.push_back(b.create<vector::FMAOp>(
                broadcast, bVectors[h],
                kLoop.getRegionIterArgs()[r * perRow + h]));
        }
        b.create<scf::YieldOp>(next);
      }
      ValueRange sums = kLoop.getResults();
      for (int64_t r = 0; r < rows; ++r) {
        Value row = b.create<arith::AddIOp>(rowBase, index(r));
        for (int64_t h = 0; h < perRow; ++h) {
          Value col = b.create<arith::AddIOp>(colBase, index(h * lanes));
          Value part = sums[r * perRow + h];
          Value value = part;
          if (overwrite) {
            auto ifOp = b.create<scf::IfOp>(
                firstBlock,
                [&](OpBuilder &nested, Location loc) {
                  nested.create<scf::YieldOp>(loc, part);
                },
                [&](OpBuilder &nested, Location loc) {
                  Value old = nested.create<vector::TransferReadOp>(
                      loc, vecType, cMem, ValueRange{row, col}, zeroF);
                  nested.create<scf::YieldOp>(
                      loc,
                      nested.create<arith::AddFOp>(loc, old, part).getResult());
                });
            value = ifOp.getResult(0);
          } else {
            Value old = b.create<vector::TransferReadOp>(
                vecType, cMem, ValueRange{row, col}, zeroF);
            value = b.create<arith::AddFOp>(old, part);
          }
          b.create<vector::TransferWriteOp>(value, cMem, ValueRange{row, col});
        }
      }
    };

    Value fullTiles = b.create<arith::DivUIOp>(mcHere, index(mr));
    {
      OpBuilder::InsertionGuard guard(b);
      auto irLoop = b.create<scf::ForOp>(zero, fullTiles, one);
      b.setInsertionPointToStart(irLoop.getBody());
      Value ir = irLoop.getInductionVar();
      tile(b.create<arith::AddIOp>(ic, b.create<arith::MulIOp>(ir, index(mr))),
           mr, ir);
    }
    // Rows past the last whole tile: only the last M block has them (mc is
    // a multiple of mr), always m % mr of them.
    if (int64_t rest = m % mr) {
      Value ragged = b.create<arith::CmpIOp>(
          arith::CmpIPredicate::ne, b.create<arith::RemUIOp>(mcHere, index(mr)),
          zero);
      auto ifOp = b.create<scf::IfOp>(ragged, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      tile(index(m - rest), rest, Value());
    }
    b.setInsertionPointAfter(tLoop);
  }

  /// The BLIS loop nest for C += A * B on 2-d memrefs; B is read from
  /// `packedB` ([N / nr][K / kc][kc][nr]) when given, else packed here.
  void buildKernel(ImplicitLocOpBuilder &b, const MatmulShape &shape,
                   Value aMem, Value bMem, Value packedB, Value cMem,
                   bool parallelPanels) {
    int64_t m = shape.m, k = shape.k, n = shape.n;
    // Fewer rows than a tile (a GEMV): a tile of those rows only.
    const int64_t lanes = this->lanes(),
                  mr = std::min<int64_t>(microRows, shape.m), nr = this->nr();
    const int64_t kcMax = kcFor(k);
    const int64_t mcMax =
        std::min<int64_t>((mc / mr) * mr, (m + mr - 1) / mr * mr);
    const int64_t nPanels = (n + nr - 1) / nr;
    Type f32 = b.getF32Type();
    auto vecType = VectorType::get({lanes}, f32);

    auto index = [&](int64_t v) -> Value {
      return b.create<arith::ConstantIndexOp>(v);
    };
    Value zero = index(0), one = index(1);
    Value zeroF = b.create<arith::ConstantOp>(b.getF32FloatAttr(0.0f));
    Value zeroVec = b.create<arith::ConstantOp>(
        DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0f)));
    auto alignment = b.getI64IntegerAttr(64);
    Value packBuffer;
    if (!packedB)
      packBuffer = b.create<memref::AllocOp>(
          MemRefType::get({nPanels, kcMax, nr}, f32), alignment);
    Value packedA = b.create<memref::AllocOp>(
        MemRefType::get({mcMax / mr, kcMax, mr}, f32), alignment);
    auto minIndex = [&](Value x, int64_t bound) -> Value {
      return b.create<arith::MinSIOp>(x, index(bound));
    };

    // for pc
    auto pcLoop = b.create<scf::ForOp>(zero, index(k), index(kcMax));
    b.setInsertionPointToStart(pcLoop.getBody());
    Value pc = pcLoop.getInductionVar();
    Value kcHere = b.create<arith::SubIOp>(
        minIndex(b.create<arith::AddIOp>(pc, index(kcMax)), k), pc);
    // Where the micro-kernel reads B[pc + p, jr * nr + j].
    Value kBlock = b.create<arith::DivUIOp>(pc, index(kcMax));
    auto loadB = [&](Value jr, Value p, int64_t offset) -> Value {
      if (packedB)
        return b.create<vector::LoadOp>(
            vecType, packedB, ValueRange{jr, kBlock, p, index(offset)});
      return b.create<vector::LoadOp>(vecType, packBuffer,
                                      ValueRange{jr, p, index(offset)});
    };

    // Pack B[pc + p, jr * nr + j] -> packBuffer[jr, p, j], zero past N.
    if (!packedB) {
      auto jrLoop = b.create<scf::ForOp>(zero, index(nPanels), one);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(jrLoop.getBody());
      Value jr = jrLoop.getInductionVar();
      auto pLoop = b.create<scf::ForOp>(zero, kcHere, one);
      b.setInsertionPointToStart(pLoop.getBody());
      Value p = pLoop.getInductionVar();
      Value row = b.create<arith::AddIOp>(pc, p);
      for (int64_t half = 0; half < nr / lanes; ++half) {
        Value col = b.create<arith::AddIOp>(
            b.create<arith::MulIOp>(jr, index(nr)), index(half * lanes));
        Value data = b.create<vector::TransferReadOp>(
            vecType, bMem, ValueRange{row, col}, zeroF);
        b.create<vector::StoreOp>(data, packBuffer,
                                  ValueRange{jr, p, index(half * lanes)});
      }
    }

    // for ic
    auto icLoop = b.create<scf::ForOp>(zero, index(m), index(mcMax));
    b.setInsertionPointToStart(icLoop.getBody());
    Value ic = icLoop.getInductionVar();
    Value mcHere = b.create<arith::SubIOp>(
        minIndex(b.create<arith::AddIOp>(ic, index(mcMax)), m), ic);
    Value rowPanels = b.create<arith::DivUIOp>(
        b.create<arith::AddIOp>(mcHere, index(mr - 1)), index(mr));

    // Pack A[ic + ir * mr + r, pc + p] -> packedA[ir, p, r], zero past M.
    {
      auto irLoop = b.create<scf::ForOp>(zero, rowPanels, one);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(irLoop.getBody());
      Value ir = irLoop.getInductionVar();
      auto rLoop = b.create<scf::ForOp>(zero, index(mr), one);
      b.setInsertionPointToStart(rLoop.getBody());
      Value r = rLoop.getInductionVar();
      Value row = b.create<arith::AddIOp>(
          ic,
          b.create<arith::AddIOp>(b.create<arith::MulIOp>(ir, index(mr)), r));
      Value inside =
          b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, row, index(m));
      Value safeRow = b.create<arith::SelectOp>(inside, row, zero);
      auto pLoop = b.create<scf::ForOp>(zero, kcHere, one);
      b.setInsertionPointToStart(pLoop.getBody());
      Value p = pLoop.getInductionVar();
      Value value = b.create<memref::LoadOp>(
          aMem, ValueRange{safeRow, b.create<arith::AddIOp>(pc, p)});
      value = b.create<arith::SelectOp>(inside, value, zeroF);
      b.create<memref::StoreOp>(value, packedA, ValueRange{ir, p, r});
    }

    // for jr, ir: the micro-kernel.
    auto jrLoop = b.create<scf::ForOp>(zero, index(nPanels), one);
    // Each panel of columns is a disjoint part of C: threads share them.
    if (parallelPanels)
      jrLoop->setAttr(dlc::DlcDialect::ParallelAttrHelper::getNameStr(),
                      b.getUnitAttr());
    b.setInsertionPointToStart(jrLoop.getBody());
    Value jr = jrLoop.getInductionVar();
    auto irLoop = b.create<scf::ForOp>(zero, rowPanels, one);
    b.setInsertionPointToStart(irLoop.getBody());
    Value ir = irLoop.getInductionVar();

    int64_t accumulators = mr * (nr / lanes);
    SmallVector<Value> initial(accumulators, zeroVec);
    auto kLoop = b.create<scf::ForOp>(zero, kcHere, one, initial);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(kLoop.getBody());
      Value p = kLoop.getInductionVar();
      SmallVector<Value> bVectors;
      for (int64_t half = 0; half < nr / lanes; ++half)
        bVectors.push_back(loadB(jr, p, half * lanes));
      SmallVector<Value> next;
      for (int64_t r = 0; r < mr; ++r) {
        Value a =
            b.create<memref::LoadOp>(packedA, ValueRange{ir, p, index(r)});
        Value broadcast = b.create<vector::BroadcastOp>(vecType, a);
        for (int64_t half = 0; half < nr / lanes; ++half)
          next.push_back(b.create<vector::FMAOp>(
              broadcast, bVectors[half],
              kLoop.getRegionIterArgs()[r * (nr / lanes) + half]));
      }
      b.create<scf::YieldOp>(next);
    }

    addTileToC(
        b, cMem,
        b.create<arith::AddIOp>(ic, b.create<arith::MulIOp>(ir, index(mr))),
        b.create<arith::MulIOp>(jr, index(nr)), m, nr / lanes,
        kLoop.getResults());

    b.setInsertionPointAfter(pcLoop);
    b.create<memref::DeallocOp>(packedA);
    if (packBuffer)
      b.create<memref::DeallocOp>(packBuffer);
  }

  //===--------------------------------------------------------------------===//
  // 8-bit products
  //===--------------------------------------------------------------------===//

  /// K block of 8-bit products: a multiple of every group size.
  int64_t integerKcFor(int64_t k, const Int8Dot &dot) const {
    int64_t padded = (k + dot.group - 1) / dot.group * dot.group;
    return std::min<int64_t>(512, padded);
  }

  static int64_t widen(int64_t byte, bool isUnsigned) {
    return isUnsigned ? static_cast<uint8_t>(byte) : static_cast<int8_t>(byte);
  }

  /// The packed copy of the constant 8-bit weight B reads ([K, N]), laid
  /// out as [K / kc][N / nr][kc / g][nr * g] of the dot's element type:
  /// element (q, j * g + t) of a panel holds B[kc block + q * g + t, panel
  /// + j], zero past K and N. Null when B is not a constant global.
  memref::GlobalOp constantIntegerWeight(Value bMem, const MatmulShape &shape,
                                         const Int8Dot &dot,
                                         SymbolTable &symbols) {
    auto getGlobal = bMem.getDefiningOp<memref::GetGlobalOp>();
    if (!getGlobal)
      return {};
    auto global = symbols.lookup<memref::GlobalOp>(getGlobal.getName());
    auto values =
        global
            ? dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr())
            : DenseElementsAttr();
    if (!global || !global.getConstant() || !values)
      return {};
    auto key = std::make_pair(global.getOperation(), dot.elementBits);
    auto it = integerPackedOf.find(key);
    if (it != integerPackedOf.end())
      return it->second;
    int64_t k = shape.k, n = shape.n, g = dot.group, nr = 2 * dot.lanes;
    int64_t kcMax = integerKcFor(k, dot), kBlocks = (k + kcMax - 1) / kcMax;
    int64_t nPanels = (n + nr - 1) / nr;
    std::vector<int64_t> source;
    source.reserve(k * n);
    for (const APInt &value : values.getValues<APInt>())
      source.push_back(widen(value.getZExtValue(), shape.rhsUnsigned));
    auto elementType = IntegerType::get(global.getContext(), dot.elementBits);
    const uint64_t mask = (uint64_t(1) << dot.elementBits) - 1;
    SmallVector<APInt> data(kBlocks * nPanels * (kcMax / g) * nr * g,
                            APInt(dot.elementBits, 0));
    for (int64_t row = 0; row < k; ++row)
      for (int64_t col = 0; col < n; ++col) {
        int64_t block = row / kcMax, q = (row % kcMax) / g, t = row % g;
        int64_t panel = col / nr, j = col % nr;
        data[(((block * nPanels + panel) * (kcMax / g) + q) * nr + j) * g + t] =
            APInt(dot.elementBits,
                  static_cast<uint64_t>(source[row * n + col]) & mask);
      }
    auto packedType =
        MemRefType::get({kBlocks, nPanels, kcMax / g, nr * g}, elementType);
    OpBuilder b(global);
    auto packed = b.create<memref::GlobalOp>(
        global.getLoc(), (global.getSymName() + "_packed").str(),
        b.getStringAttr("private"), packedType,
        DenseElementsAttr::get(
            RankedTensorType::get(packedType.getShape(), elementType), data),
        /*constant=*/true, b.getI64IntegerAttr(64));
    symbols.insert(packed); // renames it if the name is taken
    if (!llvm::is_contained(packedGlobals, global))
      packedGlobals.push_back(global);
    integerPackedOf[key] = packed;
    return packed;
  }

  /// The loop nest for C += ext(A) * ext(B) on 8-bit A [M, K], B [K, N] and
  /// i32 C; B is read from `packedB` ([K / kc][N / nr][kc / g][nr * g])
  /// when given, else packed here into that layout first. Per block of mc
  /// rows, A is packed whole along K ([mc / mr][K / g][mr * g], in L2)
  /// by parallel row panels, then the column panels run in parallel, each
  /// register tile summing all of K before C is updated once: per product,
  /// two parallel loops and no serial packing between them.
  void buildIntegerKernel(ImplicitLocOpBuilder &b, const MatmulShape &shape,
                          const Int8Dot &dot, Value aMem, Value bMem,
                          Value packedB, Value cMem, bool parallel) {
    int64_t m = shape.m, k = shape.k, n = shape.n;
    const int64_t lanes = dot.lanes, g = dot.group,
                  mr = std::min<int64_t>(microRows, shape.m), nr = 2 * lanes;
    const int64_t kcMax = integerKcFor(k, dot),
                  kBlocks = (k + kcMax - 1) / kcMax;
    const int64_t groupsPerBlock = kcMax / g, groupsTotal = (k + g - 1) / g;
    const int64_t mcMax =
        std::min<int64_t>((mc / mr) * mr, (m + mr - 1) / mr * mr);
    const int64_t nPanels = (n + nr - 1) / nr;
    Type i8 = b.getI8Type(), i32 = b.getI32Type();
    Type element = b.getIntegerType(dot.elementBits);
    auto accType = VectorType::get({lanes}, i32);
    auto panelType = VectorType::get({lanes * g}, element);
    auto groupType = VectorType::get({g}, element);

    auto index = [&](int64_t v) -> Value {
      return b.create<arith::ConstantIndexOp>(v);
    };
    Value zero = index(0), one = index(1);
    Value zeroByte = b.create<arith::ConstantOp>(b.getIntegerAttr(i8, 0));
    Value zeroVec = b.create<arith::ConstantOp>(
        DenseElementsAttr::get(accType, b.getIntegerAttr(i32, 0)));
    auto alignment = b.getI64IntegerAttr(64);
    auto add = [&](Value x, Value y) -> Value {
      return b.create<arith::AddIOp>(x, y);
    };
    auto mul = [&](Value x, int64_t y) -> Value {
      return b.create<arith::MulIOp>(x, index(y));
    };
    auto less = [&](Value x, int64_t bound) -> Value {
      return b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, x,
                                     index(bound));
    };
    auto markParallel = [&](scf::ForOp loop) {
      if (parallel)
        loop->setAttr(dlc::DlcDialect::ParallelAttrHelper::getNameStr(),
                      b.getUnitAttr());
    };
    // An 8-bit value (zero where `inside` is false) as a packed element.
    auto packedValue = [&](Value byte, Value inside, bool isUnsigned) {
      Value value = b.create<arith::SelectOp>(inside, byte, zeroByte);
      if (dot.elementBits == 8)
        return value;
      if (isUnsigned)
        return b.create<arith::ExtUIOp>(element, value).getResult();
      return b.create<arith::ExtSIOp>(element, value).getResult();
    };
    auto forLoop = [&](Value lower, Value upper) {
      auto loop = b.create<scf::ForOp>(lower, upper, one);
      b.setInsertionPointToStart(loop.getBody());
      return loop;
    };

    // B at run time: packed first, panel by panel (in parallel), into the
    // layout of a constant's: B[kb * kc + q * g + t, jr * nr + j] ->
    // [kb, jr, q, j * g + t], zero past K and N.
    if (!packedB) {
      packedB = b.create<memref::AllocOp>(
          MemRefType::get({kBlocks, nPanels, groupsPerBlock, nr * g}, element),
          alignment);
      OpBuilder::InsertionGuard guard(b);
      auto jrLoop = forLoop(zero, index(nPanels));
      markParallel(jrLoop);
      Value jr = jrLoop.getInductionVar();
      Value kb = forLoop(zero, index(kBlocks)).getInductionVar();
      Value q = forLoop(zero, index(groupsPerBlock)).getInductionVar();
      Value t = forLoop(zero, index(g)).getInductionVar();
      Value j = forLoop(zero, index(nr)).getInductionVar();
      Value row = add(mul(kb, kcMax), add(mul(q, g), t));
      Value col = add(mul(jr, nr), j);
      Value inside = b.create<arith::AndIOp>(less(row, k), less(col, n));
      Value byte = b.create<memref::LoadOp>(
          bMem, ValueRange{b.create<arith::SelectOp>(inside, row, zero),
                           b.create<arith::SelectOp>(inside, col, zero)});
      b.create<memref::StoreOp>(packedValue(byte, inside, shape.rhsUnsigned),
                                packedB,
                                ValueRange{kb, jr, q, add(mul(j, g), t)});
    }
    Value packedA = b.create<memref::AllocOp>(
        MemRefType::get({mcMax / mr, groupsTotal, mr * g}, element), alignment);

    // for ic
    auto icLoop = b.create<scf::ForOp>(zero, index(m), index(mcMax));
    b.setInsertionPointToStart(icLoop.getBody());
    Value ic = icLoop.getInductionVar();
    Value mcHere = b.create<arith::SubIOp>(
        b.create<arith::MinSIOp>(add(ic, index(mcMax)), index(m)), ic);
    Value rowPanels =
        b.create<arith::DivUIOp>(add(mcHere, index(mr - 1)), index(mr));

    // Pack A[ic + ir * mr + r, q * g + t] -> packedA[ir, q, r * g + t], row
    // panels in parallel; rows past M are zeros.
    {
      OpBuilder::InsertionGuard guard(b);
      auto irLoop = forLoop(zero, rowPanels);
      markParallel(irLoop);
      Value ir = irLoop.getInductionVar();
      Value r = forLoop(zero, index(mr)).getInductionVar();
      Value row = add(ic, add(mul(ir, mr), r));
      Value inside = less(row, m);
      Value safeRow = b.create<arith::SelectOp>(inside, row, zero);
      Value q = forLoop(zero, index(groupsTotal)).getInductionVar();
      if (k % g == 0) {
        // Groups never cross K's end: one g-byte load and store each (a
        // 32-bit word for vpdpbusd).
        auto byteGroupType = VectorType::get({g}, i8);
        Value zeroGroup = b.create<arith::ConstantOp>(
            DenseElementsAttr::get(byteGroupType, b.getIntegerAttr(i8, 0)));
        Value bytes = b.create<vector::LoadOp>(byteGroupType, aMem,
                                               ValueRange{safeRow, mul(q, g)});
        bytes = b.create<arith::SelectOp>(inside, bytes, zeroGroup);
        if (dot.elementBits != 8)
          bytes = shape.lhsUnsigned
                      ? b.create<arith::ExtUIOp>(groupType, bytes).getResult()
                      : b.create<arith::ExtSIOp>(groupType, bytes).getResult();
        b.create<vector::StoreOp>(bytes, packedA, ValueRange{ir, q, mul(r, g)});
      } else {
        Value t = forLoop(zero, index(g)).getInductionVar();
        Value col = add(mul(q, g), t);
        Value valid = b.create<arith::AndIOp>(inside, less(col, k));
        Value byte = b.create<memref::LoadOp>(
            aMem,
            ValueRange{safeRow, b.create<arith::SelectOp>(valid, col, zero)});
        b.create<memref::StoreOp>(packedValue(byte, valid, shape.lhsUnsigned),
                                  packedA,
                                  ValueRange{ir, q, add(mul(r, g), t)});
      }
    }

    // for jr (parallel), ir: a register tile summing all of K, block by
    // block of the packed B.
    auto jrLoop = forLoop(zero, index(nPanels));
    markParallel(jrLoop);
    Value jr = jrLoop.getInductionVar();
    Value ir = forLoop(zero, rowPanels).getInductionVar();

    int64_t accumulators = mr * (nr / lanes);
    SmallVector<Value> initial(accumulators, zeroVec);
    auto kbLoop = b.create<scf::ForOp>(zero, index(kBlocks), one, initial);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(kbLoop.getBody());
      Value kb = kbLoop.getInductionVar();
      Value firstGroup = mul(kb, groupsPerBlock);
      Value groupsHere = b.create<arith::MinSIOp>(
          index(groupsPerBlock),
          b.create<arith::SubIOp>(index(groupsTotal), firstGroup));
      auto qLoop = b.create<scf::ForOp>(zero, groupsHere, one,
                                        kbLoop.getRegionIterArgs());
      {
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToStart(qLoop.getBody());
        Value q = qLoop.getInductionVar();
        Value aGroup = add(firstGroup, q);
        // Each vector holds `lanes` columns' groups of g operands.
        SmallVector<Value> bVectors;
        for (int64_t half = 0; half < nr / lanes; ++half)
          bVectors.push_back(b.create<vector::LoadOp>(
              panelType, packedB,
              ValueRange{kb, jr, q, index(half * lanes * g)}));
        SmallVector<Value> next;
        for (int64_t r = 0; r < mr; ++r) {
          // Row r's group, 32 bits, in every lane.
          Value group = b.create<vector::LoadOp>(
              groupType, packedA, ValueRange{ir, aGroup, index(r * g)});
          Value word = g == 1 ? group
                              : b.create<vector::BitCastOp>(
                                    VectorType::get({1}, i32), group);
          Value broadcast = b.create<vector::BroadcastOp>(accType, word);
          for (int64_t half = 0; half < nr / lanes; ++half) {
            Value acc = qLoop.getRegionIterArgs()[r * (nr / lanes) + half];
            Value bVector = bVectors[half];
            Value updated;
            switch (dot.kind) {
            case Int8Dot::Vnni:
              updated = b.create<LLVM::CallIntrinsicOp>(
                             accType, dot.intrinsic,
                             ValueRange{
                                 acc, broadcast,
                                 b.create<vector::BitCastOp>(accType, bVector)})
                            .getResult(0);
              break;
            case Int8Dot::MaddWd: {
              Value pairs = b.create<vector::BitCastOp>(panelType, broadcast);
              Value sums =
                  b.create<LLVM::CallIntrinsicOp>(accType, dot.intrinsic,
                                                  ValueRange{pairs, bVector})
                      .getResult(0);
              updated = b.create<arith::AddIOp>(acc, sums);
              break;
            }
            case Int8Dot::Widened:
              updated = b.create<arith::AddIOp>(
                  acc, b.create<arith::MulIOp>(broadcast, bVector));
              break;
            }
            next.push_back(updated);
          }
        }
        b.create<scf::YieldOp>(next);
      }
      b.create<scf::YieldOp>(qLoop.getResults());
    }

    addTileToC(b, cMem, add(ic, mul(ir, mr)), mul(jr, nr), m, nr / lanes,
               kbLoop.getResults());

    b.setInsertionPointAfter(icLoop);
    b.create<memref::DeallocOp>(packedA);
    if (!packedB.getDefiningOp<memref::GetGlobalOp>())
      b.create<memref::DeallocOp>(packedB);
  }

  std::map<std::pair<Operation *, unsigned>, memref::GlobalOp> integerPackedOf;
  llvm::DenseMap<Operation *, memref::GlobalOp> packedOf;
  SmallVector<memref::GlobalOp> packedGlobals;
};

} // namespace
