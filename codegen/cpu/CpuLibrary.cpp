//===- CpuLibrary.cpp - A model library that runs on the CPU --------------===//
#include "codegen/cpu/CpuLibrary.h"

namespace dlc {

namespace {

class CpuLibraryTarget : public LibraryTarget {
public:
  std::string glueInclude() const override { return "dlc/runtime.h"; }

  std::string emitEntry(const ModelSignature &signature) const override {
    if (!signature.batchSymbol().empty())
      return emitBatchEntry(signature);
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
