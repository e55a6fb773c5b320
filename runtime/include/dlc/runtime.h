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

#define DLC_ABI_VERSION 4

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

/* A check the library makes of an input's values before each run. The
 * input decides a node's output shape (a Reshape's shape, TopK's k, the
 * axes of a Squeeze), and the library was compiled for the output shape the
 * model declares: a value that gives another shape is refused with
 * DLC_ERROR_SHAPE_MISMATCH, naming the input, the node and both shapes. */
typedef enum dlc_value_check_kind {
  DLC_CHECK_EQUAL = 0,     /* the values must be `expected`; flags: 1,
                              they are what the node supports (not an
                              output shape); 2, floats compared exactly;
                              4, an expected value below 0 takes any */
  DLC_CHECK_RESHAPE = 1,   /* Reshape of `operand` (flags: allowzero) */
  DLC_CHECK_EXPAND = 2,    /* Expand of `operand` */
  DLC_CHECK_TILE = 3,      /* Tile of `operand` by the values */
  DLC_CHECK_SQUEEZE = 4,   /* Squeeze of `operand` along the values */
  DLC_CHECK_UNSQUEEZE = 5, /* Unsqueeze of `operand` at the values */
  DLC_CHECK_REDUCE = 6,    /* a reduction of `operand` over the values as
                              axes (flags: keepdims) */
  DLC_CHECK_AXIS = 7,      /* one axis of `operand` (expected is empty);
                              flags: when not 0, the axes (bit d: axis d,
                              counted from 0) the node was compiled for */
  DLC_CHECK_PAD = 8,       /* Pad of `operand` by the values (every axis) */
  DLC_CHECK_SLICE = 9,     /* Slice of `operand`: parts starts, ends, axes,
                              steps */
  DLC_CHECK_RANGE = 10,    /* Range: parts start, limit, delta */
  DLC_CHECK_RESIZE = 11    /* Resize's or Upsample's float scales of
                              `operand` along the axes of its one part
                              (compiled in): floor(dim * scale) */
} dlc_value_check_kind;

/* One part of a check's values: an input's, or values compiled in. */
typedef struct dlc_value_part {
  int32_t input; /* an index into the model's inputs, or -1 */
  int32_t count; /* with input -1: the values */
  const int64_t *values;
} dlc_value_part;

typedef struct dlc_value_check {
  int32_t input; /* index into the model's inputs */
  dlc_value_check_kind kind;
  const char *node; /* e.g. "Reshape 'r'" */
  /* EQUAL: the values; the others: the output shape the values must give */
  int32_t num_expected;
  const int64_t *expected;
  int32_t operand_rank; /* the shape of the data the node reshapes, ... */
  const int64_t *operand_shape;
  int64_t flags;
  /* When the node reads several inputs (Slice, Range): the values are
   * these parts' in turn; else those of `input`. */
  int32_t num_parts;
  const dlc_value_part *parts;
} dlc_value_check;

/* The sizes a dim symbol may take (`dlc compile --dim-range`): a run whose
 * inputs give the symbol another size is refused with
 * DLC_ERROR_SHAPE_MISMATCH. max is -1 when only a minimum was given. */
typedef struct dlc_dim_range {
  const char *symbol;
  int64_t min;
  int64_t max;
} dlc_dim_range;

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
  /* Checks of input values, made by dlc_model_validate (and so before
   * every run). */
  int32_t num_value_checks;
  const dlc_value_check *value_checks;
  /* Per output, 1 where the library allocates it: an output whose shape
   * depends on the data (NonZero, Compress), its dynamic dim marked with the
   * symbol "data". Its dlc_tensor is filled by the run (data, shape, rank,
   * dtype; whatever it held is ignored) and must be released with
   * dlc_free_output (<model>_free_output). NULL when there is none. */
  const uint8_t *library_outputs;
  /* The ranges of dim symbols the library serves (ABI 4). */
  int32_t num_dim_ranges;
  const dlc_dim_range *dim_ranges;
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

/* Releases an output the library allocated (dlc_model_info's
 * library_outputs) and clears its data and shape; nothing for NULL data. */
void dlc_free_output(dlc_tensor *output);

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
