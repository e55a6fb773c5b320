//===- MatmulMicrokernel.cpp - Packed, register-blocked matmul ------------===//
//
// Replaces a bufferized f32 linalg.matmul C += A * B with the BLIS loop nest:
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
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/loop/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace dlc {
#define GEN_PASS_DEF_MATMULMICROKERNEL
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

bool dlc::fitsMatmulMicrokernel(Operation *op, int64_t minMacs) {
  auto matmul = dyn_cast_or_null<linalg::MatmulOp>(op);
  if (!matmul)
    return false;
  for (Value operand : matmul->getOperands()) {
    auto type = dyn_cast<ShapedType>(operand.getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
      return false;
  }
  SmallVector<int64_t> ranges = matmul.getStaticLoopRanges(); // m, n, k
  // Small products are not worth packing; one row is a GEMV.
  return ranges[0] * ranges[1] * ranges[2] >= minMacs && ranges[0] >= 2;
}

namespace {

struct MatmulMicrokernelPass
    : dlc::impl::MatmulMicrokernelBase<MatmulMicrokernelPass> {
  using MatmulMicrokernelBase::MatmulMicrokernelBase;

  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) {
      if (op.hasPureBufferSemantics() &&
          dlc::fitsMatmulMicrokernel(op, minFlops))
        matmuls.push_back(op);
    });
    for (linalg::MatmulOp op : matmuls)
      rewrite(op);
  }

  void rewrite(linalg::MatmulOp op) {
    ImplicitLocOpBuilder b(op.getLoc(), op);
    Value aMem = op.getDpsInputs()[0], bMem = op.getDpsInputs()[1],
          cMem = op.getDpsInits()[0];
    auto aType = cast<MemRefType>(aMem.getType());
    auto bType = cast<MemRefType>(bMem.getType());
    int64_t m = aType.getDimSize(0), k = aType.getDimSize(1),
            n = bType.getDimSize(1);
    const int64_t lanes = vectorWidth, mr = microRows, nr = 2 * lanes;
    const int64_t kcMax = std::min<int64_t>(kc, k);
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
    Value packedB = b.create<memref::AllocOp>(
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

    // Pack B[pc + p, jr * nr + j] -> packedB[jr, p, j], zero past N.
    {
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
        b.create<vector::StoreOp>(data, packedB,
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
    if (m * n * k >= dlc::kParallelMinWork)
      jrLoop->setAttr("dlc.parallel", b.getUnitAttr());
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
        bVectors.push_back(b.create<vector::LoadOp>(
            vecType, packedB, ValueRange{jr, p, index(half * lanes)}));
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

    // C[rows, cols] += tile: rows past M are skipped, columns past N masked
    // by the transfers.
    Value rowBase =
        b.create<arith::AddIOp>(ic, b.create<arith::MulIOp>(ir, index(mr)));
    Value colBase = b.create<arith::MulIOp>(jr, index(nr));
    for (int64_t r = 0; r < mr; ++r) {
      Value row = b.create<arith::AddIOp>(rowBase, index(r));
      Value inside =
          b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, row, index(m));
      auto ifOp = b.create<scf::IfOp>(inside, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      for (int64_t half = 0; half < nr / lanes; ++half) {
        Value col = b.create<arith::AddIOp>(colBase, index(half * lanes));
        Value old = b.create<vector::TransferReadOp>(
            vecType, cMem, ValueRange{row, col}, zeroF);
        Value sum = b.create<arith::AddFOp>(
            old, kLoop.getResult(r * (nr / lanes) + half));
        b.create<vector::TransferWriteOp>(sum, cMem, ValueRange{row, col});
      }
    }

    b.setInsertionPointAfter(pcLoop);
    b.create<memref::DeallocOp>(packedA);
    b.create<memref::DeallocOp>(packedB);
    op.erase();
  }
};

} // namespace
