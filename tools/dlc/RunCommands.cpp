//===- RunCommands.cpp - dlc run and dlc bench ----------------------------===//
#include "compiler/ShapeMath.h"
#include "tools/dlc/Commands.h"
#include "tools/dlc/LoadedModel.h"
#include "tools/dlc/TensorIO.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <new>
#include <optional>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace dlc {
namespace {

/// Parses NAME=FILE pairs; returns false (after reporting) on a bad one.
bool parseInputSpec(const std::string &spec,
                    std::map<std::string, std::string> &files) {
  size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
    reportError("--input expects NAME=FILE, got '" + spec + "'");
    return false;
  }
  files[spec.substr(0, eq)] = spec.substr(eq + 1);
  return true;
}

/// A file name for an output tensor name (which may hold any character).
std::string outputFileName(const std::string &name) {
  std::string file;
  for (char c : name)
    file += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
             c == '-' || c == '.')
                ? c
                : '_';
  if (file.empty() || file[0] == '.')
    file = "_" + file;
  return file + ".npy";
}

/// An argument no option claimed: the library path, or a usage error.
bool acceptLibraryArgument(const std::string &arg, const char *command,
                           std::string &library) {
  if (!arg.empty() && arg[0] == '-') {
    reportError("unknown option or missing value: '" + arg + "' (see dlc " +
                command + " --help)");
    return false;
  }
  if (!library.empty()) {
    reportError("more than one library given");
    return false;
  }
  library = arg;
  return true;
}

/// Reads the model's inputs (random ones of the sizes `dimSizes` gives
/// dynamic dims, where `randomForMissing`) and allocates its outputs.
bool prepareTensors(const LoadedModel &model,
                    const std::map<std::string, std::string> &files,
                    bool randomForMissing,
                    const std::map<std::string, int64_t> &dimSizes,
                    std::vector<HostTensor> &inputs,
                    std::vector<HostTensor> &outputs, std::string &error) {
  inputs.clear();
  return readInputs(model, files, randomForMissing, inputs, error, dimSizes) &&
         allocateOutputs(model, inputs, outputs, error);
}

/// Parses --shape SYMBOL=N[,N...] into `sizes`; false (after reporting)
/// when malformed.
bool parseDimSizes(const std::string &spec, std::string &symbol,
                   std::vector<int64_t> &sizes) {
  size_t eq = spec.find('=');
  bool ok = eq != std::string::npos && eq > 0 && eq + 1 < spec.size();
  if (ok) {
    symbol = spec.substr(0, eq);
    std::string list = spec.substr(eq + 1) + ",";
    for (size_t begin = 0, comma; ok && begin < list.size();
         begin = comma + 1) {
      comma = list.find(',', begin);
      std::string item = list.substr(begin, comma - begin);
      char *end = nullptr;
      long long value = std::strtoll(item.c_str(), &end, 10);
      ok = !item.empty() && end && !*end && value >= 0 && value <= (1LL << 40);
      sizes.push_back(value);
    }
  }
  if (!ok)
    reportError("--shape expects SYMBOL=N[,N...] (sizes of a dynamic dim), "
                "got '" +
                spec + "'");
  return ok;
}

const char kRunHelp[] =
    "usage: dlc run LIB --input NAME=FILE ... --output-dir DIR [--name N]\n"
    "\n"
    "Runs the model in LIB (lib<N>.so from dlc compile) on inputs read from\n"
    ".npy or ONNX TensorProto .pb files, and writes DIR/<output name>.npy for\n"
    "every output. A wrong input count, shape or dtype is reported and "
    "nothing\n"
    "is written.\n"
    "\n"
    "options:\n"
    "  --input NAME=FILE   one per model input\n"
    "  --output-dir DIR    where the outputs go (created if missing)\n"
    "  --name N            the model's name, when LIB is not named lib<N>.so\n"
    "  --threads T         threads the model runs on (default 0: one per\n"
    "                      online core)\n";

const char kBenchHelp[] =
    "usage: dlc bench LIB [--input NAME=FILE ...] [--warmup K] [--iters N]\n"
    "                 [--threads T] [--shape SYMBOL=N[,N...]] [--name N]\n"
    "\n"
    "Times the model in LIB: K untimed runs, then N timed runs; prints the\n"
    "median, min and max latency. Inputs not given are filled with\n"
    "uniform random values in [-1, 1) (floats) or zeros.\n"
    "\n"
    "options:\n"
    "  --shape SYMBOL=N[,N...]\n"
    "                the size of a dynamic dim (e.g. batch=8) of the inputs\n"
    "                not given; several sizes time each in turn, one block\n"
    "                of figures a size (default 1, or the smallest size\n"
    "                of its --dim-range)\n"
    "  --warmup K    untimed runs first (default 10)\n"
    "  --iters N     timed runs (default 100)\n"
    "  --threads T   threads the model runs on (default 0: one per online\n"
    "                core)\n"
    "  --profile     also print the mean time of each kernel over the timed\n"
    "                runs, with its share and ONNX nodes, slowest first\n"
    "                (LIB must be compiled with dlc compile --profile);\n"
    "                on more than one thread, the same runs on one thread\n"
    "                come first, and each kernel's one-thread time and\n"
    "                speedup (one-thread time / time) are printed too\n";

} // namespace

int runRunCommand(const Args &args) {
  std::string library, outputDir, name;
  long threads = 0;
  std::map<std::string, std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    bool hasValue = i + 1 < args.size();
    if (arg == "--help" || arg == "-h") {
      std::fputs(kRunHelp, stdout);
      return 0;
    } else if ((arg == "--input" || arg == "-i") && hasValue) {
      if (!parseInputSpec(args[++i], files))
        return 2;
    } else if (arg == "--output-dir" && hasValue) {
      outputDir = args[++i];
    } else if (arg == "--name" && hasValue) {
      name = args[++i];
    } else if (arg == "--threads" && hasValue) {
      char *end = nullptr;
      threads = std::strtol(args[++i].c_str(), &end, 10);
      if (!end || *end || threads < 0)
        return reportError("--threads expects a non-negative integer, got '" +
                           args[i] + "'"),
               2;
    } else if (!acceptLibraryArgument(arg, "run", library)) {
      return 2;
    }
  }
  if (library.empty() || outputDir.empty()) {
    std::fputs(kRunHelp, stderr);
    return 2;
  }
  std::string error;
  LoadedModel model;
  std::vector<HostTensor> inputs, outputs;
  if (!openModelLibrary(library, name, model, error) ||
      !prepareTensors(model, files, false, {}, inputs, outputs, error))
    return reportError(error);
  if (model.setThreads)
    model.setThreads(static_cast<int32_t>(threads));
  if (!invoke(model, inputs, outputs, error))
    return reportError(error);

  // Outputs are written under temporary names, then renamed: all or none.
  mkdir(outputDir.c_str(), 0755);
  std::vector<std::pair<std::string, std::string>> written;
  bool ok = true;
  for (int32_t i = 0; ok && i < model.info->num_outputs; ++i) {
    std::string final =
        outputDir + "/" + outputFileName(model.info->outputs[i].name);
    std::string temporary = final + ".dlc-partial";
    ok = writeNpy(temporary, outputs[i], error);
    written.emplace_back(temporary, final);
  }
  for (auto &[temporary, final] : written) {
    if (ok && std::rename(temporary.c_str(), final.c_str()) != 0) {
      error = "cannot write '" + final + "'";
      ok = false;
    }
    if (!ok)
      std::remove(temporary.c_str());
  }
  return ok ? 0 : reportError(error);
}

/// The mean milliseconds per run of each kernel since the last reset.
static std::vector<double> kernelMeans(const LoadedModel &model) {
  const char *const *names = nullptr;
  const double *nanoseconds = nullptr;
  int64_t runs = 0;
  int32_t count = model.profile(&names, &nanoseconds, &runs);
  std::vector<double> means;
  for (int32_t i = 0; i < count; ++i)
    means.push_back(runs ? nanoseconds[i] / runs / 1e6 : 0.0);
  return means;
}

/// The mean time per run of each kernel, slowest first; with
/// `oneThread` (the same kernels' means on one thread), also that time and
/// the speedup, and the kernels above 2 % of the time whose speedup is
/// below 1.6.
static void printKernelTimes(const LoadedModel &model,
                             const std::vector<double> &oneThread) {
  const char *const *names = nullptr;
  const double *nanoseconds = nullptr;
  int64_t runs = 0;
  int32_t count = model.profile(&names, &nanoseconds, &runs);
  std::vector<double> means = kernelMeans(model);
  bool compare = oneThread.size() == means.size() && !means.empty();
  double total = 0, totalOne = 0;
  std::vector<int32_t> order;
  for (int32_t i = 0; i < count; ++i) {
    total += means[i];
    totalOne += compare ? oneThread[i] : 0.0;
    order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return means[a] > means[b]; });
  std::printf("kernels: %d, %.4f ms per run in kernels (mean of %lld runs)\n",
              count, total, (long long)runs);
  if (compare)
    std::printf("on one thread: %.4f ms in kernels, speedup %.2f\n", totalOne,
                total > 0 ? totalOne / total : 0.0);
  int32_t slow = 0;
  for (int32_t i : order) {
    double share = total > 0 ? 100.0 * means[i] / total : 0.0;
    if (!compare) {
      std::printf("  [%d] %9.4f ms %5.1f %%  %s\n", i, means[i], share,
                  names[i]);
      continue;
    }
    double speedup = means[i] > 0 ? oneThread[i] / means[i] : 0.0;
    if (share > 2.0 && speedup < 1.6)
      ++slow;
    std::printf("  [%d] %9.4f ms %5.1f %%  1 thread %9.4f ms  x%.2f  %s\n", i,
                means[i], share, oneThread[i], speedup, names[i]);
  }
  if (compare)
    std::printf("kernels above 2 %% of the time with a speedup below 1.6: "
                "%d\n",
                slow);
}

int runBenchCommand(const Args &args) {
  std::string library, name;
  std::map<std::string, std::string> files;
  long warmup = 10, iterations = 100, threads = 0;
  bool profile = false;
  std::string sweptSymbol;
  std::vector<int64_t> sweptSizes;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    bool hasValue = i + 1 < args.size();
    auto number = [&](long &target) {
      char *end = nullptr;
      const std::string &text = args[++i];
      long value = std::strtol(text.c_str(), &end, 10);
      if (!end || *end || value < 0) {
        reportError(arg + " expects a non-negative integer, got '" + text +
                    "'");
        return false;
      }
      target = value;
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kBenchHelp, stdout);
      return 0;
    } else if (arg == "--input" && hasValue) {
      if (!parseInputSpec(args[++i], files))
        return 2;
    } else if (arg == "--warmup" && hasValue) {
      if (!number(warmup))
        return 2;
    } else if (arg == "--iters" && hasValue) {
      if (!number(iterations))
        return 2;
    } else if (arg == "--threads" && hasValue) {
      if (!number(threads))
        return 2;
    } else if (arg == "--name" && hasValue) {
      name = args[++i];
    } else if (arg == "--profile") {
      profile = true;
    } else if (arg == "--shape" && hasValue) {
      if (!sweptSymbol.empty())
        return reportError("--shape is given once (one dynamic dim)"), 2;
      if (!parseDimSizes(args[++i], sweptSymbol, sweptSizes))
        return 2;
    } else if (!acceptLibraryArgument(arg, "bench", library)) {
      return 2;
    }
  }
  if (library.empty()) {
    std::fputs(kBenchHelp, stderr);
    return 2;
  }
  if (iterations < 1)
    return reportError("--iters must be at least 1");
  std::string error;
  LoadedModel model;
  std::vector<HostTensor> inputs, outputs;
  if (!openModelLibrary(library, name, model, error))
    return reportError(error);
  if (model.setThreads)
    model.setThreads(static_cast<int32_t>(threads));
  else if (threads > 1)
    return reportError("'" + library +
                       "' predates threads: it runs on one thread");
  if (profile && (!model.profile || !model.profileReset))
    return reportError("'" + library +
                       "' has no kernel timers: compile it with dlc compile "
                       "--profile");
  if (!sweptSymbol.empty()) {
    bool known = false;
    for (int32_t i = 0; i < model.info->num_inputs; ++i)
      for (int32_t d = 0;
           model.info->inputs[i].dim_symbols && d < model.info->inputs[i].rank;
           ++d)
        known |= model.info->inputs[i].dim_symbols[d] &&
                 sweptSymbol == model.info->inputs[i].dim_symbols[d];
    if (!known)
      return reportError("--shape names '" + sweptSymbol +
                         "', which is no dynamic dim of the model's inputs");
  } else {
    sweptSizes.push_back(1);
  }
  for (size_t sweep = 0; sweep < sweptSizes.size(); ++sweep) {
    std::map<std::string, int64_t> dimSizes;
    if (!sweptSymbol.empty()) {
      dimSizes[sweptSymbol] = sweptSizes[sweep];
      std::printf("%sshape: %s=%lld\n", sweep ? "\n" : "", sweptSymbol.c_str(),
                  (long long)sweptSizes[sweep]);
    }
    if (!prepareTensors(model, files, true, dimSizes, inputs, outputs, error))
      return reportError(error);
    long used = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
    // The kernels' times on one thread, for their speedups.
    std::vector<double> oneThread;
    if (profile && used > 1 && model.setThreads) {
      model.setThreads(1);
      for (long i = 0; i < warmup; ++i)
        if (!invoke(model, inputs, outputs, error))
          return reportError(error);
      model.profileReset();
      for (long i = 0; i < iterations; ++i)
        if (!invoke(model, inputs, outputs, error))
          return reportError(error);
      oneThread = kernelMeans(model);
      model.setThreads(static_cast<int32_t>(threads));
    }
    for (long i = 0; i < warmup; ++i)
      if (!invoke(model, inputs, outputs, error))
        return reportError(error);
    if (model.profileReset)
      model.profileReset();
    std::vector<double> times;
    for (long i = 0; i < iterations; ++i) {
      auto begin = std::chrono::steady_clock::now();
      if (!invoke(model, inputs, outputs, error))
        return reportError(error);
      std::chrono::duration<double, std::milli> elapsed =
          std::chrono::steady_clock::now() - begin;
      times.push_back(elapsed.count());
    }
    std::sort(times.begin(), times.end());
    size_t mid = times.size() / 2;
    double median =
        times.size() % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
    std::printf("model: %s (%ld runs after %ld warmup, %ld thread%s)\n",
                model.info->name, iterations, warmup, used,
                used == 1 ? "" : "s");
    std::printf("median: %.4f ms\n", median);
    std::printf("min: %.4f ms\nmax: %.4f ms\n", times.front(), times.back());
    if (profile)
      printKernelTimes(model, oneThread);
  }
  return 0;
}

} // namespace dlc
