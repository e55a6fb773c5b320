//===- CpuLibrary.cpp - A model library that runs on the CPU --------------===//
#include "codegen/cpu/CpuLibrary.h"

namespace dlc {

namespace {

class CpuLibraryTarget : public LibraryTarget {
public:
  std::string glueInclude() const override { return "dlc/runtime.h"; }

  std::string emitEntry(const ModelSignature &signature) const override {
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

  std::string modelInfoEntryFields() const override { return "entry,\n  0"; }
};

} // namespace

std::unique_ptr<LibraryTarget> createCpuLibraryTarget() {
  return std::make_unique<CpuLibraryTarget>();
}

} // namespace dlc
