// The dlc dialect from C++: pattern kinds through the interface, result-type
// inference, and refusal of bad shapes without aborting.
#include "compiler/ShapeMath.h"
#include "compiler/dialect/DlcBuild.h"
#include "compiler/dialect/DlcDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

using namespace mlir;

namespace {

class DialectTest : public ::testing::Test {
protected:
  DialectTest() : builder(&context) {
    context.loadDialect<dlc::DlcDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
    auto func = builder.create<func::FuncOp>(builder.getUnknownLoc(), "f",
                                             builder.getFunctionType({}, {}));
    body = func.addEntryBlock();
    builder.setInsertionPointToEnd(body);
  }
  Value argument(ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, builder.getF32Type());
    return body->addArgument(type, builder.getUnknownLoc());
  }
  Value build(StringRef name, ValueRange operands,
              ArrayRef<NamedAttribute> attrs = {}) {
    return dlc::buildInferredOp(builder, builder.getUnknownLoc(), name,
                                operands, attrs);
  }
  ArrayRef<int64_t> shapeOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getShape();
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  Block *body;
};

TEST_F(DialectTest, PatternKindsComeFromTheInterface) {
  auto kindOf = [&](Value v) {
    return cast<dlc::PatternKindInterface>(v.getDefiningOp()).getPatternKind();
  };
  Value x = argument({2, 3}), row = argument({3}), m = argument({3, 4});
  EXPECT_EQ(kindOf(build("dlc.relu", x)), dlc::PatternKind::Elementwise);
  EXPECT_EQ(kindOf(build("dlc.add", {x, row})), dlc::PatternKind::Broadcast);
  EXPECT_EQ(kindOf(build("dlc.matmul", {x, m})),
            dlc::PatternKind::OutEWiseFusable);
  EXPECT_EQ(kindOf(build("dlc.transpose", x,
                         builder.getNamedAttr(
                             "perm", builder.getDenseI64ArrayAttr({1, 0})))),
            dlc::PatternKind::Injective);
  EXPECT_EQ(
      kindOf(build(
          "dlc.reduce_sum", x,
          {builder.getNamedAttr("axes", builder.getDenseI64ArrayAttr({1})),
           builder.getNamedAttr("keepdims", builder.getBoolAttr(false))})),
      dlc::PatternKind::Reduction);
  EXPECT_EQ(dlc::stringifyPatternKind(dlc::PatternKind::OutEWiseFusable),
            "out-elementwise-fusable");
}

TEST_F(DialectTest, InfersShapes) {
  Value a = argument({4, 1, 3}), b = argument({2, 1});
  EXPECT_EQ(shapeOf(build("dlc.mul", {a, b})), ArrayRef<int64_t>({4, 2, 3}));
  Value batch = argument({5, 2, 3}), m = argument({3, 7});
  EXPECT_EQ(shapeOf(build("dlc.matmul", {batch, m})),
            ArrayRef<int64_t>({5, 2, 7}));
  // 7x7 input, 3x3 window, stride 2, ceil mode: ceil(4/2)+1 = 3 outputs.
  Value image = argument({1, 2, 7, 7});
  Value pooled = build(
      "dlc.max_pool", image,
      {builder.getNamedAttr("kernel_shape",
                            builder.getDenseI64ArrayAttr({3, 3})),
       builder.getNamedAttr("strides", builder.getDenseI64ArrayAttr({2, 2})),
       builder.getNamedAttr("dilations", builder.getDenseI64ArrayAttr({1, 1})),
       builder.getNamedAttr("pads", builder.getDenseI64ArrayAttr({0, 0, 0, 0})),
       builder.getNamedAttr("ceil_mode", builder.getBoolAttr(true))});
  EXPECT_EQ(shapeOf(pooled), ArrayRef<int64_t>({1, 2, 3, 3}));
}

TEST_F(DialectTest, BadShapesAreReportedNotFatal) {
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  Value a = argument({2, 3}), b = argument({4});
  EXPECT_FALSE(build("dlc.add", {a, b}));
  EXPECT_EQ(message, "operand shapes [2,3] and [4] do not broadcast");
  EXPECT_FALSE(build("dlc.add", {a, Value()})) << "null operands pass on";
}

TEST_F(DialectTest, TextualFormRoundTrips) {
  const char *text = R"mlir(
    func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
      %c = dlc.constant dense<2.0> : tensor<4xf32>
      %0 = dlc.mul %x, %c : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
      %1 = dlc.softmax %0 {axis = 1} : tensor<1x4xf32>
      return %1 : tensor<1x4xf32>
    })mlir";
  auto parsed = parseSourceString<ModuleOp>(text, &context);
  ASSERT_TRUE(parsed);
  std::string first, second;
  llvm::raw_string_ostream(first) << *parsed;
  auto reparsed = parseSourceString<ModuleOp>(first, &context);
  ASSERT_TRUE(reparsed);
  llvm::raw_string_ostream(second) << *reparsed;
  EXPECT_EQ(first, second);
}

} // namespace

// A double out of an integer type's range has no C conversion (undefined
// behaviour); dlc's constants saturate instead, as a clip to the range would.
TEST(ShapeMath, IntegersFromDoublesSaturate) {
  double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(dlc::saturatedInteger(inf, 32, false).getSExtValue(), INT32_MAX);
  EXPECT_EQ(dlc::saturatedInteger(-inf, 32, false).getSExtValue(), INT32_MIN);
  EXPECT_EQ(dlc::saturatedInteger(std::nan(""), 16, false).getSExtValue(), 0);
  EXPECT_EQ(dlc::saturatedInteger(1e30, 64, false).getSExtValue(), INT64_MAX);
  EXPECT_EQ(dlc::saturatedInteger(300, 8, true).getZExtValue(), 255u);
  EXPECT_EQ(dlc::saturatedInteger(-5, 8, true).getZExtValue(), 0u);
  EXPECT_EQ(dlc::saturatedInteger(0x1p64, 64, true).getZExtValue(), UINT64_MAX);
  EXPECT_EQ(dlc::saturatedInteger(-2.9, 8, false).getSExtValue(), -2);
  EXPECT_EQ(dlc::saturatedInteger(1, 1, true).getZExtValue(), 1u);
}
