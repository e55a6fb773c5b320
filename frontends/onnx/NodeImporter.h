//===- NodeImporter.h - What an ONNX op importer works with -----*- C++ -*-===//
#ifndef DLC_FRONTENDS_ONNX_NODEIMPORTER_H
#define DLC_FRONTENDS_ONNX_NODEIMPORTER_H

#include "compiler/dialect/DlcDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>
#include <vector>

namespace dlc {

/// The view one op importer has of its node: inputs as values (and as
/// constants where known), attributes with ONNX defaults, and where to put
/// its outputs. Errors are reported at the node's location.
class NodeImporter {
public:
  NodeImporter(const onnx::NodeProto &node, int64_t opset,
               mlir::OpBuilder &builder, mlir::Location loc,
               std::vector<mlir::Value> inputs,
               std::vector<mlir::ElementsAttr> constantInputs)
      : node(node), opset(opset), builder(builder), loc(loc),
        inputs(std::move(inputs)), constantInputs(std::move(constantInputs)),
        outputs(node.output_size()) {}

  const onnx::NodeProto &node;
  const int64_t opset; // of the node's domain
  mlir::OpBuilder &builder;
  const mlir::Location loc;

  // Inputs. An optional input left out (absent or named "") is null.
  size_t numInputs() const { return inputs.size(); }
  bool hasInput(size_t i) const { return i < inputs.size() && inputs[i]; }
  /// Input `i`, null when the node does not list it.
  mlir::Value input(size_t i) const {
    return i < inputs.size() ? inputs[i] : mlir::Value();
  }
  mlir::RankedTensorType inputType(size_t i) const {
    return mlir::cast<mlir::RankedTensorType>(inputs[i].getType());
  }
  /// The input's value when it is known at compile time.
  mlir::ElementsAttr constantInput(size_t i) const {
    return i < constantInputs.size() ? constantInputs[i] : nullptr;
  }
  /// A constant integer input (a shape, axes, ...), or nullopt.
  std::optional<std::vector<int64_t>> constantInts(size_t i) const;
  /// constantInts(i), or nullopt after reporting that `what` must be known
  /// at compile time (naming the input and --bind-input).
  std::optional<std::vector<int64_t>> requireInts(size_t i,
                                                  const llvm::Twine &what);

  /// The shape the model declares for output `i` (in the graph's outputs
  /// or value_info), when it declares one with every dim a number.
  std::optional<std::vector<int64_t>> declaredOutputShape(size_t i) const {
    return i < declaredOutputs.size() ? declaredOutputs[i] : std::nullopt;
  }
  /// For input `i` that decides the node's output shape (a Reshape's shape,
  /// TopK's k) and is a graph input given at run time: records a check of
  /// its values that the library makes before each run (`kind`, one of
  /// dlc_value_check_kind's: "equal", "reshape", "expand", "tile",
  /// "squeeze", "unsqueeze", "reduce", "axis", "pad", "slice", "range",
  /// "resize" (float scales along the axes of its one constant part);
  /// `expected` the values or the output shape,
  /// `operand` the shape of the data they apply to), so that the node can be
  /// compiled for the output shape the model declares. False, recording
  /// nothing, when input `i` is not itself a graph input or the target reads
  /// inputs where the library cannot check them (CUDA).
  /// One part of a check's values when the node reads several inputs:
  /// node input `nodeInput` (a graph input, or a constant), or `values`.
  struct CheckPart {
    int64_t nodeInput = -1;
    std::vector<int64_t> values;
  };
  bool checkAtRunTime(size_t i, llvm::StringRef kind,
                      llvm::ArrayRef<int64_t> expected,
                      llvm::ArrayRef<int64_t> operand = {}, int64_t flags = 0,
                      llvm::ArrayRef<CheckPart> parts = {});
  /// Sets output `i` to a result whose shape depends on the data: `value`
  /// holds it at its largest shape, and `count` (an i64 scalar) is its size
  /// along `dim` at run time. Such a value may only be a graph output, which
  /// the library allocates at its size after the run. False, setting
  /// nothing, where the target cannot (runtimeValueChecks off: CUDA).
  bool setBoundedOutput(size_t i, mlir::Value value, mlir::Value count,
                        int64_t dim);
  struct Bounded {
    mlir::Value count;
    int64_t dim;
    std::string node;
  };
  /// Set by the graph importer: where setBoundedOutput records.
  llvm::DenseMap<mlir::Value, Bounded> *boundedValues = nullptr;
  /// Set by the graph importer: per output, what declaredOutputShape gives;
  /// whether checkAtRunTime may record checks.
  std::vector<std::optional<std::vector<int64_t>>> declaredOutputs;
  bool runtimeValueChecks = false;

  // Attributes, with the default when absent.
  bool hasAttr(const std::string &name) const { return findAttr(name); }
  int64_t attrInt(const std::string &name, int64_t fallback) const;
  float attrFloat(const std::string &name, float fallback) const;
  std::string attrString(const std::string &name,
                         const std::string &fallback) const;
  std::vector<int64_t> attrInts(const std::string &name,
                                std::vector<int64_t> fallback) const;
  const onnx::AttributeProto *findAttr(const std::string &name) const;

  // Outputs.
  size_t numOutputs() const { return outputs.size(); }
  /// Whether the graph uses output `i` (ONNX marks unused ones with "").
  bool wantsOutput(size_t i) const {
    return i < static_cast<size_t>(node.output_size()) &&
           !node.output(i).empty();
  }
  /// Sets output `i`; an output the node does not list is dropped.
  void setOutput(size_t i, mlir::Value value) {
    if (i < outputs.size())
      outputs[i] = value;
  }
  const std::vector<mlir::Value> &results() const { return outputs; }

  /// Reports that input `i` (`what`) must be a compile-time value, naming
  /// the graph inputs it comes from for --bind-input.
  mlir::LogicalResult failNotConstant(size_t i, const llvm::Twine &what);
  /// Reports `message` at the node and returns failure.
  mlir::LogicalResult fail(const llvm::Twine &message) const;

  /// Imports `graph` (an If branch, a Loop or Scan body) inline at the
  /// builder's insertion point, its inputs bound to `arguments`; fills
  /// `results` with its outputs. Set by the graph importer.
  llvm::function_ref<mlir::LogicalResult(
      const onnx::GraphProto &graph, llvm::ArrayRef<mlir::Value> arguments,
      llvm::SmallVectorImpl<mlir::Value> &results)>
      importSubgraph;

  // Building blocks. `build` never aborts on bad input: when an operand is
  // null (an earlier step failed) or the op's result type cannot be inferred
  // (the inference reports why at the node), it returns null and the node
  // fails.
  template <typename OpTy>
  mlir::Value build(mlir::ValueRange operands,
                    llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    return buildOp(OpTy::getOperationName(), operands, attrs);
  }
  mlir::NamedAttribute attr(llvm::StringRef name, mlir::Attribute value) {
    return builder.getNamedAttr(name, value);
  }
  bool hadError() const { return failed; }
  mlir::Value constant(mlir::ElementsAttr value);
  mlir::Value reshape(mlir::Value value, llvm::ArrayRef<int64_t> shape);
  mlir::Value scalarLike(mlir::Value like, double value);
  /// `value`'s elements [start, start + size) along `axis` (dlc.slice).
  mlir::Value sliceAxis(mlir::Value value, int64_t axis, int64_t start,
                        int64_t size);
  /// `value` with its dims permuted: result dim i is dim perm[i].
  mlir::Value transpose(mlir::Value value, llvm::ArrayRef<int64_t> perm);
  /// `value` converted to `elementType` (dlc.cast), or itself.
  mlir::Value cast(mlir::Value value, mlir::Type elementType);
  /// `value` as a dlc.constant when it is an integer computation over
  /// constants the evaluator knows; else `value`.
  mlir::Value foldIfConstant(mlir::Value value);
  /// A constant of `type` filled from `values` (converted to its elements).
  mlir::Value constantOf(mlir::RankedTensorType type,
                         llvm::ArrayRef<double> values);
  /// For axes given at run time (input `i`, checked by the library to be
  /// valid and distinct): `variants[k]`, computed over `sets[k]`, where the
  /// values name that set (negative axes counted from `rank`). Each set is
  /// coded as the sum of 2^axis.
  mlir::Value selectByAxes(size_t i, int64_t rank,
                           llvm::ArrayRef<llvm::SmallVector<int64_t>> sets,
                           llvm::ArrayRef<mlir::Value> variants);

private:
  static constexpr int64_t kMaxFoldedElements = 1 << 16;
  static constexpr int64_t kMaxFoldedFloatElements = 16;
  mlir::Value buildOp(llvm::StringRef name, mlir::ValueRange operands,
                      llvm::ArrayRef<mlir::NamedAttribute> attrs);

  bool failed = false;
  std::vector<mlir::Value> inputs;
  std::vector<mlir::ElementsAttr> constantInputs;
  std::vector<mlir::Value> outputs;
};

/// Imports one node; on success every wanted output is set.
using OpImporterFn = mlir::LogicalResult (*)(NodeImporter &);

struct OpImporterEntry {
  const char *opType;
  int64_t minOpset; // the oldest opset (of its domain) the importer knows
  size_t minInputs; // inputs the op requires
  OpImporterFn import;
  const char *domain = ""; // "" is the default domain, ai.onnx
};

/// The table of op importers, sorted by op type: the parts from
/// OpImporters.cpp, ElementwiseImporters.cpp, ReductionImporters.cpp,
/// ShapeImporters.cpp, SpatialImporters.cpp, RecurrentImporters.cpp,
/// QuantizationImporters.cpp, AttentionImporters.cpp, SamplingImporters.cpp,
/// SignalImporters.cpp, TrainingImporters.cpp and ControlFlowImporters.cpp.
llvm::ArrayRef<OpImporterEntry> opImporters();
llvm::ArrayRef<OpImporterEntry> coreOpImporters();
llvm::ArrayRef<OpImporterEntry> elementwiseOpImporters();
llvm::ArrayRef<OpImporterEntry> reductionOpImporters();
llvm::ArrayRef<OpImporterEntry> shapeOpImporters();
llvm::ArrayRef<OpImporterEntry> spatialOpImporters();
llvm::ArrayRef<OpImporterEntry> recurrentOpImporters();
llvm::ArrayRef<OpImporterEntry> quantizationOpImporters();
llvm::ArrayRef<OpImporterEntry> attentionOpImporters();
llvm::ArrayRef<OpImporterEntry> samplingOpImporters();
llvm::ArrayRef<OpImporterEntry> signalOpImporters();
llvm::ArrayRef<OpImporterEntry> trainingOpImporters();
llvm::ArrayRef<OpImporterEntry> controlFlowOpImporters();

// Helpers shared by the importers.
using ShapeVec = llvm::SmallVector<int64_t>;
inline int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t result = 1;
  for (int64_t dim : dims)
    result *= dim;
  return result;
}
/// Fails at the node unless `a` and `b` have one element type.
mlir::LogicalResult requireSameElementType(NodeImporter &n, mlir::Value a,
                                           mlir::Value b);
/// A constant scalar or 1-element input's value, or nullopt.
std::optional<double> constantScalar(const NodeImporter &n, size_t i);
/// The axis attribute (or `axis`) normalized to [0, rank), or failure.
mlir::FailureOr<int64_t> normalizedAxis(NodeImporter &n, int64_t axis,
                                        int64_t rank);

/// Strides, dilations and pads of a sliding window, with auto_pad resolved.
struct Window {
  llvm::SmallVector<int64_t> strides, dilations, pads;
};
/// The window attributes of a conv or pool node over `inputShape` (N, C,
/// spatial...) with a `kernel` of spatial sizes.
mlir::FailureOr<Window> readWindow(NodeImporter &n,
                                   llvm::ArrayRef<int64_t> inputShape,
                                   llvm::ArrayRef<int64_t> kernel);

/// Converts an ONNX tensor's data (already read, raw or typed) to an
/// attribute; nullptr with `error` set when its type is unsupported.
mlir::ElementsAttr convertTensor(const onnx::TensorProto &tensor,
                                 const std::string &rawData,
                                 mlir::MLIRContext &context,
                                 std::string &error);

/// The MLIR element type of an ONNX data type, or null.
mlir::Type convertElementType(int32_t dataType, mlir::MLIRContext &context);

/// ONNX's element types newer than some libonnx builds' enum.
enum : int32_t {
  kOnnxFloat8E4M3FN = 17,
  kOnnxFloat8E4M3FNUZ = 18,
  kOnnxFloat8E5M2 = 19,
  kOnnxFloat8E5M2FNUZ = 20,
  kOnnxUint4 = 21,
  kOnnxInt4 = 22,
  kOnnxFloat4E2M1 = 23,
  kOnnxFloat8E8M0 = 24,
  kOnnxUint2 = 25,
  kOnnxInt2 = 26,
};

/// An ONNX element type's name (TensorProto's spelling), for messages.
std::string elementTypeName(int32_t dataType);

} // namespace dlc

#endif // DLC_FRONTENDS_ONNX_NODEIMPORTER_H
