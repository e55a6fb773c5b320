//===- main.cpp - The dlc command line ------------------------------------===//
#include "tools/dlc/Commands.h"

#include "llvm/Support/CommandLine.h"

#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>

static const char kUsage[] =
    "dlc - an ahead-of-time compiler for neural networks\n"
    "\n"
    "usage: dlc <command> [options]\n"
    "\n"
    "commands:\n"
    "  compile MODEL -o OUTDIR   compile an .onnx or .mlir model into\n"
    "                            OUTDIR/lib<name>.so and OUTDIR/<name>.h\n"
    "  run LIB --input NAME=FILE ... --output-dir DIR\n"
    "                            run a compiled model on .npy/.pb inputs\n"
    "  bench LIB                 time a compiled model\n"
    "  quantize MODEL --calibration DIR -o OUT.onnx\n"
    "                            post-training int8 quantization: calibrate\n"
    "                            and write a QDQ ONNX model\n"
    "  inspect MODEL [--dot FILE]\n"
    "                            show the kernels (fused groups) a model\n"
    "                            compiles into\n"
    "\n"
    "'dlc <command> --help' describes a command's options.\n";

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  // For dlc's developers: LLVM's own options (e.g. -time-passes) from the
  // environment, as DLC_LLVM_OPTIONS="-opt1 -opt2".
  const char *programName[] = {"dlc"};
  llvm::cl::ParseCommandLineOptions(1, programName, "", nullptr,
                                    "DLC_LLVM_OPTIONS");
  std::string command = argv[1];
  dlc::Args args(argv + 2, argv + argc);
  // Memory runs out on hostile sizes the checks let through: one message and
  // exit code 1 (the compile's staging is removed on the way out).
  try {
    if (command == "compile")
      return dlc::runCompileCommand(args);
    if (command == "run")
      return dlc::runRunCommand(args);
    if (command == "bench")
      return dlc::runBenchCommand(args);
    if (command == "inspect")
      return dlc::runInspectCommand(args);
    if (command == "quantize")
      return dlc::runQuantizeCommand(args);
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "dlc: error: out of memory\n");
    return 1;
  } catch (const std::length_error &) {
    std::fprintf(stderr, "dlc: error: out of memory (a size beyond what "
                         "memory can hold)\n");
    return 1;
  }
  std::fprintf(stderr, "dlc: error: unknown command '%s'\n\n%s",
               command.c_str(), kUsage);
  return 2;
}
