//===- LoadedModel.cpp - A compiled model library, opened and run ---------===//
#include "tools/dlc/LoadedModel.h"

#include "compiler/ShapeMath.h"

#include <algorithm>
#include <new>
#include <optional>
#include <random>
#include <unistd.h>

namespace dlc {
namespace {

/// The model name of lib<name>.so.
std::string nameFromLibraryPath(const std::string &path) {
  std::string file = path.substr(path.find_last_of('/') + 1);
  if (file.compare(0, 3, "lib") == 0)
    file = file.substr(3);
  size_t dot = file.find('.');
  return dot == std::string::npos ? file : file.substr(0, dot);
}

} // namespace

bool openModelLibrary(const std::string &path, const std::string &givenName,
                      LoadedModel &model, std::string &error) {
  // dlopen searches the library path for names without a slash.
  std::string openPath =
      path.find('/') == std::string::npos ? "./" + path : path;
  model.handle = dlopen(openPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!model.handle) {
    const char *reason = dlerror();
    error = "cannot load '" + path + "': " + (reason ? reason : "unknown");
    return false;
  }
  std::string name = givenName.empty() ? nameFromLibraryPath(path) : givenName;
  auto info =
      reinterpret_cast<InfoFn>(dlsym(model.handle, (name + "_info").c_str()));
  model.run =
      reinterpret_cast<RunFn>(dlsym(model.handle, (name + "_run").c_str()));
  if (!info || !model.run) {
    error = "'" + path + "' has no symbols " + name + "_info/" + name +
            "_run; is it a dlc model library? (give its name with --name)";
    return false;
  }
  model.setThreads = reinterpret_cast<SetThreadsFn>(
      dlsym(model.handle, (name + "_set_num_threads").c_str()));
  model.freeOutput = reinterpret_cast<decltype(model.freeOutput)>(
      dlsym(model.handle, (name + "_free_output").c_str()));
  model.profile = reinterpret_cast<decltype(model.profile)>(
      dlsym(model.handle, (name + "_profile").c_str()));
  model.profileReset = reinterpret_cast<decltype(model.profileReset)>(
      dlsym(model.handle, (name + "_profile_reset").c_str()));
  model.info = info();
  if (!model.info || model.info->abi_version != DLC_ABI_VERSION) {
    error = "'" + path + "' was built for another dlc runtime ABI version";
    return false;
  }
  return true;
}

std::vector<int64_t> shapeOf(const dlc_tensor_info &info) {
  return std::vector<int64_t>(info.shape, info.shape + info.rank);
}

/// A zeroed tensor for `info`; false with `error` set when its size
/// overflows or exceeds this machine's memory.
bool allocateFor(const dlc_tensor_info &info, HostTensor &tensor,
                 std::string &error, const std::vector<int64_t> *shape) {
  tensor.dtype = info.dtype;
  tensor.shape = shape ? *shape : shapeOf(info);
  std::optional<int64_t> bytes =
      checkedByteSize(tensor.shape, dlc_dtype_size(info.dtype));
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  double memory = pages > 0 && pageSize > 0 ? double(pages) * pageSize : 0;
  // All of a command's tensors live until it ends: their sum must fit, or
  // filling them gets the process killed instead of a message.
  static double allocatedBytes = 0;
  if (!bytes || (memory > 0 && allocatedBytes + double(*bytes) > memory)) {
    error = std::string("tensor '") + info.name + "' of shape " +
            formatShape(tensor.shape) +
            " needs more memory than this machine has" +
            (allocatedBytes > 0
                 ? " beside the " + std::to_string(int64_t(allocatedBytes)) +
                       " bytes of tensors already allocated"
                 : std::string());
    return false;
  }
  try {
    tensor.bytes.assign(static_cast<size_t>(*bytes), 0);
    allocatedBytes += double(*bytes);
  } catch (const std::bad_alloc &) {
    error = std::string("out of memory allocating tensor '") + info.name +
            "' (" + std::to_string(*bytes) + " bytes)";
    return false;
  }
  return true;
}

std::vector<int64_t>
sizedShape(const dlc_tensor_info &info,
           const std::map<std::string, int64_t> &dimSizes) {
  std::vector<int64_t> shape = shapeOf(info);
  for (int32_t d = 0; d < info.rank; ++d) {
    if (shape[d] >= 0 || !info.dim_symbols || !info.dim_symbols[d])
      continue;
    auto size = dimSizes.find(info.dim_symbols[d]);
    shape[d] = size == dimSizes.end() ? 1 : size->second;
  }
  return shape;
}

bool allocateOutputs(const LoadedModel &model, std::vector<HostTensor> &inputs,
                     std::vector<HostTensor> &outputs, std::string &error) {
  std::vector<dlc_tensor> in;
  for (HostTensor &t : inputs)
    in.push_back(t.view());
  outputs.clear();
  for (int32_t i = 0; i < model.info->num_outputs; ++i) {
    const dlc_tensor_info &info = model.info->outputs[i];
    if (model.info->library_outputs && model.info->library_outputs[i]) {
      outputs.emplace_back(); // filled by the run
      outputs.back().dtype = info.dtype;
      continue;
    }
    std::vector<int64_t> shape(info.rank);
    dlc_status status;
    if (dlc_model_output_shape(model.info, in.data(),
                               static_cast<int32_t>(in.size()), i, shape.data(),
                               &status) != DLC_OK) {
      error = status.message;
      return false;
    }
    outputs.emplace_back();
    if (!allocateFor(info, outputs.back(), error, &shape))
      return false;
  }
  return true;
}

/// Runs the model; false with the runtime's message in `error`.
bool invoke(const LoadedModel &model, std::vector<HostTensor> &inputs,
            std::vector<HostTensor> &outputs, std::string &error) {
  std::vector<dlc_tensor> in, out;
  for (HostTensor &t : inputs)
    in.push_back(t.view());
  for (HostTensor &t : outputs)
    out.push_back(t.view());
  dlc_status status;
  if (model.run(in.data(), static_cast<int32_t>(in.size()), out.data(),
                static_cast<int32_t>(out.size()), &status) != DLC_OK) {
    error = status.message;
    return false;
  }
  const uint8_t *library = model.info->library_outputs;
  for (size_t i = 0; library && i < out.size(); ++i) {
    if (!library[i])
      continue;
    HostTensor &host = outputs[i];
    host.dtype = out[i].dtype;
    host.shape.assign(out[i].shape, out[i].shape + out[i].rank);
    const uint8_t *data = static_cast<const uint8_t *>(out[i].data);
    host.bytes.assign(data,
                      data + host.numElements() * dlc_dtype_size(out[i].dtype));
    if (model.freeOutput)
      model.freeOutput(&out[i]);
  }
  return true;
}

/// Reads the --input files in the model's input order, checking names.
bool readInputs(const LoadedModel &model,
                const std::map<std::string, std::string> &files,
                bool randomForMissing, std::vector<HostTensor> &inputs,
                std::string &error,
                const std::map<std::string, int64_t> &dimSizes) {
  for (const auto &[name, file] : files) {
    bool known = false;
    for (int32_t i = 0; i < model.info->num_inputs; ++i)
      known |= name == model.info->inputs[i].name;
    if (!known) {
      error = "the model has no input named '" + name + "' (its inputs:";
      for (int32_t i = 0; i < model.info->num_inputs; ++i)
        error += std::string(" '") + model.info->inputs[i].name + "'";
      error += ")";
      return false;
    }
  }
  std::mt19937 random(42);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (int32_t i = 0; i < model.info->num_inputs; ++i) {
    const dlc_tensor_info &info = model.info->inputs[i];
    auto file = files.find(info.name);
    if (file != files.end()) {
      HostTensor tensor;
      if (!readTensorFile(file->second, tensor, error))
        return false;
      if (tensor.untypedBytes && !takeUntypedAs(tensor, info.dtype)) {
        error = "'" + file->second + "' holds raw " +
                std::to_string(tensor.untypedBytes) +
                "-byte elements; input '" + info.name + "' takes " +
                dlc_dtype_name(info.dtype);
        return false;
      }
      inputs.push_back(std::move(tensor));
      continue;
    }
    if (!randomForMissing) {
      error = std::string("no file given for input '") + info.name +
              "' (--input " + info.name + "=FILE)";
      return false;
    }
    HostTensor tensor;
    // A symbol not given takes 1, or the nearest size its range allows.
    std::map<std::string, int64_t> sizes = dimSizes;
    for (int32_t r = 0; r < model.info->num_dim_ranges; ++r) {
      const dlc_dim_range &range = model.info->dim_ranges[r];
      if (range.symbol && !sizes.count(range.symbol))
        sizes[range.symbol] = std::max<int64_t>(
            range.min, range.max >= 0 ? std::min<int64_t>(1, range.max) : 1);
    }
    std::vector<int64_t> shape = sizedShape(info, sizes);
    if (!allocateFor(info, tensor, error, &shape))
      return false;
    if (info.dtype == DLC_FLOAT32) {
      float *values = reinterpret_cast<float *>(tensor.bytes.data());
      for (int64_t k = 0; k < tensor.numElements(); ++k)
        values[k] = uniform(random);
    }
    inputs.push_back(std::move(tensor));
  }
  return true;
}

} // namespace dlc
