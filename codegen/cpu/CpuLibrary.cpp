//===- CpuLibrary.cpp - A model library that runs on the CPU --------------===//
#include "codegen/cpu/CpuLibrary.h"

#include <algorithm>

namespace dlc {

namespace {

class CpuLibraryTarget : public LibraryTarget {
public:
  std::string glueInclude() const override { return "dlc/runtime.h"; }

  std::string emitEntry(const ModelSignature &signature) const override {
    if (!signature.batchSymbol().empty())
      return emitBatchEntry(signature);
    if (!signature.countOf.empty())
      return emitLibraryOutputsEntry(signature);
    std::string text =
        "static void entry(const dlc_tensor *inputs, dlc_tensor *outputs) {\n"
        "  (void)inputs;\n  (void)outputs;\n  " +
        computeSymbol(signature.name) + "(";
    for (size_t i = 0; i < signature.inputs.size(); ++i)
      text +=
          std::string(i ? ", " : "") + "inputs[" + std::to_string(i) + "].data";
    for (size_t i = 0; i < signature.outputs.size(); ++i)
      text += std::string(i || !signature.inputs.empty() ? ", " : "") +
              "outputs[" + std::to_string(i) + "].data";
    return text + ");\n}\n\n";
  }

  /// Outputs whose shape depends on the data: the compiled code writes each
  /// at its largest shape into a scratch buffer of the run, and returns its
  /// size along the dim that depends on the data; the entry then allocates
  /// the output at that size and copies it. When one cannot be allocated,
  /// those allocated before it are released and the run fails with
  /// DLC_ERROR_OUT_OF_MEMORY (the scratch buffers go with the run).
  static std::string emitLibraryOutputsEntry(const ModelSignature &signature) {
    std::string text =
        "extern void *_mlir_memref_to_llvm_alloc(size_t bytes);\n"
        "extern void _mlir_memref_to_llvm_free(void *pointer);\n"
        "extern int dlc_bounded_output(dlc_tensor *output, const void "
        "*bounded,\n    dlc_dtype dtype, int32_t rank, const int64_t *bound, "
        "int32_t dim,\n    int64_t count);\n"
        "extern void dlc_output_out_of_memory(size_t bytes);\n\n";
    std::vector<int> library;
    for (size_t i = 0; i < signature.outputs.size(); ++i) {
      const TensorSpec &t = signature.outputs[i];
      if (t.boundedDim < 0)
        continue;
      library.push_back(static_cast<int>(i));
      text += "static const int64_t bound_" + std::to_string(i) + "[] = {";
      for (size_t d = 0; d < t.shape.size(); ++d)
        text += (d ? ", " : "") + std::to_string(t.shape[d]);
      text += "};\n";
    }
    auto bytes = [&](int i) {
      const TensorSpec &t = signature.outputs[i];
      return "(size_t)" + std::to_string(t.numElements()) + " * sizeof(" +
             t.cType + ")";
    };
    text += "\nstatic void entry(const dlc_tensor *inputs, dlc_tensor "
            "*outputs) {\n"
            "  (void)inputs;\n"
            "  int64_t sizes[" +
            std::to_string(signature.countOf.size()) + "] = {0};\n";
    for (int i : library)
      text += "  char *bounded_" + std::to_string(i) +
              " = _mlir_memref_to_llvm_alloc(" + bytes(i) + " + 64);\n";
    text += "  " + computeSymbol(signature.name) + "(";
    std::string args;
    for (size_t i = 0; i < signature.inputs.size(); ++i)
      args += (args.empty() ? "" : ", ") + std::string("inputs[") +
              std::to_string(i) + "].data";
    for (size_t i = 0; i < signature.outputs.size(); ++i)
      args += (args.empty() ? "" : ", ") +
              (signature.outputs[i].boundedDim >= 0
                   ? "bounded_" + std::to_string(i)
                   : "outputs[" + std::to_string(i) + "].data");
    for (size_t k = 0; k < signature.countOf.size(); ++k)
      args += (args.empty() ? "" : ", ") + std::string("&sizes[") +
              std::to_string(k) + "]";
    text += args + ");\n";
    for (size_t j = 0; j < library.size(); ++j) {
      int i = library[j];
      const TensorSpec &t = signature.outputs[i];
      size_t k =
          std::find(signature.countOf.begin(), signature.countOf.end(), i) -
          signature.countOf.begin();
      std::string index = std::to_string(i);
      text += "  if (!dlc_bounded_output(&outputs[" + index + "], bounded_" +
              index + ", (dlc_dtype)" + std::to_string(t.dtype) + ", " +
              std::to_string(t.shape.size()) + ", bound_" + index + ", " +
              std::to_string(t.boundedDim) + ", sizes[" + std::to_string(k) +
              "])) {\n";
      for (size_t e = 0; e < j; ++e)
        text += "    dlc_free_output(&outputs[" + std::to_string(library[e]) +
                "]);\n";
      text += "    dlc_output_out_of_memory(" + bytes(i) + ");\n  }\n";
    }
    for (int i : library)
      text +=
          "  _mlir_memref_to_llvm_free(bounded_" + std::to_string(i) + ");\n";
    return text + "}\n\n";
  }

  /// A model with a symbolic batch was compiled for one sample: the entry
  /// calls it once per sample, on each tensor's block of that sample (the
  /// tensors without the batch whole). Whole samples run side by side, one
  /// per thread, as far as the batch divides among the threads (their
  /// kernels' own loops then run on that thread); the rest one after
  /// another, each with its kernels' loops on every thread. With no sample,
  /// the outputs without the batch still get their values: one call on
  /// zeroed scratch samples.
  static std::string emitBatchEntry(const ModelSignature &signature) {
    size_t batchInput = 0;
    while (signature.inputs[batchInput].batchSymbol.empty())
      ++batchInput;
    auto sampleBytes = [](const TensorSpec &t) {
      return "(int64_t)" + std::to_string(t.numElements()) + " * (int64_t)" +
             "sizeof(" + t.cType + ")";
    };
    // Scratch samples (for a run without samples): one block, each batched
    // tensor its own 64-byte aligned part of it.
    std::vector<int64_t> scratchOffset;
    int64_t scratchBytes = 0;
    bool batchFreeOutputs = false;
    for (const std::vector<TensorSpec> *list :
         {&signature.inputs, &signature.outputs})
      for (const TensorSpec &t : *list) {
        batchFreeOutputs |= list == &signature.outputs && t.batchSymbol.empty();
        scratchOffset.push_back(scratchBytes);
        if (!t.batchSymbol.empty())
          scratchBytes += (t.numElements() * 8 + 63) / 64 * 64;
      }
    auto call = [&](const std::string &sample, bool scratch) {
      std::string args;
      size_t k = 0;
      auto add = [&](const std::string &role, size_t i, const TensorSpec &t) {
        std::string tensor = role + "[" + std::to_string(i) + "]";
        args += args.empty() ? "" : ", ";
        if (t.batchSymbol.empty())
          args += tensor + ".data";
        else if (scratch)
          args += "scratch + " + std::to_string(scratchOffset[k]);
        else
          args += "(char *)" + tensor + ".data + " + sample + " * " +
                  sampleBytes(t);
        ++k;
      };
      for (size_t i = 0; i < signature.inputs.size(); ++i)
        add("inputs", i, signature.inputs[i]);
      for (size_t i = 0; i < signature.outputs.size(); ++i)
        add("outputs", i, signature.outputs[i]);
      return computeSymbol(signature.name) + "(" + args + ");\n";
    };
    std::string text =
        "extern void *_mlir_memref_to_llvm_alloc(size_t bytes);\n"
        "extern void _mlir_memref_to_llvm_free(void *pointer);\n\n"
        "struct samples {\n  const dlc_tensor *inputs;\n"
        "  dlc_tensor *outputs;\n};\n\n"
        "static void run_samples(void *context, int64_t begin, int64_t end) "
        "{\n"
        "  const dlc_tensor *inputs = ((struct samples *)context)->inputs;\n"
        "  dlc_tensor *outputs = ((struct samples *)context)->outputs;\n"
        "  for (int64_t s = begin; s < end; ++s)\n    " +
        call("s", false) +
        "}\n\n"
        "static void entry(const dlc_tensor *inputs, dlc_tensor *outputs) {\n"
        "  int64_t samples = inputs[" +
        std::to_string(batchInput) +
        "].shape[0];\n"
        "  struct samples context = {inputs, outputs};\n"
        "  int64_t side_by_side = 0;\n";
    // Outputs without the batch are written by every sample: side by side,
    // the same bytes from two threads at once.
    if (!batchFreeOutputs)
      text += "  int64_t threads = dlc_get_num_threads();\n"
              "  if (threads > 1 && samples >= threads)\n"
              "    side_by_side = samples - samples % threads;\n"
              "  dlc_parallel_for(side_by_side, run_samples, &context);\n";
    text += "  run_samples(&context, side_by_side, samples);\n";
    if (batchFreeOutputs)
      // The outputs computed into the scratch are discarded; the others do
      // not read the scratch inputs (dlc-check-batch-separable).
      text += "  if (samples == 0) {\n"
              "    char *scratch = _mlir_memref_to_llvm_alloc(" +
              std::to_string(scratchBytes + 64) +
              ");\n"
              "    __builtin_memset(scratch, 0, " +
              std::to_string(scratchBytes + 64) + ");\n    " + call("0", true) +
              "    _mlir_memref_to_llvm_free(scratch);\n  }\n";
    return text + "}\n\n";
  }

  std::string modelInfoEntryFields() const override { return "entry,\n  0"; }
};

} // namespace

std::unique_ptr<LibraryTarget> createCpuLibraryTarget() {
  return std::make_unique<CpuLibraryTarget>();
}

} // namespace dlc
