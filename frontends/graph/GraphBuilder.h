//===- GraphBuilder.h - Build a dlc graph in C++ ----------------*- C++ -*-===//
//
// A small API for building a model in code instead of importing one:
//
//   dlc::GraphBuilder g(context, "net");
//   mlir::Value x = g.input("x", {1, 3, 32, 32});
//   mlir::Value y = g.relu(g.conv2d(x, g.constant({8, 3, 3, 3}, weights),
//                                   {1, 1}, {1, 1, 1, 1}));
//   g.output("y", y);
//   auto module = g.finish(error);  // then dlc::compileModule(...)
//
// Shape errors never abort: the failing call returns a null Value, later
// calls pass it on, and finish() reports the first problem.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTENDS_GRAPH_GRAPHBUILDER_H
#define DLC_FRONTENDS_GRAPH_GRAPHBUILDER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace dlc {

class GraphBuilder {
public:
  GraphBuilder(mlir::MLIRContext &context, llvm::StringRef name);

  /// A model input; element type f32 unless given.
  mlir::Value input(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                    mlir::Type elementType = nullptr);
  mlir::Value constant(llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<float> values);
  void output(llvm::StringRef name, mlir::Value value);

  // Elementwise (numpy broadcasting for binary ops).
  mlir::Value add(mlir::Value lhs, mlir::Value rhs);
  mlir::Value sub(mlir::Value lhs, mlir::Value rhs);
  mlir::Value mul(mlir::Value lhs, mlir::Value rhs);
  mlir::Value div(mlir::Value lhs, mlir::Value rhs);
  mlir::Value relu(mlir::Value x);
  mlir::Value sigmoid(mlir::Value x);
  mlir::Value tanh(mlir::Value x);

  // Structured ops, channels first.
  mlir::Value matmul(mlir::Value lhs, mlir::Value rhs);
  mlir::Value conv2d(mlir::Value x, mlir::Value filter,
                     llvm::ArrayRef<int64_t> strides,
                     llvm::ArrayRef<int64_t> pads, int64_t group = 1);
  mlir::Value maxPool2d(mlir::Value x, llvm::ArrayRef<int64_t> kernel,
                        llvm::ArrayRef<int64_t> strides,
                        llvm::ArrayRef<int64_t> pads);
  mlir::Value globalAveragePool(mlir::Value x);
  mlir::Value softmax(mlir::Value x, int64_t axis);

  // Data movement.
  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> shape);
  mlir::Value transpose(mlir::Value x, llvm::ArrayRef<int64_t> perm);
  mlir::Value concat(llvm::ArrayRef<mlir::Value> inputs, int64_t axis);

  /// The finished module, or null with the first error in `error`.
  mlir::OwningOpRef<mlir::ModuleOp> finish(std::string &error);

private:
  mlir::Value build(llvm::StringRef opName, mlir::ValueRange operands,
                    llvm::ArrayRef<mlir::NamedAttribute> attrs = {});

  mlir::MLIRContext &context;
  mlir::OpBuilder builder;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::Operation *function;
  mlir::Block *body;
  std::vector<std::string> inputNames, outputNames;
  std::vector<mlir::Value> outputs;
  std::string firstError;
  int opCount = 0;
};

} // namespace dlc

#endif // DLC_FRONTENDS_GRAPH_GRAPHBUILDER_H
