/* dlc runtime: validation and dispatch for compiled models. */
#define _POSIX_C_SOURCE 200809L /* posix_memalign */
#include "dlc/runtime.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dlc_status_code fail(dlc_status *status, dlc_status_code code,
                            const char *format, ...) {
  if (status) {
    va_list args;
    va_start(args, format);
    status->code = code;
    vsnprintf(status->message, sizeof(status->message), format, args);
    va_end(args);
  }
  return code;
}

static dlc_status_code ok(dlc_status *status) {
  if (status) {
    status->code = DLC_OK;
    status->message[0] = '\0';
  }
  return DLC_OK;
}

const char *dlc_status_code_name(dlc_status_code code) {
  switch (code) {
  case DLC_OK:
    return "ok";
  case DLC_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case DLC_ERROR_SHAPE_MISMATCH:
    return "shape mismatch";
  case DLC_ERROR_DTYPE_MISMATCH:
    return "dtype mismatch";
  case DLC_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case DLC_ERROR_UNAVAILABLE:
    return "unavailable";
  case DLC_ERROR_INTERNAL:
    return "internal error";
  }
  return "unknown status";
}

const char *dlc_dtype_name(dlc_dtype dtype) {
  switch (dtype) {
#define DLC_DTYPE(id, value, name, c_type)                                     \
  case DLC_##id:                                                               \
    return name;
#include "dlc/dtypes.def"
#undef DLC_DTYPE
  case DLC_DTYPE_INVALID:
    break;
  }
  return "invalid";
}

size_t dlc_dtype_size(dlc_dtype dtype) {
  switch (dtype) {
#define DLC_DTYPE(id, value, name, c_type)                                     \
  case DLC_##id:                                                               \
    return sizeof(c_type);
#include "dlc/dtypes.def"
#undef DLC_DTYPE
  case DLC_DTYPE_INVALID:
    break;
  }
  return 0;
}

/* The bound of compiler/ShapeMath.h: no tensor holds more than 2^48 bytes
   (and so elements). */
#define DLC_MAX_TENSOR_BYTES ((int64_t)1 << 48)

/* The product of `rank` dims; -1 for a negative dim, or past 2^48. */
static int64_t count_elements(const int64_t *shape, int32_t rank) {
  int64_t count = 1;
  int empty = 0;
  for (int32_t i = 0; i < rank; ++i) {
    if (shape[i] < 0 || shape[i] > DLC_MAX_TENSOR_BYTES)
      return -1;
    empty |= shape[i] == 0;
  }
  if (empty)
    return 0;
  for (int32_t i = 0; i < rank; ++i) {
    if (count > DLC_MAX_TENSOR_BYTES / shape[i])
      return -1;
    count *= shape[i];
  }
  return count;
}

int64_t dlc_tensor_info_num_elements(const dlc_tensor_info *info) {
  if (info->rank < 0 || (info->rank > 0 && !info->shape))
    return -1;
  return count_elements(info->shape, info->rank);
}

/* Allocation of the compiled code (MLIR's generic allocation functions, see
   the LLVM lowering in compiler/driver/Pipeline.cpp). A failed allocation on
   the thread that called dlc_model_run jumps back to it, which frees what
   that run allocated so far and returns DLC_ERROR_OUT_OF_MEMORY. One inside
   a chunk of a parallel loop jumps out of the chunk (parallel.c keeps the
   target); the loop's other chunks finish, and then its caller jumps back
   as above.

   Each block carries a header before the pointer the code sees. Blocks
   allocated by a run, on its own thread or in its parallel loops' chunks,
   are linked into one list under a lock, tagged with their run, so that
   the jump can free them; the generated code frees a buffer in the region
   that allocated it. */
extern _Thread_local int dlc_pool_task_depth;
static _Thread_local jmp_buf *out_of_memory_target;
static _Thread_local size_t out_of_memory_bytes;
/* Set by the pool around each chunk it runs (parallel.c): where a failed
   allocation in the chunk jumps, and the run the chunk's blocks belong to. */
_Thread_local jmp_buf *dlc_task_failure;
_Thread_local const void *dlc_task_run;
static _Atomic size_t task_failure_bytes;

typedef struct dlc_block {
  struct dlc_block *previous, *next; /* in run_blocks, when tracked */
  void *base;                        /* what malloc returned */
  const void *run;                   /* the run that owns it, or NULL */
} dlc_block;

/* Four pointers: the header keeps malloc's 16-byte alignment. */
_Static_assert(sizeof(dlc_block) % 16 == 0, "dlc_block breaks alignment");

static pthread_mutex_t run_blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static dlc_block run_blocks = {&run_blocks, &run_blocks, NULL, NULL};

/* The run this thread computes for (its own, or the one whose loop chunk it
   runs), or NULL outside runs. */
const void *dlc_current_run(void) {
  return dlc_pool_task_depth == 0 ? (const void *)out_of_memory_target
                                  : dlc_task_run;
}

/* A parallel loop's caller, after a chunk failed to allocate. */
void dlc_task_out_of_memory(void) {
  size_t bytes = atomic_load(&task_failure_bytes);
  if (out_of_memory_target && dlc_pool_task_depth == 0) {
    out_of_memory_bytes = bytes;
    longjmp(*out_of_memory_target, 1);
  }
  fprintf(stderr,
          "dlc runtime: out of memory allocating %zu bytes in a "
          "parallel loop outside a run\n",
          bytes);
  abort();
}

static void *checked(void *pointer, size_t bytes) {
  if (pointer || bytes == 0)
    return pointer;
  if (dlc_pool_task_depth > 0 && dlc_task_failure) {
    atomic_store(&task_failure_bytes, bytes);
    longjmp(*dlc_task_failure, 1);
  }
  if (out_of_memory_target && dlc_pool_task_depth == 0) {
    out_of_memory_bytes = bytes;
    longjmp(*out_of_memory_target, 1);
  }
  fprintf(stderr,
          "dlc runtime: out of memory allocating %zu bytes outside a run\n",
          bytes);
  abort();
}

/* `bytes` from malloc (alignment 0) or posix_memalign, behind a header;
   the pointer after the header is aligned as asked. */
static void *allocate_block(size_t alignment, size_t bytes) {
  size_t header = sizeof(dlc_block);
  if (alignment > header)
    header = alignment;
  void *base = NULL;
  if (bytes <= SIZE_MAX - header) {
    if (alignment == 0)
      base = malloc(header + bytes);
    else if (posix_memalign(&base, alignment, header + bytes) != 0)
      base = NULL;
  }
  if (!base)
    return checked(NULL, bytes ? bytes : 1);
  dlc_block *block = (dlc_block *)((char *)base + header) - 1;
  block->base = base;
  block->run = dlc_current_run();
  if (block->run) {
    pthread_mutex_lock(&run_blocks_lock);
    block->previous = &run_blocks;
    block->next = run_blocks.next;
    run_blocks.next->previous = block;
    run_blocks.next = block;
    pthread_mutex_unlock(&run_blocks_lock);
  }
  return block + 1;
}

static void unlink_block(dlc_block *block) {
  block->previous->next = block->next;
  block->next->previous = block->previous;
}

/* Frees every block `run` still holds (after its out-of-memory jump). */
static void free_run_blocks(const void *run) {
  pthread_mutex_lock(&run_blocks_lock);
  dlc_block *block = run_blocks.next;
  while (block != &run_blocks) {
    dlc_block *next = block->next;
    if (block->run == run) {
      unlink_block(block);
      free(block->base);
    }
    block = next;
  }
  pthread_mutex_unlock(&run_blocks_lock);
}

void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  /* malloc's alignment: a header of 32 bytes keeps 16. */
  return allocate_block(0, bytes);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  if (alignment < sizeof(void *))
    alignment = sizeof(void *);
  return allocate_block(alignment, bytes);
}

void _mlir_memref_to_llvm_free(void *pointer) {
  if (!pointer)
    return;
  dlc_block *block = (dlc_block *)pointer - 1;
  if (block->run) {
    pthread_mutex_lock(&run_blocks_lock);
    unlink_block(block);
    pthread_mutex_unlock(&run_blocks_lock);
  }
  free(block->base);
}

/* Writes "[d0,d1,...]" into `out`; a dynamic dim of `info` (when given)
   as its symbol. */
static void format_shape(char *out, size_t size, const int64_t *shape,
                         int32_t rank, const dlc_tensor_info *info) {
  size_t used = (size_t)snprintf(out, size, "[");
  for (int32_t i = 0; i < rank && used < size; ++i) {
    const char *symbol =
        info && info->dim_symbols && shape[i] < 0 ? info->dim_symbols[i] : 0;
    if (symbol)
      used +=
          (size_t)snprintf(out + used, size - used, i ? ",%s" : "%s", symbol);
    else
      used += (size_t)snprintf(out + used, size - used, i ? ",%lld" : "%lld",
                               (long long)shape[i]);
  }
  if (used < size)
    snprintf(out + used, size - used, "]");
}

/* The sizes a run's tensors give the model's dim symbols, and which tensor
   gave each first (for messages). */
#define DLC_MAX_DIM_SYMBOLS 16
typedef struct dlc_bindings {
  int32_t count;
  const char *symbol[DLC_MAX_DIM_SYMBOLS];
  int64_t size[DLC_MAX_DIM_SYMBOLS];
  const char *role[DLC_MAX_DIM_SYMBOLS];
  int32_t index[DLC_MAX_DIM_SYMBOLS];
  const char *tensor[DLC_MAX_DIM_SYMBOLS];
} dlc_bindings;

static int32_t find_binding(const dlc_bindings *bindings, const char *symbol) {
  for (int32_t k = 0; k < bindings->count; ++k)
    if (strcmp(bindings->symbol[k], symbol) == 0)
      return k;
  return -1;
}

/* The elements of a tensor whose shape was checked. */
static int64_t given_num_elements(const dlc_tensor *given) {
  return count_elements(given->shape, given->rank);
}

static dlc_status_code check_tensor(const char *role, int32_t index,
                                    const dlc_tensor_info *expected,
                                    const dlc_tensor *given,
                                    dlc_bindings *bindings,
                                    dlc_status *status) {
  if (given->dtype != expected->dtype)
    return fail(status, DLC_ERROR_DTYPE_MISMATCH,
                "%s %d ('%s') has dtype %s, expected %s", role, index,
                expected->name, dlc_dtype_name(given->dtype),
                dlc_dtype_name(expected->dtype));
  int same = given->rank == expected->rank &&
             (given->rank == 0 || given->shape != NULL);
  for (int32_t d = 0; same && d < given->rank; ++d) {
    int64_t dim = given->shape[d];
    const char *symbol =
        expected->dim_symbols ? expected->dim_symbols[d] : NULL;
    if (expected->shape[d] >= 0 || !symbol) {
      same = dim == expected->shape[d];
      continue;
    }
    if (dim < 0 || dim > DLC_MAX_TENSOR_BYTES)
      return fail(status, DLC_ERROR_SHAPE_MISMATCH,
                  "%s %d ('%s') has dim %d = %lld, which no tensor can have",
                  role, index, expected->name, d, (long long)dim);
    int32_t k = find_binding(bindings, symbol);
    if (k < 0) {
      if (bindings->count == DLC_MAX_DIM_SYMBOLS)
        return fail(status, DLC_ERROR_INTERNAL,
                    "model has more than %d dim symbols", DLC_MAX_DIM_SYMBOLS);
      k = bindings->count++;
      bindings->symbol[k] = symbol;
      bindings->size[k] = dim;
      bindings->role[k] = role;
      bindings->index[k] = index;
      bindings->tensor[k] = expected->name;
    } else if (bindings->size[k] != dim) {
      return fail(status, DLC_ERROR_SHAPE_MISMATCH,
                  "%s %d ('%s') has dim %d ('%s') = %lld, but %s %d ('%s') "
                  "gives '%s' = %lld",
                  role, index, expected->name, d, symbol, (long long)dim,
                  bindings->role[k], bindings->index[k], bindings->tensor[k],
                  symbol, (long long)bindings->size[k]);
    }
  }
  if (!same) {
    char want[160], got[160];
    format_shape(want, sizeof want, expected->shape, expected->rank, expected);
    /* The caller's dims are read only where its rank is the expected one:
       another rank may not match the array it points at. */
    if (given->rank > 0 && !given->shape)
      snprintf(got, sizeof got, "rank %d with no shape", given->rank);
    else if (given->rank != expected->rank)
      snprintf(got, sizeof got, "rank %d", given->rank);
    else
      format_shape(got, sizeof got, given->shape, given->rank, NULL);
    return fail(status, DLC_ERROR_SHAPE_MISMATCH,
                "%s %d ('%s') has shape %s, expected %s", role, index,
                expected->name, got, want);
  }
  int64_t elements = given_num_elements(given);
  if (elements < 0)
    return fail(status, DLC_ERROR_SHAPE_MISMATCH,
                "%s %d ('%s') has more than 2^48 elements", role, index,
                expected->name);
  /* An empty tensor has no bytes to point at. */
  if (!given->data && elements != 0)
    return fail(status, DLC_ERROR_INVALID_ARGUMENT,
                "%s %d ('%s') has no data pointer", role, index,
                expected->name);
  return DLC_OK;
}

/* Whether the bytes of two checked tensors overlap. */
static int tensors_overlap(const dlc_tensor *a, const dlc_tensor *b) {
  const char *a_begin = (const char *)a->data, *b_begin = (const char *)b->data;
  size_t a_size = (size_t)given_num_elements(a) * dlc_dtype_size(a->dtype);
  size_t b_size = (size_t)given_num_elements(b) * dlc_dtype_size(b->dtype);
  if (a_size == 0 || b_size == 0)
    return 0;
  return a_begin < b_begin + b_size && b_begin < a_begin + a_size;
}

static int library_output(const dlc_model_info *model, int32_t index) {
  return model->library_outputs && model->library_outputs[index];
}

/* An output whose shape depends on the data: one block holding its shape
   and then its data, the `count` leading entries along `dim` of the
   `bounded` result the compiled code wrote at its largest shape `bound`.
   0 when the block cannot be allocated. */
int dlc_bounded_output(dlc_tensor *output, const void *bounded, dlc_dtype dtype,
                       int32_t rank, const int64_t *bound, int32_t dim,
                       int64_t count) {
  size_t element = dlc_dtype_size(dtype);
  int64_t outer = 1, inner = 1;
  for (int32_t d = 0; d < dim; ++d)
    outer *= bound[d];
  for (int32_t d = dim + 1; d < rank; ++d)
    inner *= bound[d];
  if (count > bound[dim]) /* the compiled code never gives more */
    count = bound[dim];
  if (count < 0)
    count = 0;
  size_t header = ((size_t)rank * sizeof(int64_t) + 63) / 64 * 64;
  size_t bytes = (size_t)(outer * count * inner) * element;
  void *allocated = 0;
  output->data = 0;
  output->shape = 0;
  if (posix_memalign(&allocated, 64, header + (bytes + 63) / 64 * 64 + 64))
    return 0;
  char *block = allocated;
  int64_t *shape = (int64_t *)block;
  for (int32_t d = 0; d < rank; ++d)
    shape[d] = d == dim ? count : bound[d];
  char *data = block + header;
  size_t row = (size_t)(count * inner) * element;
  size_t stride = (size_t)(bound[dim] * inner) * element;
  for (int64_t o = 0; o < outer && row > 0; ++o)
    memcpy(data + o * row, (const char *)bounded + o * stride, row);
  output->data = data;
  output->shape = shape;
  output->rank = rank;
  output->dtype = dtype;
  return 1;
}

void dlc_free_output(dlc_tensor *output) {
  if (!output || !output->data)
    return;
  free((void *)output->shape); /* the block starts with the shape */
  output->data = 0;
  output->shape = 0;
}

/* The glue, after a library output could not be allocated. */
void dlc_output_out_of_memory(size_t bytes) {
  if (out_of_memory_target && dlc_pool_task_depth == 0) {
    out_of_memory_bytes = bytes;
    longjmp(*out_of_memory_target, 1);
  }
  fprintf(stderr,
          "dlc runtime: out of memory allocating an output of %zu "
          "bytes outside a run\n",
          bytes);
  abort();
}

static dlc_status_code check_model(const dlc_model_info *model,
                                   dlc_status *status) {
  if (!model)
    return fail(status, DLC_ERROR_INVALID_ARGUMENT, "model is NULL");
  if (model->abi_version != DLC_ABI_VERSION)
    return fail(status, DLC_ERROR_INVALID_ARGUMENT,
                "model '%s' has runtime ABI version %u, this runtime has %u",
                model->name, model->abi_version, DLC_ABI_VERSION);
  return DLC_OK;
}

/* An IEEE half (float16) bit pattern as a double. */
static double half_to_double(uint16_t bits) {
  int sign = bits >> 15, exponent = (bits >> 10) & 0x1f;
  double magnitude = (double)(bits & 0x3ff);
  if (exponent == 0x1f)
    magnitude = magnitude ? NAN : INFINITY;
  else if (exponent == 0)
    magnitude = ldexp(magnitude, -24); /* subnormal */
  else
    magnitude = ldexp(magnitude + 1024.0, exponent - 25);
  return sign ? -magnitude : magnitude;
}

static double bfloat16_to_double(uint16_t bits) {
  uint32_t wide = (uint32_t)bits << 16;
  float value;
  memcpy(&value, &wide, sizeof value);
  return value;
}

/* Element k of a float tensor (float16, bfloat16, float32, float64) as a
   double; 0 for other element types. */
static double float_value(const dlc_tensor *given, int64_t k) {
  switch (given->dtype) {
  case DLC_FLOAT16:
    return half_to_double(((const uint16_t *)given->data)[k]);
  case DLC_BFLOAT16:
    return bfloat16_to_double(((const uint16_t *)given->data)[k]);
  case DLC_FLOAT32:
    return ((const float *)given->data)[k];
  case DLC_FLOAT64:
    return ((const double *)given->data)[k];
  default:
    return 0.0;
  }
}

/* Reads up to `max` values of a checked input as integers (floats
   truncated, as ONNX's reference casts a OneHot depth); -1 when there are
   more or its element type holds no numbers. */
static int32_t read_integers(const dlc_tensor *given, int64_t *values,
                             int32_t max) {
  int64_t count = given_num_elements(given);
  if (count < 0 || count > max)
    return -1;
  for (int64_t k = 0; k < count; ++k) {
    const char *p = (const char *)given->data;
    switch (given->dtype) {
    case DLC_INT64:
      values[k] = ((const int64_t *)p)[k];
      break;
    case DLC_INT32:
      values[k] = ((const int32_t *)p)[k];
      break;
    case DLC_INT16:
      values[k] = ((const int16_t *)p)[k];
      break;
    case DLC_INT8:
      values[k] = ((const int8_t *)p)[k];
      break;
    case DLC_UINT64:
      values[k] = (int64_t)((const uint64_t *)p)[k];
      break;
    case DLC_UINT32:
      values[k] = ((const uint32_t *)p)[k];
      break;
    case DLC_UINT16:
      values[k] = ((const uint16_t *)p)[k];
      break;
    case DLC_UINT8:
      values[k] = ((const uint8_t *)p)[k];
      break;
    case DLC_BOOL:
      values[k] = ((const uint8_t *)p)[k] != 0;
      break;
    case DLC_FLOAT16:
    case DLC_BFLOAT16:
    case DLC_FLOAT32:
    case DLC_FLOAT64: {
      double v = float_value(given, k);
      if (!(v > -9e15 && v < 9e15))
        return -1;
      values[k] = (int64_t)v;
      break;
    }
    default:
      return -1;
    }
  }
  return (int32_t)count;
}

#define DLC_MAX_CHECKED 64

/* The output shape `check`'s node gets from `values`; its rank, or -1 when
   the values are not valid for the node. */
static int32_t checked_shape(const dlc_value_check *check,
                             const int64_t *values, int32_t count,
                             int64_t *shape) {
  const int64_t *in = check->operand_shape;
  int32_t rank = check->operand_rank;
  /* `shape` holds 2 * DLC_MAX_CHECKED dims: no result may have more. */
  if (rank < 0 || rank > DLC_MAX_CHECKED || count > DLC_MAX_CHECKED)
    return -1;
  switch (check->kind) {
  case DLC_CHECK_EQUAL:
    memcpy(shape, values, (size_t)count * sizeof(int64_t));
    return count;
  case DLC_CHECK_RESHAPE: {
    int64_t known = 1, total = count_elements(in, rank);
    int32_t inferred = -1;
    for (int32_t i = 0; i < count; ++i) {
      int64_t v = values[i];
      if (v == 0 && !check->flags) {
        if (i >= rank)
          return -1;
        v = in[i];
      }
      if (v == -1) {
        if (inferred >= 0)
          return -1;
        inferred = i;
        continue;
      }
      if (v < 0 || (v > 0 && known > ((int64_t)1 << 48) / v))
        return -1;
      shape[i] = v;
      known *= v;
    }
    if (inferred >= 0) {
      if (known == 0 || total % known != 0)
        return -1;
      shape[inferred] = total / known;
    } else if (known != total) {
      return -1;
    }
    return count;
  }
  case DLC_CHECK_EXPAND: {
    int32_t out_rank = count > rank ? count : rank;
    for (int32_t i = 0; i < out_rank; ++i) {
      int32_t a = i - (out_rank - rank), b = i - (out_rank - count);
      int64_t x = a >= 0 ? in[a] : 1, y = b >= 0 ? values[b] : 1;
      if (y < 0 || (x != y && x != 1 && y != 1))
        return -1;
      shape[i] = x == 1 ? y : x;
    }
    return out_rank;
  }
  case DLC_CHECK_TILE:
    if (count != rank)
      return -1;
    for (int32_t i = 0; i < rank; ++i) {
      if (values[i] < 0 ||
          (values[i] > 0 && in[i] > ((int64_t)1 << 48) / values[i]))
        return -1;
      shape[i] = in[i] * values[i];
    }
    return rank;
  case DLC_CHECK_PAD:
    if (count != 2 * rank)
      return -1;
    for (int32_t i = 0; i < rank; ++i) {
      int64_t before = values[i], after = values[rank + i];
      if (before > ((int64_t)1 << 48) || before < -((int64_t)1 << 48) ||
          after > ((int64_t)1 << 48) || after < -((int64_t)1 << 48))
        return -1;
      shape[i] = in[i] + before + after;
      if (shape[i] < 0)
        return -1;
    }
    return rank;
  case DLC_CHECK_SLICE: {
    int32_t m = count / 4;
    if (count != 4 * m)
      return -1;
    for (int32_t i = 0; i < rank; ++i)
      shape[i] = in[i];
    unsigned char marked[DLC_MAX_CHECKED] = {0};
    if (rank > DLC_MAX_CHECKED)
      return -1;
    for (int32_t k = 0; k < m; ++k) {
      int64_t start = values[k], end = values[m + k], axis = values[2 * m + k],
              step = values[3 * m + k];
      if (axis < 0)
        axis += rank;
      if (axis < 0 || axis >= rank || marked[axis] || step == 0 ||
          step == INT64_MIN)
        return -1;
      marked[axis] = 1;
      int64_t dim = in[axis], length;
      if (start < 0)
        start += dim;
      if (end < 0)
        end += dim;
      if (step > 0) {
        start = start < 0 ? 0 : start > dim ? dim : start;
        end = end < 0 ? 0 : end > dim ? dim : end;
        length = end > start ? (end - start - 1) / step + 1 : 0;
      } else {
        start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
        end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
        length = start > end ? (start - end - 1) / -step + 1 : 0;
      }
      shape[axis] = length;
    }
    return rank;
  }
  case DLC_CHECK_RANGE: {
    if (count != 3 || values[2] == 0)
      return -1;
    int64_t span = values[1] - values[0], step = values[2];
    if ((values[1] > 0 && values[0] < values[1] - INT64_MAX) ||
        (values[1] < 0 && values[0] > values[1] + INT64_MAX))
      return -1; /* the span overflows */
    shape[0] = span / step + (span % step != 0 && (span > 0) == (step > 0));
    if (shape[0] < 0)
      shape[0] = 0;
    return 1;
  }
  case DLC_CHECK_RESIZE: /* float scales: resized_shape */
    return -1;
  case DLC_CHECK_AXIS: {
    if (count != 1 || values[0] < -rank || values[0] >= rank)
      return -1;
    int64_t axis = values[0] < 0 ? values[0] + rank : values[0];
    return !check->flags || (axis < 63 && ((check->flags >> axis) & 1)) ? 0
                                                                        : -1;
  }
  case DLC_CHECK_REDUCE: {
    unsigned char marked[DLC_MAX_CHECKED] = {0};
    int32_t out_rank = 0;
    if (rank > DLC_MAX_CHECKED)
      return -1;
    for (int32_t k = 0; k < count; ++k) {
      int64_t axis = values[k] < 0 ? values[k] + rank : values[k];
      if (axis < 0 || axis >= rank || marked[axis])
        return -1;
      marked[axis] = 1;
    }
    for (int32_t i = 0; i < rank; ++i)
      if (!marked[i] || check->flags)
        shape[out_rank++] = marked[i] ? 1 : in[i];
    return out_rank;
  }
  case DLC_CHECK_SQUEEZE:
  case DLC_CHECK_UNSQUEEZE: {
    int squeeze = check->kind == DLC_CHECK_SQUEEZE;
    int32_t out_rank = squeeze ? rank - count : rank + count;
    int32_t axes_rank = squeeze ? rank : out_rank;
    unsigned char marked[DLC_MAX_CHECKED * 2] = {0};
    if (out_rank < 0 || axes_rank > DLC_MAX_CHECKED * 2)
      return -1;
    for (int32_t k = 0; k < count; ++k) {
      int64_t axis = values[k] < 0 ? values[k] + axes_rank : values[k];
      if (axis < 0 || axis >= axes_rank || marked[axis] ||
          (squeeze && in[axis] != 1))
        return -1;
      marked[axis] = 1;
    }
    if (squeeze && count == 0) { /* no axes: every dim of size 1 */
      out_rank = 0;
      for (int32_t i = 0; i < rank; ++i)
        if (in[i] != 1)
          shape[out_rank++] = in[i];
      return out_rank;
    }
    for (int32_t i = 0, j = 0, o = 0; i < axes_rank; ++i) {
      if (squeeze && !marked[i])
        shape[o++] = in[i];
      if (!squeeze)
        shape[o++] = marked[i] ? 1 : in[j++];
    }
    return out_rank;
  }
  }
  return -1;
}

static void format_values(char *out, size_t size, const int64_t *values,
                          int32_t count) {
  format_shape(out, size, values, count, 0);
}

/* Resize's scales (float32 or float64; `given` formats them): the output
   shape floor(dim * scale) along the check's axes; its rank, or -1 when
   the scales are not positive and finite, one per axis. */
static int32_t resized_shape(const dlc_value_check *check,
                             const dlc_tensor *scales, int64_t *shape,
                             char *given, size_t size) {
  int64_t count = given_num_elements(scales);
  int32_t rank = check->operand_rank;
  size_t used = (size_t)snprintf(given, size, "[");
  for (int64_t k = 0; k < count && k < DLC_MAX_CHECKED && used < size; ++k) {
    double v = scales->dtype == DLC_FLOAT64 ? ((const double *)scales->data)[k]
               : scales->dtype == DLC_FLOAT32 ? ((const float *)scales->data)[k]
                                              : 0.0;
    used += (size_t)snprintf(given + used, size - used, k ? ",%g" : "%g", v);
  }
  if (used < size)
    snprintf(given + used, size - used, "]");
  if (check->num_parts != 1 || check->parts[0].input >= 0 ||
      count != check->parts[0].count || rank < 0 || rank > DLC_MAX_CHECKED ||
      (scales->dtype != DLC_FLOAT32 && scales->dtype != DLC_FLOAT64))
    return -1;
  memcpy(shape, check->operand_shape, (size_t)rank * sizeof(int64_t));
  for (int64_t k = 0; k < count; ++k) {
    int64_t axis = check->parts[0].values[k];
    double scale = scales->dtype == DLC_FLOAT64
                       ? ((const double *)scales->data)[k]
                       : ((const float *)scales->data)[k];
    if (axis < 0 || axis >= rank || !(scale > 0))
      return -1;
    double dim = floor((double)check->operand_shape[axis] * scale);
    if (!(dim < 9e15))
      return -1;
    shape[axis] = (int64_t)dim;
  }
  return rank;
}

/* Whether every value of a checked float tensor is a whole number (what
   read_integers reads it as); other element types: yes. */
static int floats_are_integers(const dlc_tensor *given) {
  int64_t count = given_num_elements(given);
  for (int64_t k = 0; k < count; ++k) {
    double v = float_value(given, k);
    if (v != floor(v))
      return 0;
  }
  return 1;
}

/* The output shape a check's integer values give (read from the inputs and
   the compiled-in parts); its rank, -1 when the values are not valid for
   the node. Fills `what` (the inputs read) and `given` (the values); sets
   `*code` (with `status`) when the values cannot be read. */
static int32_t integer_check_shape(const dlc_model_info *model,
                                   const dlc_value_check *check,
                                   const dlc_tensor *inputs, int64_t *shape,
                                   char *what, size_t what_size, char *given,
                                   size_t given_size, dlc_status_code *code,
                                   dlc_status *status) {
  int64_t values[DLC_MAX_CHECKED];
  int32_t count = 0;
  if (check->num_parts == 0)
    count = read_integers(&inputs[check->input], values, DLC_MAX_CHECKED);
  for (int32_t p = 0; p < check->num_parts && count >= 0; ++p) {
    const dlc_value_part *part = &check->parts[p];
    int32_t got = -1;
    if (part->input < 0 && part->count <= DLC_MAX_CHECKED - count) {
      memcpy(values + count, part->values,
             (size_t)part->count * sizeof(int64_t));
      got = part->count;
    } else if (part->input >= 0) {
      got = read_integers(&inputs[part->input], values + count,
                          DLC_MAX_CHECKED - count);
    }
    count = got < 0 ? -1 : count + got;
  }
  /* "input 1 ('shape')", or with parts "the inputs 1 ('starts'), 2
     ('ends') and compiled-in values" */
  if (check->num_parts == 0) {
    snprintf(what, what_size, "input %d ('%s')", check->input,
             model->inputs[check->input].name);
  } else {
    size_t used = (size_t)snprintf(what, what_size, "the values of");
    for (int32_t p = 0; p < check->num_parts && used < what_size; ++p) {
      int32_t input = check->parts[p].input;
      if (input >= 0)
        used += (size_t)snprintf(what + used, what_size - used,
                                 "%s input %d ('%s')", p ? "," : "", input,
                                 model->inputs[input].name);
      else
        used += (size_t)snprintf(what + used, what_size - used,
                                 "%s compiled-in values", p ? "," : "");
    }
  }
  if (count < 0) {
    *code = fail(status, DLC_ERROR_INVALID_ARGUMENT,
                 "%s (read by %s): not valid integers", what, check->node);
    return -1;
  }
  if (check->kind == DLC_CHECK_EQUAL && (check->flags & 2) &&
      check->num_parts == 0 && !floats_are_integers(&inputs[check->input])) {
    char want[256];
    format_values(want, sizeof want, check->expected, check->num_expected);
    *code = fail(status, DLC_ERROR_SHAPE_MISMATCH,
                 "%s holds a fraction, but %s was compiled for %s, the only "
                 "values it supports",
                 what, check->node, want);
    return -1;
  }
  format_values(given, given_size, values, count);
  if (check->kind == DLC_CHECK_RANGE && check->flags && count == 3) {
    /* A float Range: its length from the values as they are. */
    double number[3];
    for (int32_t p = 0; p < 3; ++p) {
      const dlc_value_part *part = &check->parts[p];
      const dlc_tensor *t = part->input >= 0 ? &inputs[part->input] : 0;
      int is_float =
          t && (t->dtype == DLC_FLOAT16 || t->dtype == DLC_BFLOAT16 ||
                t->dtype == DLC_FLOAT32 || t->dtype == DLC_FLOAT64);
      number[p] = !t         ? (double)part->values[0]
                  : is_float ? float_value(t, 0)
                             : (double)values[p];
    }
    double length = ceil((number[1] - number[0]) / number[2]);
    if (!(length < 9e15)) {
      *code = fail(status, DLC_ERROR_SHAPE_MISMATCH, "%s: not valid for %s",
                   what, check->node);
      return -1;
    }
    values[0] = 0;
    values[1] = length > 0 ? (int64_t)length : 0;
    values[2] = 1;
  }
  return checked_shape(check, values, count, shape);
}

static dlc_status_code check_values(const dlc_model_info *model,
                                    const dlc_tensor *inputs,
                                    dlc_status *status) {
  for (int32_t c = 0; c < model->num_value_checks; ++c) {
    const dlc_value_check *check = &model->value_checks[c];
    int64_t shape[DLC_MAX_CHECKED * 2];
    char what[384], given[256], got[256], want[256];
    int32_t rank;
    if (check->kind == DLC_CHECK_RESIZE) {
      snprintf(what, sizeof what, "input %d ('%s')", check->input,
               model->inputs[check->input].name);
      rank = resized_shape(check, &inputs[check->input], shape, given,
                           sizeof given);
    } else {
      dlc_status_code code = DLC_OK;
      rank = integer_check_shape(model, check, inputs, shape, what, sizeof what,
                                 given, sizeof given, &code, status);
      if (code != DLC_OK)
        return code;
    }
    format_values(want, sizeof want, check->expected, check->num_expected);
    if (rank < 0)
      return fail(status, DLC_ERROR_SHAPE_MISMATCH, "%s = %s: not valid for %s",
                  what, given, check->node);
    int same = rank == check->num_expected;
    int any_below_zero = check->kind == DLC_CHECK_EQUAL && (check->flags & 4);
    for (int32_t i = 0; same && i < rank; ++i)
      same = shape[i] == check->expected[i] ||
             (any_below_zero && check->expected[i] < 0);
    if (same)
      continue;
    if (check->kind == DLC_CHECK_EQUAL && (check->flags & 1))
      return fail(status, DLC_ERROR_SHAPE_MISMATCH,
                  "%s = %s, but %s was compiled for %s, the only values it "
                  "supports",
                  what, given, check->node, want);
    if (check->kind == DLC_CHECK_EQUAL)
      return fail(status, DLC_ERROR_SHAPE_MISMATCH,
                  "%s = %s, but this library was compiled for %s (the "
                  "output shape the model declares for %s)",
                  what, given, want, check->node);
    format_values(got, sizeof got, shape, rank);
    return fail(status, DLC_ERROR_SHAPE_MISMATCH,
                "with %s = %s, %s would have the output shape %s, but this "
                "library was compiled for %s, the shape the model declares",
                what, given, check->node, got, want);
  }
  return DLC_OK;
}

/* The sizes the inputs gave the dim symbols, against the ranges the
   library was compiled for (--dim-range). */
static dlc_status_code check_ranges(const dlc_model_info *model,
                                    const dlc_bindings *bindings,
                                    dlc_status *status) {
  for (int32_t r = 0; r < model->num_dim_ranges; ++r) {
    const dlc_dim_range *range = &model->dim_ranges[r];
    int32_t k = range->symbol ? find_binding(bindings, range->symbol) : -1;
    if (k < 0)
      continue;
    int64_t size = bindings->size[k];
    if (size >= range->min && (range->max < 0 || size <= range->max))
      continue;
    char serves[64];
    if (range->max < 0)
      snprintf(serves, sizeof serves, "of at least %lld",
               (long long)range->min);
    else
      snprintf(serves, sizeof serves, "from %lld to %lld",
               (long long)range->min, (long long)range->max);
    return fail(status, DLC_ERROR_SHAPE_MISMATCH,
                "%s %d ('%s') gives '%s' = %lld, but this library serves "
                "'%s' %s (compiled with --dim-range)",
                bindings->role[k], bindings->index[k], bindings->tensor[k],
                range->symbol, (long long)size, range->symbol, serves);
  }
  return DLC_OK;
}

static dlc_status_code check_inputs(const dlc_model_info *model,
                                    const dlc_tensor *inputs,
                                    int32_t num_inputs, dlc_bindings *bindings,
                                    dlc_status *status) {
  if (num_inputs != model->num_inputs)
    return fail(status, DLC_ERROR_INVALID_ARGUMENT,
                "model '%s' takes %d input(s), %d given", model->name,
                model->num_inputs, num_inputs);
  if (num_inputs > 0 && !inputs)
    return fail(status, DLC_ERROR_INVALID_ARGUMENT, "tensor array is NULL");
  for (int32_t i = 0; i < num_inputs; ++i) {
    dlc_status_code code = check_tensor("input", i, &model->inputs[i],
                                        &inputs[i], bindings, status);
    if (code != DLC_OK)
      return code;
  }
  dlc_status_code code = check_ranges(model, bindings, status);
  if (code != DLC_OK)
    return code;
  return check_values(model, inputs, status);
}

dlc_status_code dlc_model_validate(const dlc_model_info *model,
                                   const dlc_tensor *inputs, int32_t num_inputs,
                                   const dlc_tensor *outputs,
                                   int32_t num_outputs, dlc_status *status) {
  dlc_bindings bindings;
  bindings.count = 0;
  dlc_status_code code = check_model(model, status);
  if (code != DLC_OK)
    return code;
  if (num_inputs != model->num_inputs)
    return fail(status, DLC_ERROR_INVALID_ARGUMENT,
                "model '%s' takes %d input(s), %d given", model->name,
                model->num_inputs, num_inputs);
  if (num_outputs != model->num_outputs)
    return fail(status, DLC_ERROR_INVALID_ARGUMENT,
                "model '%s' has %d output(s), %d given", model->name,
                model->num_outputs, num_outputs);
  if ((num_inputs > 0 && !inputs) || (num_outputs > 0 && !outputs))
    return fail(status, DLC_ERROR_INVALID_ARGUMENT, "tensor array is NULL");
  code = check_inputs(model, inputs, num_inputs, &bindings, status);
  if (code != DLC_OK)
    return code;
  for (int32_t i = 0; i < num_outputs; ++i) {
    if (library_output(model, i))
      continue; /* filled by the run */
    code = check_tensor("output", i, &model->outputs[i], &outputs[i], &bindings,
                        status);
    if (code != DLC_OK)
      return code;
  }
  /* The model writes outputs while it still reads inputs (and its other
     outputs), so an output may share no byte with them. */
  for (int32_t i = 0; i < num_outputs; ++i) {
    if (library_output(model, i))
      continue;
    for (int32_t j = 0; j < num_inputs; ++j)
      if (tensors_overlap(&outputs[i], &inputs[j]))
        return fail(status, DLC_ERROR_INVALID_ARGUMENT,
                    "output %d ('%s') overlaps input %d ('%s')", i,
                    model->outputs[i].name, j, model->inputs[j].name);
    for (int32_t j = 0; j < i; ++j)
      if (!library_output(model, j) &&
          tensors_overlap(&outputs[i], &outputs[j]))
        return fail(status, DLC_ERROR_INVALID_ARGUMENT,
                    "output %d ('%s') overlaps output %d ('%s')", i,
                    model->outputs[i].name, j, model->outputs[j].name);
  }
  return ok(status);
}

dlc_status_code dlc_model_output_shape(const dlc_model_info *model,
                                       const dlc_tensor *inputs,
                                       int32_t num_inputs, int32_t index,
                                       int64_t *shape, dlc_status *status) {
  dlc_bindings bindings;
  bindings.count = 0;
  dlc_status_code code = check_model(model, status);
  if (code != DLC_OK)
    return code;
  if (index < 0 || index >= model->num_outputs)
    return fail(status, DLC_ERROR_INVALID_ARGUMENT,
                "model '%s' has no output %d", model->name, index);
  const dlc_tensor_info *info = &model->outputs[index];
  if (info->rank > 0 && !shape)
    return fail(status, DLC_ERROR_INVALID_ARGUMENT, "shape is NULL");
  code = check_inputs(model, inputs, num_inputs, &bindings, status);
  if (code != DLC_OK)
    return code;
  if (library_output(model, index))
    return fail(status, DLC_ERROR_INVALID_ARGUMENT,
                "output %d ('%s') has a shape that depends on the data: the "
                "library allocates it during the run",
                index, info->name);
  for (int32_t d = 0; d < info->rank; ++d) {
    const char *symbol = info->dim_symbols ? info->dim_symbols[d] : NULL;
    if (info->shape[d] >= 0 || !symbol) {
      shape[d] = info->shape[d];
      continue;
    }
    int32_t k = find_binding(&bindings, symbol);
    if (k < 0)
      return fail(status, DLC_ERROR_INTERNAL,
                  "output %d ('%s'): no input gives its dim symbol '%s'", index,
                  info->name, symbol);
    shape[d] = bindings.size[k];
  }
  return ok(status);
}

dlc_status_code dlc_model_run(const dlc_model_info *model,
                              const dlc_tensor *inputs, int32_t num_inputs,
                              dlc_tensor *outputs, int32_t num_outputs,
                              dlc_status *status) {
  dlc_status_code code = dlc_model_validate(model, inputs, num_inputs, outputs,
                                            num_outputs, status);
  if (code != DLC_OK)
    return code;
  if (model->run)
    return model->run(inputs, outputs, status);
  if (!model->entry)
    return fail(status, DLC_ERROR_INVALID_ARGUMENT,
                "model '%s' has no entry point", model->name);
  jmp_buf target;
  jmp_buf *outer = out_of_memory_target;
  if (setjmp(target)) {
    out_of_memory_target = outer;
    free_run_blocks(&target);
    return fail(status, DLC_ERROR_OUT_OF_MEMORY,
                "model '%s' could not allocate %zu bytes", model->name,
                out_of_memory_bytes);
  }
  out_of_memory_target = &target;
  model->entry(inputs, outputs);
  out_of_memory_target = outer;
  return ok(status);
}
