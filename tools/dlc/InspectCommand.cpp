//===- InspectCommand.cpp - dlc inspect -----------------------------------===//
//
// Shows a model after graph optimization: its inputs and outputs, and each
// kernel (a fused group or a lone op) with its members, result shape and the
// ONNX nodes it came from. --dot draws the graph with fused groups as
// clusters.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "compiler/driver/Compiler.h"
#include "compiler/driver/Kernels.h"
#include "tools/dlc/Commands.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>

namespace dlc {

static const char kInspectHelp[] =
    "usage: dlc inspect MODEL [options]\n"
    "\n"
    "Prints MODEL's kernels after graph optimization: each fused group or\n"
    "lone op, its members, result shape and source nodes.\n"
    "\n"
    "options:\n"
    "  --dot FILE                also write the graph in Graphviz DOT, fused\n"
    "                            groups as clusters (dot -Tsvg FILE)\n"
    "  -O0 .. -O3                optimization level (default -O3)\n"
    "  --disable-pass=PASS       as for dlc compile\n"
    "  --input-shape NAME=D0,D1,...\n"
    "                            fix the shape of an ONNX input\n";

namespace {

std::string opName(mlir::Operation *op) {
  return op->getName().stripDialect().str();
}

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

/// Writes the DOT graph of `entry`.
void writeDot(mlir::func::FuncOp entry, llvm::raw_ostream &os) {
  llvm::DenseMap<mlir::Value, std::string> nodeOf;
  os << "digraph \"" << escape(entry.getName().str()) << "\" {\n"
     << "  node [shape=box, fontname=\"monospace\", fontsize=10];\n";
  for (auto [i, argument] : llvm::enumerate(entry.getArguments())) {
    std::string id = "in" + std::to_string(i);
    nodeOf[argument] = id;
    os << "  " << id << " [shape=ellipse, label=\"input " << i << "\\n"
       << shapeText(argument.getType()) << "\"];\n";
  }
  auto edgeTo = [&](mlir::Value from, const std::string &to) {
    auto it = nodeOf.find(from);
    if (it != nodeOf.end()) // constants are not drawn
      os << "  " << it->second << " -> " << to << ";\n";
  };
  int counter = 0, groupIndex = 0;
  for (mlir::Operation &op : entry.getBody().front()) {
    if (mlir::isa<ConstantOp>(op))
      continue;
    if (auto ret = mlir::dyn_cast<mlir::func::ReturnOp>(op)) {
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        std::string id = "out" + std::to_string(i);
        os << "  " << id << " [shape=ellipse, label=\"output " << i << "\"];\n";
        edgeTo(value, id);
      }
      continue;
    }
    if (auto fused = mlir::dyn_cast<FusedOp>(op)) {
      mlir::Block &body = fused.getBody().front();
      for (auto [input, argument] :
           llvm::zip(fused.getInputs(), body.getArguments()))
        if (auto it = nodeOf.find(input); it != nodeOf.end()) {
          std::string id = it->second; // a copy: inserting may rehash
          nodeOf[argument] = id;
        }
      os << "  subgraph cluster_" << groupIndex << " {\n"
         << "    label=\"group " << groupIndex
         << "\"; style=rounded; color=blue;\n";
      ++groupIndex;
      for (mlir::Operation &member : body.without_terminator()) {
        std::string id = "n" + std::to_string(counter++);
        os << "    " << id << " [label=\"" << opName(&member) << "\\n"
           << shapeText(member.getResult(0).getType()) << "\"];\n";
        for (mlir::Value operand : member.getOperands())
          edgeTo(operand, id);
        nodeOf[member.getResult(0)] = id;
      }
      os << "  }\n";
      std::string root =
          nodeOf[mlir::cast<YieldOp>(body.getTerminator()).getValue()];
      nodeOf[fused.getResult()] = root;
      continue;
    }
    std::string id = "n" + std::to_string(counter++);
    os << "  " << id << " [label=\"" << opName(&op) << "\\n"
       << (op.getNumResults() ? shapeText(op.getResult(0).getType()) : "")
       << "\"];\n";
    for (mlir::Value operand : op.getOperands())
      edgeTo(operand, id);
    for (mlir::Value result : op.getResults())
      nodeOf[result] = id;
  }
  os << "}\n";
}

} // namespace

int runInspectCommand(const Args &args) {
  CompileOptions options;
  OnnxImportOptions importOptions;
  std::string model, dotFile;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kInspectHelp, stdout);
      return 0;
    } else if (arg == "--dot") {
      if (i + 1 >= args.size())
        return reportError("--dot needs a value"), 2;
      dotFile = args[++i];
    } else if (arg.size() == 3 && arg[0] == '-' && arg[1] == 'O' &&
               arg[2] >= '0' && arg[2] <= '3') {
      options.optLevel = arg[2] - '0';
    } else if (arg.rfind("--disable-pass=", 0) == 0) {
      if (!disablePass(arg.substr(15), options))
        return 2;
    } else if (arg == "--input-shape") {
      if (i + 1 >= args.size())
        return reportError("--input-shape needs a value"), 2;
      std::string name;
      std::vector<int64_t> shape;
      if (!parseShape(args[++i], name, shape))
        return reportError("--input-shape expects NAME=D0,D1,..., got '" +
                           args[i] + "'"),
               2;
      importOptions.inputShapes[name] = shape;
    } else if (!arg.empty() && arg[0] == '-') {
      return reportError("unknown option '" + arg +
                         "' (see dlc inspect --help)"),
             2;
    } else if (model.empty()) {
      model = arg;
    } else {
      return reportError("more than one model given"), 2;
    }
  }
  if (model.empty()) {
    std::fputs(kInspectHelp, stderr);
    return 2;
  }
  std::string name = sanitizeModelName(llvm::sys::path::stem(model).str());

  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  int diagnostics = 0;
  mlir::ScopedDiagnosticHandler handler(&context,
                                        makeDiagnosticPrinter(diagnostics));
  std::string error;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loadModel(model, context, importOptions, name, error);
  if (!module || mlir::failed(optimizeGraph(*module, options))) {
    if (diagnostics == 0)
      reportError(error.empty() ? "inspection failed" : error);
    return 1;
  }
  mlir::func::FuncOp entry;
  module->walk([&](mlir::func::FuncOp function) {
    if (!function.isExternal() && !entry)
      entry = function;
  });
  if (!entry)
    return reportError("the model has no function");

  llvm::raw_fd_ostream &os = llvm::outs();
  os << "model: " << entry.getName() << " (-O" << options.optLevel << ")\n";
  for (auto [i, argument] : llvm::enumerate(entry.getArguments()))
    os << "input " << i << ": " << shapeText(argument.getType()) << "\n";
  for (auto [i, type] : llvm::enumerate(entry.getResultTypes()))
    os << "output " << i << ": " << shapeText(type) << "\n";
  int constants = 0;
  for (mlir::Operation &op : entry.getBody().front())
    constants += mlir::isa<ConstantOp>(op);
  std::vector<KernelSummary> kernels = summarizeKernels(entry);
  int index = kernels.size(), groups = 0;
  std::string listing;
  llvm::raw_string_ostream list(listing);
  for (auto [i, kernel] : llvm::enumerate(kernels)) {
    groups += kernel.fused;
    list << "  [" << i << "] " << (kernel.fused ? "fused " : "") << kernel.ops
         << " -> " << kernel.resultType;
    if (!kernel.nodes.empty()) {
      list << "  (";
      llvm::ListSeparator comma(", ");
      for (const std::string &node : kernel.nodes)
        list << comma << node;
      list << ")";
    }
    list << "\n";
  }
  os << "ops: " << index << " (" << groups << " fused groups), " << constants
     << " constants\n"
     << listing;
  os.flush();

  if (!dotFile.empty()) {
    std::error_code code;
    llvm::raw_fd_ostream dot(dotFile, code);
    if (code)
      return reportError("cannot write " + dotFile + ": " + code.message());
    writeDot(entry, dot);
    dot.close();
    if (dot.has_error()) {
      std::string message = dot.error().message();
      dot.clear_error();
      return reportError("cannot write " + dotFile + ": " + message);
    }
  }
  return 0;
}

} // namespace dlc
