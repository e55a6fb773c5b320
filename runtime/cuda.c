/* dlc runtime, CUDA part: linked into libraries compiled with
 * --target=cuda. The CUDA driver API is loaded at run time with dlopen, so
 * the library builds, loads and reports a clear error on a machine without
 * an NVIDIA driver or GPU.
 *
 * The compiled host code calls two families of functions defined here:
 * - mgpu*: module loading and kernel launches, as emitted by MLIR's
 *   gpu-to-llvm lowering (the names and signatures are that lowering's);
 * - __dlc_gpu_alloc/free/constant: device buffers and weights.
 * Neither returns an error: the first failure is kept in `state.error`,
 * later calls do nothing, and dlc_cuda_run reports it.
 */
#define _GNU_SOURCE /* dlopen's RTLD_* in strict C11 */
#include "dlc/cuda.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few driver API types and constants used (from the CUDA driver API's
 * documented ABI; cuda.h is not needed to build this). */
typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void *CUcontext, *CUmodule, *CUfunction, *CUstream;
#define CUDA_SUCCESS 0
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR 75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR 76

typedef struct driver_api {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuGetErrorName)(CUresult, const char **);
} driver_api;

typedef struct device_buffer {
  CUdeviceptr address;
  size_t bytes;
  int in_use;
} device_buffer;

typedef struct device_constant {
  const void *host;
  CUdeviceptr address;
} device_constant;

typedef struct loaded_module {
  const void *image;
  CUmodule module;
} loaded_module;

/* One per library: each model library carries its own copy of the runtime
 * (its symbols are not exported). */
static struct {
  pthread_mutex_t lock;
  int ready;
  void *handle;
  driver_api api;
  CUcontext context;
  CUstream stream;
  dlc_status error; /* the first failure of the current call */
  device_buffer *buffers;
  size_t num_buffers;
  device_constant *constants;
  size_t num_constants;
  loaded_module modules[4];
  size_t num_modules;
  void **io; /* device copies of the inputs, then the outputs */
} state = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void set_error(dlc_status_code code, const char *format, ...) {
  if (state.error.code != DLC_OK)
    return;
  va_list args;
  va_start(args, format);
  state.error.code = code;
  vsnprintf(state.error.message, sizeof state.error.message, format, args);
  va_end(args);
}

static const char *error_name(CUresult result) {
  const char *name = NULL;
  if (state.api.cuGetErrorName &&
      state.api.cuGetErrorName(result, &name) == CUDA_SUCCESS && name)
    return name;
  return "unknown CUDA error";
}

/* Records a failed driver call; returns whether it succeeded. */
static int check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return 1;
  set_error(result == 2 ? DLC_ERROR_OUT_OF_MEMORY : DLC_ERROR_INTERNAL,
            "CUDA: %s failed: %s (%d)", what, error_name(result), result);
  return 0;
}

static int failed(void) { return state.error.code != DLC_OK; }

/* Loads the driver and makes the first GPU's primary context current. */
static int initialize(const dlc_cuda_model *model) {
  if (state.ready) {
    return check(state.api.cuCtxSetCurrent(state.context), "cuCtxSetCurrent");
  }
  const char *path = getenv("DLC_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  if (!state.handle)
    state.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!state.handle) {
    const char *why = dlerror();
    set_error(DLC_ERROR_UNAVAILABLE,
              "model '%s' was compiled for an NVIDIA GPU (%s), but the CUDA "
              "driver cannot be loaded (%s): %s",
              model->name, model->chip, path, why ? why : "not found");
    return 0;
  }
  struct {
    const char *name;
    void **slot;
  } symbols[] = {
      {"cuInit", (void **)&state.api.cuInit},
      {"cuDeviceGetCount", (void **)&state.api.cuDeviceGetCount},
      {"cuDeviceGet", (void **)&state.api.cuDeviceGet},
      {"cuDeviceGetName", (void **)&state.api.cuDeviceGetName},
      {"cuDeviceGetAttribute", (void **)&state.api.cuDeviceGetAttribute},
      {"cuDevicePrimaryCtxRetain",
       (void **)&state.api.cuDevicePrimaryCtxRetain},
      {"cuCtxSetCurrent", (void **)&state.api.cuCtxSetCurrent},
      {"cuModuleLoadData", (void **)&state.api.cuModuleLoadData},
      {"cuModuleGetFunction", (void **)&state.api.cuModuleGetFunction},
      {"cuLaunchKernel", (void **)&state.api.cuLaunchKernel},
      {"cuMemAlloc_v2", (void **)&state.api.cuMemAlloc},
      {"cuMemFree_v2", (void **)&state.api.cuMemFree},
      {"cuMemcpyHtoD_v2", (void **)&state.api.cuMemcpyHtoD},
      {"cuMemcpyHtoDAsync_v2", (void **)&state.api.cuMemcpyHtoDAsync},
      {"cuMemcpyDtoHAsync_v2", (void **)&state.api.cuMemcpyDtoHAsync},
      {"cuStreamCreate", (void **)&state.api.cuStreamCreate},
      {"cuStreamSynchronize", (void **)&state.api.cuStreamSynchronize},
      {"cuGetErrorName", (void **)&state.api.cuGetErrorName},
  };
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; ++i) {
    *symbols[i].slot = dlsym(state.handle, symbols[i].name);
    if (!*symbols[i].slot) {
      set_error(DLC_ERROR_UNAVAILABLE,
                "the CUDA driver %s has no %s (too old a driver?)", path,
                symbols[i].name);
      return 0;
    }
  }
  CUresult result = state.api.cuInit(0);
  if (result != CUDA_SUCCESS) {
    set_error(DLC_ERROR_UNAVAILABLE,
              "model '%s' needs an NVIDIA GPU (%s): cuInit failed: %s (%d)",
              model->name, model->chip, error_name(result), result);
    return 0;
  }
  int count = 0;
  if (!check(state.api.cuDeviceGetCount(&count), "cuDeviceGetCount"))
    return 0;
  if (count == 0) {
    set_error(DLC_ERROR_UNAVAILABLE,
              "model '%s' needs an NVIDIA GPU (%s); "
              "the CUDA driver sees none",
              model->name, model->chip);
    return 0;
  }
  CUdevice device;
  int major = 0, minor = 0;
  char name[128] = "";
  if (!check(state.api.cuDeviceGet(&device, 0), "cuDeviceGet") ||
      !check(state.api.cuDeviceGetAttribute(
                 &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
             "cuDeviceGetAttribute") ||
      !check(state.api.cuDeviceGetAttribute(
                 &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device),
             "cuDeviceGetAttribute"))
    return 0;
  state.api.cuDeviceGetName(name, (int)sizeof name, device);
  if (major * 10 + minor < model->compute_capability) {
    set_error(DLC_ERROR_UNAVAILABLE,
              "model '%s' was compiled for %s; GPU 0 (%s) has compute "
              "capability %d.%d (recompile with --target=cuda:sm_%d%d)",
              model->name, model->chip, name, major, minor, major, minor);
    return 0;
  }
  if (!check(state.api.cuDevicePrimaryCtxRetain(&state.context, device),
             "cuDevicePrimaryCtxRetain") ||
      !check(state.api.cuCtxSetCurrent(state.context), "cuCtxSetCurrent") ||
      !check(state.api.cuStreamCreate(&state.stream, 0), "cuStreamCreate"))
    return 0;
  state.ready = 1;
  return 1;
}

/*===--------------------------------------------------------------------===*
 * Called by the compiled host code
 *===--------------------------------------------------------------------===*/

void *__dlc_gpu_alloc(int64_t bytes);
void __dlc_gpu_free(void *address);
void *__dlc_gpu_constant(const void *host, int64_t bytes);
void *mgpuModuleLoad(void *data, size_t size);
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, void *stream,
                      void **params, void **extra, size_t paramCount);
void *mgpuStreamCreate(void);
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);

/* Makes room for one more element of `size` bytes in *array (of *count). */
static int grow(void *array, size_t count, size_t size) {
  void *grown = realloc(*(void **)array, (count + 1) * size);
  if (!grown) {
    set_error(DLC_ERROR_OUT_OF_MEMORY, "out of host memory");
    return 0;
  }
  *(void **)array = grown;
  return 1;
}

/* The arena (and any other buffer) of a run: the same sizes are asked for
 * in the same order on every run, so buffers are allocated by the first run
 * and reused after; "free" only returns them to the pool. */
void *__dlc_gpu_alloc(int64_t bytes) {
  if (failed())
    return NULL;
  for (size_t i = 0; i < state.num_buffers; ++i)
    if (!state.buffers[i].in_use && state.buffers[i].bytes == (size_t)bytes) {
      state.buffers[i].in_use = 1;
      return (void *)(uintptr_t)state.buffers[i].address;
    }
  if (!grow(&state.buffers, state.num_buffers, sizeof *state.buffers))
    return NULL;
  CUdeviceptr address = 0;
  if (!check(state.api.cuMemAlloc(&address, bytes ? (size_t)bytes : 1),
             "cuMemAlloc"))
    return NULL;
  state.buffers[state.num_buffers++] = (device_buffer){address, bytes, 1};
  return (void *)(uintptr_t)address;
}

void __dlc_gpu_free(void *address) {
  for (size_t i = 0; i < state.num_buffers; ++i)
    if ((void *)(uintptr_t)state.buffers[i].address == address)
      state.buffers[i].in_use = 0;
}

/* A weight: uploaded on first use, then the same device copy. */
void *__dlc_gpu_constant(const void *host, int64_t bytes) {
  if (failed())
    return NULL;
  for (size_t i = 0; i < state.num_constants; ++i)
    if (state.constants[i].host == host)
      return (void *)(uintptr_t)state.constants[i].address;
  if (!grow(&state.constants, state.num_constants, sizeof *state.constants))
    return NULL;
  CUdeviceptr address = 0;
  if (!check(state.api.cuMemAlloc(&address, bytes ? (size_t)bytes : 1),
             "cuMemAlloc") ||
      !check(state.api.cuMemcpyHtoD(address, host, (size_t)bytes),
             "cuMemcpyHtoD (weights)"))
    return NULL;
  state.constants[state.num_constants++] = (device_constant){host, address};
  return (void *)(uintptr_t)address;
}

/* The model's GPU code: a fatbin (machine code for the compiled sm and the
   PTX) or, when the toolkit had no ptxas, PTX that the driver compiles.
   Loaded once; later "loads" find it. */
void *mgpuModuleLoadJIT(void *data, int optLevel) {
  (void)optLevel;
  if (failed())
    return NULL;
  for (size_t i = 0; i < state.num_modules; ++i)
    if (state.modules[i].image == data)
      return state.modules[i].module;
  if (state.num_modules == sizeof state.modules / sizeof state.modules[0]) {
    set_error(DLC_ERROR_INTERNAL, "too many GPU modules in one library");
    return NULL;
  }
  CUmodule module = NULL;
  if (!check(state.api.cuModuleLoadData(&module, data),
             "cuModuleLoadData (loading the model's GPU code)"))
    return NULL;
  state.modules[state.num_modules++] = (loaded_module){data, module};
  return module;
}

void *mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  return mgpuModuleLoadJIT(data, 0);
}

void mgpuModuleUnload(void *module) { (void)module; /* kept loaded */ }

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (failed() || !module)
    return NULL;
  CUfunction function = NULL;
  if (!check(state.api.cuModuleGetFunction(&function, module, name),
             "cuModuleGetFunction"))
    return NULL;
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, void *stream,
                      void **params, void **extra, size_t paramCount) {
  (void)paramCount;
  if (failed() || !function)
    return;
  check(state.api.cuLaunchKernel(function, (unsigned)gridX, (unsigned)gridY,
                                 (unsigned)gridZ, (unsigned)blockX,
                                 (unsigned)blockY, (unsigned)blockZ,
                                 (unsigned)sharedBytes, stream, params, extra),
        "cuLaunchKernel");
}

/* Every kernel of the library runs on its one stream, in order; the run
 * waits once, at its end. */
void *mgpuStreamCreate(void) { return state.stream; }
void mgpuStreamDestroy(void *stream) { (void)stream; }
void mgpuStreamSynchronize(void *stream) { (void)stream; }

/*===--------------------------------------------------------------------===*
 * Called by the model's glue
 *===--------------------------------------------------------------------===*/

static size_t tensor_bytes(const dlc_tensor_info *info) {
  return (size_t)dlc_tensor_info_num_elements(info) *
         dlc_dtype_size(info->dtype);
}

static dlc_status_code finish(dlc_status *status) {
  if (!failed())
    check(state.api.cuStreamSynchronize(state.stream), "running the model");
  dlc_status_code code = state.error.code;
  if (status)
    *status = state.error;
  /* A failed run leaves its buffers in use: return them to the pool. */
  for (size_t i = 0; i < state.num_buffers; ++i)
    state.buffers[i].in_use = 0;
  pthread_mutex_unlock(&state.lock);
  return code;
}

static int begin(const dlc_cuda_model *model) {
  pthread_mutex_lock(&state.lock);
  state.error.code = DLC_OK;
  state.error.message[0] = '\0';
  return initialize(model);
}

dlc_status_code dlc_cuda_run(const dlc_cuda_model *model,
                             const dlc_tensor *inputs, dlc_tensor *outputs,
                             dlc_status *status) {
  const dlc_model_info *info = model->info;
  int32_t count = info->num_inputs + info->num_outputs;
  if (!begin(model))
    return finish(status);
  if (!state.io) {
    void **io = calloc((size_t)count + 1, sizeof *io);
    if (!io) {
      set_error(DLC_ERROR_OUT_OF_MEMORY, "out of host memory");
      return finish(status);
    }
    for (int32_t i = 0; i < count; ++i) {
      const dlc_tensor_info *tensor =
          i < info->num_inputs ? &info->inputs[i]
                               : &info->outputs[i - info->num_inputs];
      size_t bytes = tensor_bytes(tensor);
      CUdeviceptr address = 0;
      if (!check(state.api.cuMemAlloc(&address, bytes ? bytes : 1),
                 "cuMemAlloc (inputs and outputs)")) {
        free(io); /* the device buffers go with the context */
        return finish(status);
      }
      io[i] = (void *)(uintptr_t)address;
    }
    state.io = io;
  }
  for (int32_t i = 0; i < info->num_inputs && !failed(); ++i)
    check(state.api.cuMemcpyHtoDAsync(
              (CUdeviceptr)(uintptr_t)state.io[i], inputs[i].data,
              tensor_bytes(&info->inputs[i]), state.stream),
          "copying an input to the GPU");
  if (!failed())
    model->compute(state.io);
  for (int32_t i = 0; i < info->num_outputs && !failed(); ++i)
    check(state.api.cuMemcpyDtoHAsync(
              outputs[i].data,
              (CUdeviceptr)(uintptr_t)state.io[info->num_inputs + i],
              tensor_bytes(&info->outputs[i]), state.stream),
          "copying an output from the GPU");
  return finish(status);
}

dlc_status_code dlc_cuda_run_device(const dlc_cuda_model *model,
                                    const dlc_tensor *inputs,
                                    dlc_tensor *outputs, dlc_status *status) {
  const dlc_model_info *info = model->info;
  int32_t count = info->num_inputs + info->num_outputs;
  if (!begin(model))
    return finish(status);
  void *pointers[64];
  void **device =
      count <= 64 ? pointers : malloc((size_t)count * sizeof *device);
  if (!device) {
    set_error(DLC_ERROR_OUT_OF_MEMORY, "out of host memory");
    return finish(status);
  }
  for (int32_t i = 0; i < info->num_inputs; ++i)
    device[i] = inputs[i].data;
  for (int32_t i = 0; i < info->num_outputs; ++i)
    device[info->num_inputs + i] = outputs[i].data;
  model->compute(device);
  if (device != pointers)
    free(device);
  return finish(status);
}
