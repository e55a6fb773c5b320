//===- OnnxImporter.cpp - ONNX models to the dlc dialect ------------------===//
//
// Reads the model (and its external data), maps graph inputs to function
// arguments and initializers to constants, then imports each node through the
// op importer table. Every node whose op is not supported is listed in one
// error before anything is built.
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/OnnxImporter.h"
#include "compiler/ShapeMath.h"
#include "compiler/dialect/DlcDialect.h"
#include "frontends/onnx/NodeImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/checker.h>
#include <onnx/defs/schema.h>

using namespace mlir;

namespace dlc {

std::vector<std::string> supportedOnnxOps() {
  std::vector<std::string> ops;
  for (const OpImporterEntry &entry : opImporters())
    ops.push_back(*entry.domain ? std::string(entry.domain) + "." + entry.opType
                                : std::string(entry.opType));
  std::sort(ops.begin(), ops.end());
  return ops;
}

namespace {

/// The newest opset of the default domain whose ops dlc imports as they are
/// specified: onnx 1.23's, whose node tests run in the test suite.
constexpr int64_t kNewestKnownOpset = 28;

bool isDefaultDomain(const std::string &domain) {
  return domain.empty() || domain == "ai.onnx";
}

/// The domain as the importer table names it: "" for the default one.
std::string tableDomain(const std::string &domain) {
  return isDefaultDomain(domain) ? "" : domain;
}

const OpImporterEntry *findImporter(const std::string &domain,
                                    const std::string &opType) {
  std::string wanted = tableDomain(domain);
  for (const OpImporterEntry &entry : opImporters())
    if (opType == entry.opType && wanted == entry.domain)
      return &entry;
  return nullptr;
}

/// Reads a file into `contents`; false with `error` set on failure.
bool readFile(const std::string &path, std::string &contents,
              std::string &error) {
  // A FIFO or device (/dev/zero) would block or never end.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(path, status) &&
      status.type() != llvm::sys::fs::file_type::regular_file) {
    error = "cannot read '" + path + "': not a regular file";
    return false;
  }
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = "cannot read '" + path + "': " + buffer.getError().message();
    return false;
  }
  contents = (*buffer)->getBuffer().str();
  return true;
}

/// Reads the bytes of a tensor stored in an external-data file, which must lie
/// inside the model's folder.
/// `files` keeps each file read, by its real path: one file commonly holds
/// all of a model's weights.
bool readExternalData(const onnx::TensorProto &tensor,
                      const std::string &modelDir,
                      llvm::StringMap<std::string> &files, std::string &bytes,
                      std::string &error) {
  std::string location;
  int64_t offset = 0, length = -1;
  std::string what = "external data of tensor '" + tensor.name() + "'";
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      int64_t value;
      if (llvm::StringRef(entry.value()).getAsInteger(10, value) || value < 0) {
        error = what + " has " + entry.key() + " '" + entry.value() +
                "', not a non-negative integer";
        return false;
      }
      (entry.key() == "offset" ? offset : length) = value;
    }
  }
  if (location.empty()) {
    error = what + " has no location";
    return false;
  }
  if (llvm::sys::path::is_absolute(location)) {
    error = what + " has an absolute location '" + location +
            "'; it must be relative to the model's folder";
    return false;
  }
  llvm::SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  llvm::SmallString<256> realDir, realFile;
  if (llvm::sys::fs::real_path(modelDir, realDir) ||
      llvm::sys::fs::real_path(path, realFile)) {
    error = "cannot open " + what + " at '" + std::string(path) + "'";
    return false;
  }
  llvm::StringRef file = realFile, dir = realDir;
  if (!file.starts_with(dir) || file.size() <= dir.size() ||
      !llvm::sys::path::is_separator(file[dir.size()])) {
    error = what + " at '" + location + "' lies outside the model's folder";
    return false;
  }
  auto cached = files.find(realFile);
  if (cached == files.end()) {
    std::string contents;
    if (!readFile(std::string(realFile), contents, error))
      return false;
    cached = files.try_emplace(realFile, std::move(contents)).first;
  }
  const std::string &contents = cached->second;
  int64_t size = static_cast<int64_t>(contents.size());
  if (offset > size || (length >= 0 && length > size - offset)) {
    error = what + " (offset " + std::to_string(offset) + ", length " +
            std::to_string(length) + ") runs past the end of '" + location +
            "'";
    return false;
  }
  bytes = contents.substr(offset, length < 0 ? std::string::npos : length);
  return true;
}

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, const onnx::ModelProto &model,
                std::string modelDir, const OnnxImportOptions &options,
                std::string &error)
      : context(context), model(model), modelDir(std::move(modelDir)),
        options(options), error(error), builder(&context) {}

  OwningOpRef<ModuleOp> run();

private:
  bool readOpset();
  bool checkSupported();
  bool importInitializers();
  bool declareInputs(SmallVectorImpl<Type> &types,
                     SmallVectorImpl<std::string> &names);
  bool importNode(const onnx::NodeProto &node, size_t index);
  bool importSubgraph(const onnx::GraphProto &graph, ArrayRef<Value> arguments,
                      SmallVectorImpl<Value> &results, Location loc);
  void listUnsupported(const onnx::GraphProto &graph, std::string &unsupported,
                       int &count);
  ElementsAttr readInitializer(const onnx::TensorProto &tensor);
  bool checkBoundInput(const onnx::ValueInfoProto &input, ElementsAttr value);
  bool checkSingleAssignment(const onnx::GraphProto &graph);
  bool runOnnxChecker();
  Location nodeLoc(const onnx::NodeProto &node, size_t index);
  std::optional<std::vector<int64_t>>
  declaredShape(const std::string &name, int hops = 0, int *budget = nullptr);

  MLIRContext &context;
  const onnx::ModelProto &model;
  std::string modelDir;
  const OnnxImportOptions &options;
  std::string &error;
  OpBuilder builder;
  int64_t opset = 0; // of the default domain; 0 when not imported
  llvm::StringMap<int64_t> domainOpsets; // every imported domain's
  llvm::StringMap<Value> values;
  llvm::StringMap<ElementsAttr> constants;
  /// Values whose shape depends on the data (NonZero, Compress): computed at
  /// their largest shape, with their size at run time; only graph outputs.
  llvm::DenseMap<Value, NodeImporter::Bounded> boundedValues;
  llvm::StringMap<std::string> externalFiles; // read once each
  /// The main graph's nodes reading each value as their first input, built
  /// on first use (declaredShape).
  std::optional<llvm::StringMap<SmallVector<const onnx::NodeProto *, 2>>>
      firstInputReaders;
};

/// Ops whose output has their first input's shape, whatever the values
/// (elementwise on one tensor; CastLike's second input gives only a type).
static bool keepsFirstInputShape(const onnx::NodeProto &node) {
  static const llvm::StringSet<> ops = {
      "Abs",        "Acos",     "Acosh", "Asin",    "Asinh", "Atan", "Atanh",
      "Cast",       "CastLike", "Ceil",  "Cos",     "Cosh",  "Erf",  "Exp",
      "Floor",      "Identity", "IsInf", "IsNaN",   "Log",   "Neg",  "Not",
      "Reciprocal", "Relu",     "Round", "Sigmoid", "Sign",  "Sin",  "Sinh",
      "Softsign",   "Sqrt",     "Tan",   "Tanh"};
  return isDefaultDomain(node.domain()) && ops.contains(node.op_type());
}

/// The shape the main graph declares for `name` (an output or value_info
/// entry), when every dim is a number; else, for a value the model leaves
/// undeclared (an expanded function's intermediate), the declared shape of
/// a node that reads it and keeps its shape (a Cast, a Sqrt, ...), a few
/// such nodes deep.
std::optional<std::vector<int64_t>>
GraphImporter::declaredShape(const std::string &name, int hops, int *budget) {
  auto shapeOf = [](const onnx::ValueInfoProto &info)
      -> std::optional<std::vector<int64_t>> {
    if (!info.type().has_tensor_type() ||
        !info.type().tensor_type().has_shape())
      return std::nullopt;
    std::vector<int64_t> shape;
    for (const auto &dim : info.type().tensor_type().shape().dim()) {
      if (!dim.has_dim_value() || dim.dim_value() < 0)
        return std::nullopt;
      shape.push_back(dim.dim_value());
    }
    if (!checkedNumElements(shape)) // a hostile declaration
      return std::nullopt;
    return shape;
  };
  if (name.empty())
    return std::nullopt;
  for (const onnx::ValueInfoProto &info : model.graph().output())
    if (info.name() == name)
      return shapeOf(info);
  for (const onnx::ValueInfoProto &info : model.graph().value_info())
    if (info.name() == name)
      return shapeOf(info);
  // At most 8 nodes deep and 32 nodes looked at in all, so that a model of
  // many readers stays quick to import.
  constexpr int kMaxHops = 8, kMaxLookedAt = 32;
  int ownBudget = kMaxLookedAt;
  if (!budget)
    budget = &ownBudget;
  if (hops >= kMaxHops)
    return std::nullopt;
  if (!firstInputReaders) {
    firstInputReaders.emplace();
    for (const onnx::NodeProto &node : model.graph().node())
      if (node.input_size() > 0 && !node.input(0).empty())
        (*firstInputReaders)[node.input(0)].push_back(&node);
  }
  auto readers = firstInputReaders->find(name);
  if (readers == firstInputReaders->end())
    return std::nullopt;
  for (const onnx::NodeProto *reader : readers->second) {
    if (!keepsFirstInputShape(*reader) || reader->output_size() != 1)
      continue;
    if (--*budget < 0)
      return std::nullopt;
    if (auto shape = declaredShape(reader->output(0), hops + 1, budget))
      return shape;
  }
  return std::nullopt;
}

bool GraphImporter::readOpset() {
  for (const auto &entry : model.opset_import())
    domainOpsets[tableDomain(entry.domain())] = entry.version();
  opset = domainOpsets.lookup("");
  // A model of other domains' ops only (the training optimizers) needs no
  // default opset.
  bool usesDefaultDomain =
      llvm::any_of(model.graph().node(), [](const onnx::NodeProto &node) {
        return isDefaultDomain(node.domain());
      });
  if (opset == 0 && usesDefaultDomain) {
    error = "the model imports no opset of the default ONNX domain";
    return false;
  }
  // Ops change meaning between opsets; an opset newer than the ONNX release
  // dlc is checked against (its node tests, tools/conformance) may have
  // changed one without dlc knowing.
  if (opset > kNewestKnownOpset) {
    error = "the model imports opset " + std::to_string(opset) +
            " of the default ONNX domain; dlc knows opsets up to " +
            std::to_string(kNewestKnownOpset);
    return false;
  }
  return true;
}

/// Lists the nodes of `graph` and of its subgraphs (If branches, Loop and
/// Scan bodies) whose ops dlc does not import.
void GraphImporter::listUnsupported(const onnx::GraphProto &graph,
                                    std::string &unsupported, int &count) {
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    for (const onnx::AttributeProto &attr : node.attribute()) {
      if (attr.has_g())
        listUnsupported(attr.g(), unsupported, count);
      for (const onnx::GraphProto &subgraph : attr.graphs())
        listUnsupported(subgraph, unsupported, count);
    }
    const OpImporterEntry *entry = findImporter(node.domain(), node.op_type());
    int64_t nodeOpset = domainOpsets.lookup(tableDomain(node.domain()));
    // Each importer knows the op from some opset on (7 for most, older for
    // ops whose semantics have not changed since).
    if (entry && nodeOpset >= entry->minOpset)
      continue;
    ++count;
    std::string name = node.name().empty()
                           ? "#" + std::to_string(i) + " (unnamed)"
                           : "'" + node.name() + "'";
    std::string domain =
        isDefaultDomain(node.domain()) ? "" : node.domain() + ".";
    unsupported += "\n  node " + name + ": " + domain + node.op_type() +
                   ", opset " + std::to_string(nodeOpset);
  }
}

bool GraphImporter::checkSupported() {
  std::string unsupported;
  int count = 0;
  listUnsupported(model.graph(), unsupported, count);
  if (count == 0)
    return true;
  error = std::to_string(count) +
          " node(s) use ops dlc does not support:" + unsupported;
  return false;
}

ElementsAttr GraphImporter::readInitializer(const onnx::TensorProto &tensor) {
  std::string raw;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    if (!readExternalData(tensor, modelDir, externalFiles, raw, error))
      return nullptr;
  } else {
    raw = tensor.raw_data();
  }
  std::string tensorError;
  ElementsAttr value = convertTensor(tensor, raw, context, tensorError);
  if (!value)
    error = "initializer '" + tensor.name() + "': " + tensorError;
  return value;
}

bool GraphImporter::importInitializers() {
  for (const onnx::TensorProto &tensor : model.graph().initializer()) {
    ElementsAttr value = readInitializer(tensor);
    if (!value)
      return false;
    constants[tensor.name()] = value;
  }
  return true;
}

bool GraphImporter::importSubgraph(const onnx::GraphProto &graph,
                                   ArrayRef<Value> arguments,
                                   SmallVectorImpl<Value> &results,
                                   Location loc) {
  if (graph.input_size() != static_cast<int>(arguments.size())) {
    emitError(loc) << "the subgraph '" << graph.name() << "' has "
                   << graph.input_size() << " input(s), " << arguments.size()
                   << " given";
    return false;
  }
  // The subgraph sees the enclosing scope; its own names end with it.
  llvm::StringMap<Value> outerValues = values;
  llvm::StringMap<ElementsAttr> outerConstants = constants;
  auto restore = llvm::make_scope_exit([&] {
    values = std::move(outerValues);
    constants = std::move(outerConstants);
  });
  for (auto [input, argument] : llvm::zip(graph.input(), arguments)) {
    values[input.name()] = argument;
    if (auto constant = argument.getDefiningOp<ConstantOp>())
      constants[input.name()] = constant.getValue();
    else
      constants.erase(input.name());
  }
  for (const onnx::TensorProto &tensor : graph.initializer()) {
    ElementsAttr value = readInitializer(tensor);
    if (!value) {
      emitError(loc) << error;
      return false;
    }
    constants[tensor.name()] = value;
    values.erase(tensor.name());
  }
  if (!checkSingleAssignment(graph)) {
    emitError(loc) << error;
    return false;
  }
  for (int i = 0; i < graph.node_size(); ++i)
    if (!importNode(graph.node(i), i))
      return false;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    auto found = values.find(output.name());
    if (found != values.end() && boundedValues.count(found->second)) {
      emitError(loc) << "output '" << output.name() << "' of the subgraph '"
                     << graph.name()
                     << "' has a shape that depends on the data: dlc "
                        "supports such a result only as a graph output";
      return false;
    }
    if (found != values.end()) {
      results.push_back(found->second);
      continue;
    }
    auto constant = constants.find(output.name());
    if (constant == constants.end()) {
      emitError(loc) << "output '" << output.name() << "' of the subgraph '"
                     << graph.name() << "' is never computed";
      return false;
    }
    results.push_back(builder.create<ConstantOp>(loc, constant->second));
  }
  return true;
}

bool GraphImporter::declareInputs(SmallVectorImpl<Type> &types,
                                  SmallVectorImpl<std::string> &names) {
  for (const onnx::ValueInfoProto &input : model.graph().input()) {
    // Before IR version 4, initializers are listed as inputs too.
    if (constants.count(input.name()))
      continue;
    const std::string &name = input.name();
    auto bound = options.boundInputs.find(name);
    if (bound != options.boundInputs.end()) {
      // A value given at compile time: the input becomes a constant.
      if (!checkBoundInput(input, bound->second))
        return false;
      constants[name] = bound->second;
      continue;
    }
    if (!input.type().has_tensor_type()) {
      error = "graph input '" + name + "' is not a tensor";
      return false;
    }
    const auto &tensorType = input.type().tensor_type();
    Type elementType = convertElementType(tensorType.elem_type(), context);
    if (!elementType) {
      error = "graph input '" + name + "' has unsupported element type " +
              elementTypeName(tensorType.elem_type());
      return false;
    }
    std::vector<int64_t> shape;
    auto given = options.inputShapes.find(name);
    if (given != options.inputShapes.end()) {
      shape = given->second;
    } else if (!tensorType.has_shape()) {
      // No shape at all is an unknown rank, not a scalar.
      error = "graph input '" + name + "' has no shape (its rank is " +
              "unknown); give it with --input-shape " + name + "=D0,D1,...";
      return false;
    } else {
      for (const auto &dim : tensorType.shape().dim()) {
        if (!dim.has_dim_value() || dim.dim_value() < 0) {
          error = "graph input '" + name + "' has a symbolic dimension" +
                  (dim.has_dim_param() ? " '" + dim.dim_param() + "'" : "") +
                  "; give its shape with --input-shape " + name +
                  "=D0,D1,... (a dim 0 given as a name, as batch,128, "
                  "stays symbolic)";
          return false;
        }
        shape.push_back(dim.dim_value());
      }
    }
    if (!checkedNumElements(shape)) {
      error = "graph input '" + name + "' has shape " + shapeText(shape) +
              ", with negative dims or more than 2^48 elements";
      return false;
    }
    types.push_back(RankedTensorType::get(shape, elementType));
    names.push_back(name);
  }
  for (const auto &[name, value] : options.boundInputs)
    if (!llvm::any_of(model.graph().input(),
                      [&](const onnx::ValueInfoProto &input) {
                        return input.name() == name;
                      })) {
      error = "--bind-input names '" + name +
              "', which is not an input of the model";
      return false;
    }
  for (const auto &[name, shape] : options.inputShapes)
    if (llvm::find(names, name) == names.end()) {
      error = "--input-shape names '" + name +
              "', which is not an input of the model";
      return false;
    }
  return true;
}

/// ONNX graphs are in single static assignment form: two nodes writing one
/// name (or a node overwriting an input or initializer) is an invalid model,
/// which onnxruntime refuses; dlc would silently keep the last.
bool GraphImporter::checkSingleAssignment(const onnx::GraphProto &graph) {
  llvm::StringMap<std::string> writers;
  for (const onnx::ValueInfoProto &input : graph.input())
    writers.try_emplace(input.name(), "graph input '" + input.name() + "'");
  for (const onnx::TensorProto &tensor : graph.initializer())
    writers.try_emplace(tensor.name(), "initializer '" + tensor.name() + "'");
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    std::string nodeName =
        "node '" +
        (node.name().empty() ? node.op_type() + "#" + std::to_string(i)
                             : node.name()) +
        "'";
    for (const std::string &output : node.output()) {
      if (output.empty())
        continue;
      auto [it, added] = writers.try_emplace(output, nodeName);
      if (!added) {
        error = nodeName + ": its output '" + output + "' is already " +
                (llvm::StringRef(it->second).starts_with("node")
                     ? "written by " + it->second
                     : "the " + it->second);
        return false;
      }
    }
  }
  return true;
}

/// ONNX's own checker on each node (libonnx's check_node: arity, attribute
/// types, required attributes), for models within the opsets the
/// linked libonnx knows (whatever their IR version); newer opsets get dlc's
/// own checks only, since an older checker would judge them by outdated
/// schemas.
bool GraphImporter::runOnnxChecker() {
  const auto &known =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  for (const auto &entry : model.opset_import()) {
    std::string domain = entry.domain() == "ai.onnx" ? "" : entry.domain();
    auto range = known.find(domain);
    if (range == known.end() || entry.version() > range->second.second)
      return true;
  }
  // check_model's context, with the model's folder for external data.
  onnx::checker::CheckerContext context;
  context.set_ir_version(static_cast<int>(model.ir_version()));
  std::unordered_map<std::string, int> opsets;
  for (const auto &entry : model.opset_import())
    opsets[entry.domain()] = static_cast<int>(entry.version());
  context.set_opset_imports(opsets);
  context.set_model_dir(modelDir);
  // Node by node: check_graph would also hold graph outputs to 1.12's rules
  // (a type without a shape was invalid then, is valid now). Nodes with
  // subgraphs are left out for the same reason.
  onnx::checker::LexicalScopeContext scope;
  for (int i = 0; i < model.graph().node_size(); ++i) {
    const onnx::NodeProto &node = model.graph().node(i);
    bool hasSubgraph = llvm::any_of(
        node.attribute(), [](const onnx::AttributeProto &attribute) {
          return attribute.has_g() || attribute.graphs_size() > 0;
        });
    if (hasSubgraph)
      continue;
    try {
      onnx::checker::check_node(node, context, scope);
    } catch (const std::exception &failure) {
      std::string message = failure.what();
      // The checker appends a dump of the node; its first line says why.
      message = message.substr(0, message.find('\n'));
      error = "node '" +
              (node.name().empty() ? node.op_type() + "#" + std::to_string(i)
                                   : node.name()) +
              "' is not valid ONNX (ONNX checker): " + message;
      return false;
    }
  }
  return true;
}

bool GraphImporter::checkBoundInput(const onnx::ValueInfoProto &input,
                                    ElementsAttr value) {
  const std::string &name = input.name();
  if (!input.type().has_tensor_type())
    return true; // nothing declared to check against
  const auto &tensorType = input.type().tensor_type();
  auto type = cast<RankedTensorType>(value.getType());
  Type declared = convertElementType(tensorType.elem_type(), context);
  if (declared && declared != type.getElementType()) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "--bind-input value for '" << name << "' has element type "
       << type.getElementType() << ", the model declares " << declared;
    error = os.str();
    return false;
  }
  if (!tensorType.has_shape())
    return true;
  bool matches = tensorType.shape().dim_size() == type.getRank();
  for (int d = 0; matches && d < tensorType.shape().dim_size(); ++d) {
    const auto &dim = tensorType.shape().dim(d);
    matches = !dim.has_dim_value() || dim.dim_value() == type.getDimSize(d);
  }
  if (!matches) {
    error = "--bind-input value for '" + name +
            "' does not have the shape the model declares";
    return false;
  }
  return true;
}

Location GraphImporter::nodeLoc(const onnx::NodeProto &node, size_t index) {
  std::string name = node.name().empty()
                         ? node.op_type() + "#" + std::to_string(index)
                         : node.name();
  return NameLoc::get(StringAttr::get(&context, name));
}

bool GraphImporter::importNode(const onnx::NodeProto &node, size_t index) {
  Location loc = nodeLoc(node, index);
  std::vector<Value> inputs;
  std::vector<ElementsAttr> constantInputs;
  for (const std::string &name : node.input()) {
    if (name.empty()) {
      inputs.push_back(nullptr);
      constantInputs.push_back(nullptr);
      continue;
    }
    auto constant = constants.find(name);
    ElementsAttr constantValue =
        constant == constants.end() ? nullptr : constant->second;
    auto found = values.find(name);
    if (found == values.end()) {
      if (!constantValue) {
        emitError(loc) << "input '" << name << "' of " << node.op_type()
                       << " node is not defined before it";
        return false;
      }
      // Initializers become dlc.constant where first used.
      found =
          values
              .try_emplace(name, builder.create<ConstantOp>(loc, constantValue))
              .first;
    }
    if (auto bounded = boundedValues.find(found->second);
        bounded != boundedValues.end()) {
      emitError(loc) << "input '" << name << "' of " << node.op_type()
                     << " node comes from " << bounded->second.node
                     << ", whose shape depends on the data: dlc supports "
                        "such a result only as a graph output";
      return false;
    }
    inputs.push_back(found->second);
    constantInputs.push_back(constantValue);
  }
  const OpImporterEntry *entry = findImporter(node.domain(), node.op_type());
  if (node.output_size() == 0 ||
      llvm::all_of(node.output(),
                   [](const std::string &name) { return name.empty(); })) {
    emitError(loc) << node.op_type() << " node has no output";
    return false;
  }
  size_t given = llvm::count_if(inputs, [](Value v) { return bool(v); });
  if (inputs.size() < entry->minInputs ||
      llvm::any_of(llvm::ArrayRef(inputs).take_front(entry->minInputs),
                   [](Value v) { return !v; })) {
    emitError(loc) << node.op_type() << " needs " << entry->minInputs
                   << " input(s), " << given << " given";
    return false;
  }
  NodeImporter importer(node, domainOpsets.lookup(tableDomain(node.domain())),
                        builder, loc, std::move(inputs),
                        std::move(constantInputs));
  importer.runtimeValueChecks = options.runtimeValueChecks;
  importer.boundedValues = &boundedValues;
  for (const std::string &output : node.output())
    importer.declaredOutputs.push_back(declaredShape(output));
  auto subgraphs = [&](const onnx::GraphProto &graph, ArrayRef<Value> arguments,
                       SmallVectorImpl<Value> &results) {
    return success(importSubgraph(graph, arguments, results, loc));
  };
  importer.importSubgraph = subgraphs;
  // Importers build index tables and constants as large as the tensors they
  // describe: a hostile size may not fit in memory.
  try {
    if (failed(entry->import(importer)) || importer.hadError())
      return false;
  } catch (const std::bad_alloc &) {
    emitError(loc) << node.op_type()
                   << ": not enough memory for the tables of this node (a "
                      "tensor too large)";
    return false;
  } catch (const std::length_error &) {
    emitError(loc) << node.op_type()
                   << ": a table of this node would be larger than memory "
                      "can hold (a tensor too large)";
    return false;
  }
  for (size_t i = 0; i < importer.numOutputs(); ++i) {
    if (!importer.wantsOutput(i))
      continue;
    Value result = importer.results()[i];
    if (!result) {
      emitError(loc) << node.op_type() << " output " << i << " ('"
                     << node.output(i) << "') is not supported";
      return false;
    }
    values[node.output(i)] = result;
    if (auto constant = result.getDefiningOp<ConstantOp>())
      constants[node.output(i)] = constant.getValue();
  }
  return true;
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  // Ops dlc does not support first: that list is what a user needs most.
  if (!readOpset() || !checkSupported() || !runOnnxChecker() ||
      !checkSingleAssignment(model.graph()) || !importInitializers())
    return nullptr;
  SmallVector<Type> inputTypes;
  SmallVector<std::string> inputNames;
  if (!declareInputs(inputTypes, inputNames))
    return nullptr;

  Location moduleLoc =
      FileLineColLoc::get(&context, model.graph().name(), 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(moduleLoc);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = builder.create<func::FuncOp>(
      moduleLoc, options.functionName, builder.getFunctionType(inputTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(inputNames)) {
    values[name] = body->getArgument(i);
    func.setArgAttr(i, dlc::DlcDialect::NameAttrHelper::getNameStr(),
                    builder.getStringAttr(name));
  }
  builder.setInsertionPointToEnd(body);
  for (int i = 0; i < model.graph().node_size(); ++i)
    if (!importNode(model.graph().node(i), i)) {
      error = "import failed";
      return nullptr;
    }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &output : model.graph().output()) {
    auto found = values.find(output.name());
    if (found == values.end()) {
      error = "graph output '" + output.name() + "' is never computed";
      return nullptr;
    }
    results.push_back(found->second);
    resultTypes.push_back(found->second.getType());
  }
  // Results whose shape depends on the data: their size at run time is a
  // trailing result each, which the library reads to allocate them.
  SmallVector<std::pair<int, int64_t>> bounded; // (result, dim)
  int numOutputs = model.graph().output_size();
  for (int i = 0; i < numOutputs; ++i) {
    auto found = boundedValues.find(results[i]);
    if (found == boundedValues.end())
      continue;
    bounded.emplace_back(i, found->second.dim);
    results.push_back(found->second.count);
    resultTypes.push_back(found->second.count.getType());
  }
  builder.create<func::ReturnOp>(moduleLoc, results);
  func.setFunctionType(builder.getFunctionType(inputTypes, resultTypes));
  for (int i = 0; i < numOutputs; ++i)
    func.setResultAttr(i, dlc::DlcDialect::NameAttrHelper::getNameStr(),
                       builder.getStringAttr(model.graph().output(i).name()));
  for (auto [k, entry] : llvm::enumerate(bounded)) {
    int count = numOutputs + static_cast<int>(k);
    func.setResultAttr(entry.first,
                       dlc::DlcDialect::BoundedDimAttrHelper::getNameStr(),
                       builder.getI64IntegerAttr(entry.second));
    func.setResultAttr(count, dlc::DlcDialect::CountOfAttrHelper::getNameStr(),
                       builder.getI64IntegerAttr(entry.first));
  }
  if (failed(verify(*module))) {
    error = "the imported graph does not verify";
    return nullptr;
  }
  return module;
}

} // namespace

bool parseOnnxModel(const std::string &bytes, const std::string &what,
                    onnx::ModelProto &model, std::string &error) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    error = "'" + what +
            "' is larger than 2 GiB, the most a protobuf message may be; "
            "store its weights as external data";
    return false;
  }
  google::protobuf::io::ArrayInputStream stream(bytes.data(),
                                                static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(std::numeric_limits<int>::max());
  if (bytes.empty() || !model.ParseFromCodedStream(&coded) ||
      !coded.ConsumedEntireMessage()) {
    error = "'" + what + "' is not a valid ONNX model (truncated or corrupt)";
    return false;
  }
  if (!model.has_graph()) {
    error = "'" + what + "' holds no graph; is it an ONNX model?";
    return false;
  }
  return true;
}

OwningOpRef<ModuleOp> importOnnxModel(const onnx::ModelProto &model,
                                      const std::string &modelDir,
                                      MLIRContext &context,
                                      const OnnxImportOptions &options,
                                      std::string &error) {
  context.loadDialect<DlcDialect, func::FuncDialect>();
  GraphImporter importer(context, model, modelDir, options, error);
  return importer.run();
}

OwningOpRef<ModuleOp>
importOnnxBytes(const std::string &bytes, const std::string &what,
                const std::string &modelDir, MLIRContext &context,
                const OnnxImportOptions &options, std::string &error) {
  onnx::ModelProto model;
  if (!parseOnnxModel(bytes, what, model, error))
    return nullptr;
  return importOnnxModel(model, modelDir, context, options, error);
}

bool parseOnnxFile(const std::string &path, onnx::ModelProto &model,
                   std::string &error) {
  std::string bytes;
  return readFile(path, bytes, error) &&
         parseOnnxModel(bytes, path, model, error);
}

OwningOpRef<ModuleOp> importOnnxFile(const std::string &path,
                                     MLIRContext &context,
                                     const OnnxImportOptions &options,
                                     std::string &error) {
  std::string bytes;
  if (!readFile(path, bytes, error))
    return nullptr;
  llvm::SmallString<256> modelDir(path);
  llvm::sys::path::remove_filename(modelDir);
  if (modelDir.empty())
    modelDir = ".";
  return importOnnxBytes(bytes, path, std::string(modelDir), context, options,
                         error);
}

} // namespace dlc
