//===- LoadedModel.h - A compiled model library, opened and run -*- C++ -*-===//
#ifndef DLC_TOOLS_DLC_LOADEDMODEL_H
#define DLC_TOOLS_DLC_LOADEDMODEL_H

#include "tools/dlc/TensorIO.h"

#include <dlfcn.h>
#include <map>
#include <string>
#include <vector>

namespace dlc {

using InfoFn = const dlc_model_info *(*)(void);
using RunFn = dlc_status_code (*)(const dlc_tensor *, int32_t, dlc_tensor *,
                                  int32_t, dlc_status *);
using SetThreadsFn = void (*)(int32_t);

/// A compiled model library opened with dlopen.
struct LoadedModel {
  void *handle = nullptr;
  const dlc_model_info *info = nullptr;
  RunFn run = nullptr;
  SetThreadsFn setThreads = nullptr; // <name>_set_num_threads
  // <name>_free_output: in libraries with outputs whose shape depends on
  // the data (dlc_model_info's library_outputs).
  void (*freeOutput)(dlc_tensor *) = nullptr;
  // <name>_profile and <name>_profile_reset: only in libraries compiled with
  // dlc compile --profile.
  int32_t (*profile)(const char *const **, const double **,
                     int64_t *) = nullptr;
  void (*profileReset)(void) = nullptr;
  ~LoadedModel() {
    if (handle)
      dlclose(handle);
  }
};

/// Opens lib<name>.so (`givenName` overrides the name taken from the file
/// name) and checks its ABI version; false with `error` set.
bool openModelLibrary(const std::string &path, const std::string &givenName,
                      LoadedModel &model, std::string &error);

std::vector<int64_t> shapeOf(const dlc_tensor_info &info);

/// A zeroed tensor for `info` (of `shape`, when given: the info's with
/// its dynamic dims sized); false with `error` set when its size overflows
/// or exceeds this machine's memory.
bool allocateFor(const dlc_tensor_info &info, HostTensor &tensor,
                 std::string &error,
                 const std::vector<int64_t> *shape = nullptr);

/// `info`'s shape with its dynamic dims sized by `dimSizes` (symbol ->
/// size; 1 for a symbol not given).
std::vector<int64_t> sizedShape(const dlc_tensor_info &info,
                                const std::map<std::string, int64_t> &dimSizes);

/// Allocates the outputs for `inputs`: their dynamic dims take the sizes
/// the inputs give. False with the runtime's message when the inputs do
/// not fit the model.
bool allocateOutputs(const LoadedModel &model, std::vector<HostTensor> &inputs,
                     std::vector<HostTensor> &outputs, std::string &error);

/// Runs the model; false with the runtime's message in `error`. Outputs
/// the library allocates (their shape depends on the data) are copied into
/// `outputs` and released.
bool invoke(const LoadedModel &model, std::vector<HostTensor> &inputs,
            std::vector<HostTensor> &outputs, std::string &error);

/// Reads the files (input name -> .npy/.pb path) in the model's input order,
/// checking names; inputs without a file are random (floats in [-1, 1)) or
/// zero when `randomForMissing`, an error otherwise, their dynamic dims
/// sized by `dimSizes`.
bool readInputs(const LoadedModel &model,
                const std::map<std::string, std::string> &files,
                bool randomForMissing, std::vector<HostTensor> &inputs,
                std::string &error,
                const std::map<std::string, int64_t> &dimSizes = {});

} // namespace dlc

#endif // DLC_TOOLS_DLC_LOADEDMODEL_H
