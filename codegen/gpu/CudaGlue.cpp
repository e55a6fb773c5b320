//===- CudaGlue.cpp - A model library that runs on an NVIDIA GPU ----------===//
#include "codegen/gpu/CudaGlue.h"

#include <cstdlib>

namespace dlc {

// The runtime's CUDA header and source, embedded at build time.
extern const char kRuntimeCudaHeaderSource[];
extern const char kRuntimeCudaSource[];

namespace {

/// The model info's entry `run`: the runtime runs the compiled code on the
/// GPU, and can fail.
std::string emitCudaEntry(const ModelSignature &signature,
                          const std::string &chip) {
  const std::string &n = signature.name; // a C identifier
  int capability = std::atoi(chip.c_str() + 3);
  size_t count = signature.inputs.size() + signature.outputs.size();
  std::string os =
      "static void compute(void **buffers) {\n  (void)buffers;\n  " +
      computeSymbol(n) + "(";
  for (size_t i = 0; i < count; ++i)
    os += std::string(i ? ", " : "") + "buffers[" + std::to_string(i) + "]";
  os += ");\n}\n\n";
  return os +
         "static const dlc_model_info model;\n"
         "static const dlc_cuda_model cuda_model = {&model, \"" +
         n + "\", \"" + chip + "\", " + std::to_string(capability) +
         ", compute};\n\n"
         "static dlc_status_code run(const dlc_tensor *inputs, dlc_tensor "
         "*outputs,\n                           dlc_status *status) {\n"
         "  return dlc_cuda_run(&cuda_model, inputs, outputs, status);\n}\n\n";
}

std::string emitCudaRunDevice(const ModelSignature &signature) {
  return "dlc_status_code " + signature.name +
         "_run_device(const dlc_tensor *inputs, int32_t num_inputs,\n"
         "    dlc_tensor *outputs, int32_t num_outputs, dlc_status *status) {\n"
         "  dlc_status_code code = dlc_model_validate(&model, inputs, "
         "num_inputs,\n      outputs, num_outputs, status);\n"
         "  if (code != DLC_OK)\n    return code;\n"
         "  return dlc_cuda_run_device(&cuda_model, inputs, outputs, status);\n"
         "}\n";
}

std::string emitCudaHeaderDeclarations(const ModelSignature &signature,
                                       const std::string &chip) {
  const std::string &n = signature.name;
  return "/* Compiled for NVIDIA GPUs (" + chip +
         " or newer). <name>_run takes host\n"
         " * tensors and copies them to the GPU and back; the CUDA driver is\n"
         " * loaded on the first run (DLC_ERROR_UNAVAILABLE without one).\n"
         " * This one takes tensors whose data are device pointers (CUDA\n"
         " * driver API memory of GPU 0) and returns when the outputs are\n"
         " * written. */\n"
         "dlc_status_code " +
         n +
         "_run_device(const dlc_tensor *inputs, int32_t num_inputs,\n"
         "    dlc_tensor *outputs, int32_t num_outputs, dlc_status "
         "*status);\n\n";
}

class CudaLibraryTarget : public LibraryTarget {
public:
  explicit CudaLibraryTarget(std::string chip) : chip(std::move(chip)) {}

  std::string glueInclude() const override { return "dlc/cuda.h"; }
  std::string emitEntry(const ModelSignature &signature) const override {
    return emitCudaEntry(signature, chip);
  }
  std::string modelInfoEntryFields() const override { return "0,\n  run"; }
  std::string emitExtraGlue(const ModelSignature &signature) const override {
    return emitCudaRunDevice(signature);
  }
  std::string
  emitHeaderDeclarations(const ModelSignature &signature) const override {
    return emitCudaHeaderDeclarations(signature, chip);
  }
  std::vector<std::string>
  extraExports(const ModelSignature &signature) const override {
    return {signature.name + "_run_device"};
  }
  std::vector<RuntimeFile> runtimeFiles() const override {
    return {{"dlc/cuda.h", kRuntimeCudaHeaderSource, /*isHeader=*/true},
            {"dlc_cuda.c", kRuntimeCudaSource, /*isHeader=*/false}};
  }
  std::vector<std::string> systemLibraries() const override {
    return {"dl"}; // the driver is opened with dlopen
  }

private:
  std::string chip;
};

} // namespace

std::unique_ptr<LibraryTarget>
createCudaLibraryTarget(const std::string &chip) {
  return std::make_unique<CudaLibraryTarget>(chip);
}

} // namespace dlc
