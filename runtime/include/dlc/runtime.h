/* dlc runtime: the C ABI shared by every library that `dlc compile` writes.
 *
 * Plain C, no dependency beyond libc. A compiled model library embeds the
 * runtime; its generated header (<model>.h) repeats these declarations, so an
 * application needs nothing but that header and the library.
 */
#ifndef DLC_RUNTIME_H
#define DLC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLC_ABI_VERSION 2

/* Element types: DLC_FLOAT32 = 1, DLC_UINT8 = 2, ... as in dlc/dtypes.def,
 * the table the compiler reads too. The values are those of ONNX's
 * TensorProto.DataType. */
typedef enum dlc_dtype {
  DLC_DTYPE_INVALID = 0,
#define DLC_DTYPE(id, value, name, c_type) DLC_##id = value,
#include "dlc/dtypes.def"
#undef DLC_DTYPE
} dlc_dtype;

typedef enum dlc_status_code {
  DLC_OK = 0,
  DLC_ERROR_INVALID_ARGUMENT = 1, /* null pointer, wrong tensor count */
  DLC_ERROR_SHAPE_MISMATCH = 2,   /* a tensor's rank or dimensions differ */
  DLC_ERROR_DTYPE_MISMATCH = 3,   /* a tensor's element type differs */
  DLC_ERROR_OUT_OF_MEMORY = 4,
  DLC_ERROR_UNAVAILABLE = 5, /* e.g. no GPU driver on this machine */
  DLC_ERROR_INTERNAL = 6
} dlc_status_code;

/* Filled by calls that fail: the code and one readable sentence naming the
 * tensor at fault. */
typedef struct dlc_status {
  dlc_status_code code;
  char message[512];
} dlc_status;

/* A tensor the application owns: dense, row-major, `data` suitably aligned
 * for its element type. */
typedef struct dlc_tensor {
  void *data;
  const int64_t *shape;
  int32_t rank;
  dlc_dtype dtype;
} dlc_tensor;

/* What a model expects for one of its inputs or outputs. A dynamic dim has
 * shape[d] = -1 and a symbol, dim_symbols[d] (e.g. "batch"): any size, the
 * same for every dim of the model's inputs and outputs with that symbol.
 * dim_symbols is NULL when every dim is static, and its entries for static
 * dims are NULL. */
typedef struct dlc_tensor_info {
  const char *name;
  dlc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  const char *const *dim_symbols;
} dlc_tensor_info;

/* Describes a compiled model; returned by <model>_info(). */
typedef struct dlc_model_info {
  uint32_t abi_version;
  const char *name;
  int32_t num_inputs;
  const dlc_tensor_info *inputs;
  int32_t num_outputs;
  const dlc_tensor_info *outputs;
  /* Runs the model on already validated tensors (CPU libraries). */
  void (*entry)(const dlc_tensor *inputs, dlc_tensor *outputs);
  /* Runs the model on already validated tensors and reports what failed:
   * set by libraries compiled for CUDA (where `entry` is NULL), whose runs
   * can fail (no driver, no GPU). NULL in CPU libraries. */
  dlc_status_code (*run)(const dlc_tensor *inputs, dlc_tensor *outputs,
                         dlc_status *status);
} dlc_model_info;

/* Checks `inputs` and `outputs` against `model` and runs it. `status` may be
 * NULL; when given, it is filled on failure (and its code set on success). */
dlc_status_code dlc_model_run(const dlc_model_info *model,
                              const dlc_tensor *inputs, int32_t num_inputs,
                              dlc_tensor *outputs, int32_t num_outputs,
                              dlc_status *status);

/* The shape output `index` has when the model runs on `inputs` (its
 * dynamic dims take the sizes the inputs give their symbols): writes
 * model->outputs[index].rank dims into `shape`. Checks the inputs as
 * dlc_model_run does. */
dlc_status_code dlc_model_output_shape(const dlc_model_info *model,
                                       const dlc_tensor *inputs,
                                       int32_t num_inputs, int32_t index,
                                       int64_t *shape, dlc_status *status);

/* Only the checks of dlc_model_run, without running the model. */
dlc_status_code dlc_model_validate(const dlc_model_info *model,
                                   const dlc_tensor *inputs, int32_t num_inputs,
                                   const dlc_tensor *outputs,
                                   int32_t num_outputs, dlc_status *status);

/* Threads for running models (parallel loops): `threads` <= 0 means one per
 * online core (the default). Applies to the models of the library it is
 * called through. */
void dlc_set_num_threads(int32_t threads);
int32_t dlc_get_num_threads(void);

/* Runs fn(context, begin, end) over chunks covering [0, count), one chunk per
 * thread, and returns when all are done (compiled code calls this). */
typedef void (*dlc_task_fn)(void *context, int64_t begin, int64_t end);
void dlc_parallel_for(int64_t count, dlc_task_fn fn, void *context);

const char *dlc_status_code_name(dlc_status_code code);
const char *dlc_dtype_name(dlc_dtype dtype);
/* Bytes per element; 0 for an unknown dtype. */
size_t dlc_dtype_size(dlc_dtype dtype);
/* The product of the dims; -1 for a negative rank or dim (a dynamic one
   among them), or a tensor of more than 2^48 elements. */
int64_t dlc_tensor_info_num_elements(const dlc_tensor_info *info);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DLC_RUNTIME_H */
