// The runtime's checks: every wrong call is refused with a message naming
// the tensor, and the model runs only on valid tensors.
#include "dlc/runtime.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <gtest/gtest.h>
#include <malloc.h>
#include <string>
#include <thread>
#include <vector>

// The compiled code's allocation functions (runtime.c).
extern "C" void *_mlir_memref_to_llvm_alloc(size_t bytes);
extern "C" void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                    size_t bytes);
extern "C" void _mlir_memref_to_llvm_free(void *pointer);

namespace {

const int64_t kInputShape[] = {2, 3};
const int64_t kOutputShape[] = {2};
const dlc_tensor_info kInputs[] = {{"x", DLC_FLOAT32, 2, kInputShape}};
const dlc_tensor_info kOutputs[] = {{"sum", DLC_FLOAT32, 1, kOutputShape}};

// Row sums of a 2x3 matrix: a stand-in for compiled code.
void rowSums(const dlc_tensor *inputs, dlc_tensor *outputs) {
  const float *x = static_cast<const float *>(inputs[0].data);
  float *y = static_cast<float *>(outputs[0].data);
  for (int r = 0; r < 2; ++r)
    y[r] = x[3 * r] + x[3 * r + 1] + x[3 * r + 2];
}

const dlc_model_info kModel = {DLC_ABI_VERSION, "rows", 1, kInputs, 1,
                               kOutputs,        rowSums};

struct Call {
  float x[6] = {1, 2, 3, 4, 5, 6};
  float y[2] = {0, 0};
  int64_t inShape[2] = {2, 3};
  int64_t outShape[1] = {2};
  dlc_tensor input = {x, inShape, 2, DLC_FLOAT32};
  dlc_tensor output = {y, outShape, 1, DLC_FLOAT32};
  dlc_status status;
  dlc_status_code run(int32_t numInputs = 1, int32_t numOutputs = 1) {
    return dlc_model_run(&kModel, &input, numInputs, &output, numOutputs,
                         &status);
  }
};

TEST(Runtime, RunsValidCall) {
  Call call;
  ASSERT_EQ(call.run(), DLC_OK) << call.status.message;
  EXPECT_EQ(call.y[0], 6.0f);
  EXPECT_EQ(call.y[1], 15.0f);
}

TEST(Runtime, RejectsWrongInputCount) {
  Call call;
  EXPECT_EQ(call.run(0, 1), DLC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(call.status.message, "model 'rows' takes 1 input(s), 0 given");
  EXPECT_EQ(call.y[0], 0.0f) << "the model must not run";
}

TEST(Runtime, RejectsWrongOutputCount) {
  Call call;
  EXPECT_EQ(call.run(1, 2), DLC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(call.status.message, "model 'rows' has 1 output(s), 2 given");
}

TEST(Runtime, RejectsOutputOverlappingAnInput) {
  // Compiled models write outputs while still reading inputs.
  Call call;
  call.output.data = call.x + 4; // the input's last two floats
  EXPECT_EQ(call.run(), DLC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(call.status.message, "output 0 ('sum') overlaps input 0 ('x')");
  EXPECT_EQ(call.x[4], 5.0f) << "the model must not run";
}

TEST(Runtime, AcceptsAdjacentBuffers) {
  float both[8] = {1, 2, 3, 4, 5, 6, 0, 0};
  Call call;
  call.input.data = both;
  call.output.data = both + 6; // right after the input's last byte
  ASSERT_EQ(call.run(), DLC_OK) << call.status.message;
  EXPECT_EQ(both[6], 6.0f);
  EXPECT_EQ(both[7], 15.0f);
}

TEST(Runtime, RejectsWrongShapeNamingTheTensor) {
  Call call;
  call.inShape[1] = 4;
  EXPECT_EQ(call.run(), DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(call.status.message,
               "input 0 ('x') has shape [2,4], expected [2,3]");
}

TEST(Runtime, RejectsWrongRank) {
  Call call;
  call.output.rank = 2;
  EXPECT_EQ(call.run(), DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_NE(std::string(call.status.message).find("output 0 ('sum')"),
            std::string::npos);
}

TEST(Runtime, RejectsWrongDtype) {
  Call call;
  call.input.dtype = DLC_INT64;
  EXPECT_EQ(call.run(), DLC_ERROR_DTYPE_MISMATCH);
  EXPECT_STREQ(call.status.message,
               "input 0 ('x') has dtype int64, expected float32");
}

TEST(Runtime, RejectsNullData) {
  Call call;
  call.output.data = nullptr;
  EXPECT_EQ(call.run(), DLC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(call.status.message, "output 0 ('sum') has no data pointer");
}

// A tensor with no elements has no bytes: a null pointer is valid for it.
const int64_t kEmptyShape[] = {0, 3};
const dlc_tensor_info kEmptyInputs[] = {{"e", DLC_FLOAT32, 2, kEmptyShape}};
const dlc_model_info kEmptyModel = {DLC_ABI_VERSION,
                                    "empty",
                                    1,
                                    kEmptyInputs,
                                    0,
                                    nullptr,
                                    [](const dlc_tensor *, dlc_tensor *) {}};

TEST(Runtime, AcceptsNullDataForEmptyTensor) {
  int64_t shape[2] = {0, 3};
  dlc_tensor empty = {nullptr, shape, 2, DLC_FLOAT32};
  dlc_status status;
  EXPECT_EQ(dlc_model_run(&kEmptyModel, &empty, 1, nullptr, 0, &status), DLC_OK)
      << status.message;
}

TEST(Runtime, RejectsNullModelAndToleratesNullStatus) {
  Call call;
  EXPECT_EQ(dlc_model_run(nullptr, &call.input, 1, &call.output, 1, nullptr),
            DLC_ERROR_INVALID_ARGUMENT);
  call.inShape[0] = 9;
  EXPECT_EQ(dlc_model_run(&kModel, &call.input, 1, &call.output, 1, nullptr),
            DLC_ERROR_SHAPE_MISMATCH);
}

// Dynamic dims: a symbol binds to the first input's size; every other dim
// with it must agree, outputs included.
const int64_t kBatchShape[] = {-1, 2};
const char *const kBatchSymbols[] = {"n", nullptr};
const int64_t kStaticShape[] = {2};
const dlc_tensor_info kBatchInputs[] = {
    {"a", DLC_FLOAT32, 2, kBatchShape, kBatchSymbols},
    {"b", DLC_FLOAT32, 2, kBatchShape, kBatchSymbols}};
const dlc_tensor_info kBatchOutputs[] = {
    {"y", DLC_FLOAT32, 2, kBatchShape, kBatchSymbols},
    {"w", DLC_FLOAT32, 1, kStaticShape, nullptr}};
const dlc_model_info kBatchModel = {DLC_ABI_VERSION,
                                    "batch",
                                    2,
                                    kBatchInputs,
                                    2,
                                    kBatchOutputs,
                                    [](const dlc_tensor *, dlc_tensor *) {}};

TEST(Runtime, BindsDimSymbols) {
  float a[6] = {}, b[6] = {}, y[6] = {}, w[2] = {};
  int64_t three[2] = {3, 2}, two[2] = {2, 2}, wShape[1] = {2};
  dlc_tensor inputs[2] = {{a, three, 2, DLC_FLOAT32},
                          {b, three, 2, DLC_FLOAT32}};
  dlc_tensor outputs[2] = {{y, three, 2, DLC_FLOAT32},
                           {w, wShape, 1, DLC_FLOAT32}};
  dlc_status status;
  EXPECT_EQ(dlc_model_run(&kBatchModel, inputs, 2, outputs, 2, &status), DLC_OK)
      << status.message;
  int64_t shape[2] = {0, 0};
  ASSERT_EQ(dlc_model_output_shape(&kBatchModel, inputs, 2, 0, shape, &status),
            DLC_OK);
  EXPECT_EQ(shape[0], 3);
  EXPECT_EQ(shape[1], 2);
  EXPECT_EQ(dlc_model_output_shape(&kBatchModel, inputs, 2, 2, shape, &status),
            DLC_ERROR_INVALID_ARGUMENT);

  inputs[1].shape = two;
  EXPECT_EQ(dlc_model_run(&kBatchModel, inputs, 2, outputs, 2, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "input 1 ('b') has dim 0 ('n') = 2, but input 0 ('a') gives "
               "'n' = 3");
  inputs[1].shape = three;
  outputs[0].shape = two;
  EXPECT_EQ(dlc_model_run(&kBatchModel, inputs, 2, outputs, 2, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "output 0 ('y') has dim 0 ('n') = 2, but input 0 ('a') gives "
               "'n' = 3");
  // A static dim is still compared, and the message shows the symbol.
  int64_t wide[2] = {3, 4};
  inputs[0].shape = wide;
  EXPECT_EQ(dlc_model_run(&kBatchModel, inputs, 2, outputs, 2, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message, "input 0 ('a') has shape [3,4], expected [n,2]");
  int64_t negative[2] = {-1, 2};
  inputs[0].shape = negative;
  EXPECT_EQ(dlc_model_run(&kBatchModel, inputs, 2, outputs, 2, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "input 0 ('a') has dim 0 = -1, which no tensor can have");
  // No samples: empty tensors without data are valid.
  int64_t none[2] = {0, 2};
  dlc_tensor empty[2] = {{nullptr, none, 2, DLC_FLOAT32},
                         {nullptr, none, 2, DLC_FLOAT32}};
  dlc_tensor emptyOut[2] = {{nullptr, none, 2, DLC_FLOAT32},
                            {w, wShape, 1, DLC_FLOAT32}};
  EXPECT_EQ(dlc_model_run(&kBatchModel, empty, 2, emptyOut, 2, &status), DLC_OK)
      << status.message;
}

TEST(Runtime, RefusesSizesOutsideTheDimRange) {
  static const dlc_dim_range ranges[] = {{"n", 2, 3}};
  dlc_model_info model = kBatchModel;
  model.num_dim_ranges = 1;
  model.dim_ranges = ranges;
  float a[8] = {}, b[8] = {}, y[8] = {}, w[2] = {};
  int64_t shape[2] = {3, 2}, wShape[1] = {2};
  dlc_tensor inputs[2] = {{a, shape, 2, DLC_FLOAT32},
                          {b, shape, 2, DLC_FLOAT32}};
  dlc_tensor outputs[2] = {{y, shape, 2, DLC_FLOAT32},
                           {w, wShape, 1, DLC_FLOAT32}};
  dlc_status status;
  EXPECT_EQ(dlc_model_run(&model, inputs, 2, outputs, 2, &status), DLC_OK)
      << status.message;
  for (int64_t size : {1, 4}) {
    shape[0] = size;
    EXPECT_EQ(dlc_model_run(&model, inputs, 2, outputs, 2, &status),
              DLC_ERROR_SHAPE_MISMATCH);
    EXPECT_EQ(std::string(status.message),
              "input 0 ('a') gives 'n' = " + std::to_string(size) +
                  ", but this library serves 'n' from 2 to 3 (compiled with "
                  "--dim-range)");
    int64_t out[2];
    EXPECT_EQ(dlc_model_output_shape(&model, inputs, 2, 0, out, &status),
              DLC_ERROR_SHAPE_MISMATCH);
  }
  // No upper bound.
  static const dlc_dim_range atLeast[] = {{"n", 2, -1}};
  model.dim_ranges = atLeast;
  shape[0] = 4;
  EXPECT_EQ(dlc_model_run(&model, inputs, 2, outputs, 2, &status), DLC_OK)
      << status.message;
  shape[0] = 1;
  EXPECT_EQ(dlc_model_run(&model, inputs, 2, outputs, 2, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "input 0 ('a') gives 'n' = 1, but this library serves 'n' of at "
               "least 2 (compiled with --dim-range)");
}

// Marks each index it is given; counts calls.
struct Coverage {
  std::vector<std::atomic<int>> hits;
  std::atomic<int> calls{0};
  explicit Coverage(int64_t count) : hits(count) {}
};

void markRange(void *context, int64_t begin, int64_t end) {
  auto *coverage = static_cast<Coverage *>(context);
  ++coverage->calls;
  for (int64_t i = begin; i < end; ++i)
    ++coverage->hits[i];
}

TEST(Runtime, ParallelForCoversEveryIndexOnce) {
  for (int32_t threads : {1, 2, 3, 8}) {
    dlc_set_num_threads(threads);
    EXPECT_EQ(dlc_get_num_threads(), threads);
    for (int64_t count : {1, 2, 5, 1000}) {
      Coverage coverage(count);
      dlc_parallel_for(count, markRange, &coverage);
      for (int64_t i = 0; i < count; ++i)
        ASSERT_EQ(coverage.hits[i].load(), 1)
            << "index " << i << " of " << count << " with " << threads
            << " threads";
      // One call without threads; else a few chunks per thread, never more
      // chunks than indices.
      EXPECT_EQ(coverage.calls.load(), threads == 1
                                           ? 1
                                           : static_cast<int>(std::min<int64_t>(
                                                 int64_t{threads} * 4, count)));
    }
  }
  dlc_set_num_threads(0);
  EXPECT_GE(dlc_get_num_threads(), 1) << "0 means one per online core";
}

// The first chunk to start waits until every other chunk has run: with
// chunks fixed per thread its thread's other chunks could never run.
struct StuckThread {
  static constexpr int64_t kCount = 64;
  std::atomic<int> started{0}, finished{0};
  std::atomic<bool> others_ran{false};
};

void runStuck(void *context, int64_t begin, int64_t end) {
  auto *state = static_cast<StuckThread *>(context);
  if (state->started++ == 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (state->finished.load() < 7 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    state->others_ran = state->finished.load() == 7;
  }
  ++state->finished;
}

TEST(Runtime, ParallelForLetsOtherThreadsTakeAStuckThreadsChunks) {
  dlc_set_num_threads(2);
  StuckThread state;
  dlc_parallel_for(StuckThread::kCount, runStuck, &state);
  EXPECT_EQ(state.finished.load(), 8) << "2 threads x 4 chunks";
  EXPECT_TRUE(state.others_ran.load())
      << "the chunks were not taken while one thread was stuck";
  dlc_set_num_threads(0);
}

TEST(Runtime, ParallelForWithNothingToDo) {
  Coverage coverage(1);
  dlc_parallel_for(0, markRange, &coverage);
  EXPECT_EQ(coverage.calls.load(), 0);
}

TEST(Runtime, DescribesDtypes) {
  EXPECT_EQ(dlc_dtype_size(DLC_FLOAT32), 4u);
  EXPECT_EQ(dlc_dtype_size(DLC_INT64), 8u);
  EXPECT_EQ(dlc_dtype_size(DLC_DTYPE_INVALID), 0u);
  EXPECT_STREQ(dlc_dtype_name(DLC_BOOL), "bool");
  EXPECT_EQ(dlc_tensor_info_num_elements(&kInputs[0]), 6);
}

TEST(Runtime, NarrowDtypesTakeOneByteBfloat16Two) {
  // ONNX's TensorProto numbers; 4- and 2-bit types are not packed.
  EXPECT_EQ(DLC_BFLOAT16, 16);
  EXPECT_EQ(DLC_INT2, 26);
  EXPECT_EQ(dlc_dtype_size(DLC_BFLOAT16), 2u);
  for (dlc_dtype dtype : {DLC_FLOAT8E4M3FN, DLC_FLOAT8E4M3FNUZ, DLC_FLOAT8E5M2,
                          DLC_FLOAT8E5M2FNUZ, DLC_UINT4, DLC_INT4,
                          DLC_FLOAT4E2M1, DLC_FLOAT8E8M0, DLC_UINT2, DLC_INT2})
    EXPECT_EQ(dlc_dtype_size(dtype), 1u) << dlc_dtype_name(dtype);
  EXPECT_STREQ(dlc_dtype_name(DLC_FLOAT8E5M2), "float8e5m2");
  EXPECT_STREQ(dlc_dtype_name(DLC_INT4), "int4");
  EXPECT_STREQ(dlc_dtype_name(static_cast<dlc_dtype>(14)), "invalid");
  EXPECT_EQ(dlc_dtype_size(static_cast<dlc_dtype>(14)), 0u);
}

} // namespace

// A stand-in for compiled code whose second allocation fails: the first
// buffer (written, so that its pages are really held) is never freed by the
// code, as the jump skips the rest of the function.
void allocatesThenRunsOutOfMemory(const dlc_tensor *, dlc_tensor *) {
  const size_t held = 8 << 20;
  auto *buffer = static_cast<char *>(_mlir_memref_to_llvm_alloc(held));
  std::fill(buffer, buffer + held, 1);
  void *huge = _mlir_memref_to_llvm_alloc(SIZE_MAX / 2);
  _mlir_memref_to_llvm_free(huge); // not reached
  _mlir_memref_to_llvm_free(buffer);
}

// Runs `model` four times, each run failing to allocate, and checks that
// glibc's count of bytes in use (mmapped blocks included) did not grow:
// each run loses megabytes unless the runtime frees them.
void expectFailedRunsFreeTheirMemory(const dlc_model_info &model) {
  Call call;
  struct mallinfo2 before = mallinfo2();
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(
        dlc_model_run(&model, &call.input, 1, &call.output, 1, &call.status),
        DLC_ERROR_OUT_OF_MEMORY);
    EXPECT_NE(std::string(call.status.message).find("could not allocate"),
              std::string::npos)
        << call.status.message;
  }
  struct mallinfo2 after = mallinfo2();
  EXPECT_LT(after.uordblks + after.hblkhd,
            before.uordblks + before.hblkhd + (size_t(1) << 20));
}

TEST(Runtime, OutOfMemoryFreesWhatTheRunAllocated) {
  const dlc_model_info model = {DLC_ABI_VERSION,
                                "greedy",
                                1,
                                kInputs,
                                1,
                                kOutputs,
                                allocatesThenRunsOutOfMemory};
  expectFailedRunsFreeTheirMemory(model);
}

// The same inside a parallel loop: every chunk holds a buffer, chunk 2
// also fails to allocate; the loop's other chunks finish, then the run
// unwinds and frees what any chunk left (a nested loop runs in its chunk).
void chunkRunsOutOfMemory(void *, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    const size_t held = 4 << 20;
    auto *buffer = static_cast<char *>(_mlir_memref_to_llvm_alloc(held));
    std::fill(buffer, buffer + held, 1);
    dlc_parallel_for(
        3, [](void *, int64_t, int64_t) {}, nullptr);
    if (i == 2)
      _mlir_memref_to_llvm_free(_mlir_memref_to_llvm_alloc(SIZE_MAX / 2));
    else
      _mlir_memref_to_llvm_free(buffer);
  }
}

void parallelRunsOutOfMemory(const dlc_tensor *, dlc_tensor *) {
  dlc_parallel_for(8, chunkRunsOutOfMemory, nullptr);
  ADD_FAILURE() << "the run went on after a failed allocation";
}

TEST(Runtime, OutOfMemoryInAParallelLoopUnwindsTheRun) {
  const dlc_model_info model = {
      DLC_ABI_VERSION, "greedy_loop",          1, kInputs, 1,
      kOutputs,        parallelRunsOutOfMemory};
  dlc_set_num_threads(4);
  expectFailedRunsFreeTheirMemory(model);
  // The pool still runs loops.
  Coverage coverage(100);
  dlc_parallel_for(100, markRange, &coverage);
  for (auto &hit : coverage.hits)
    EXPECT_EQ(hit.load(), 1);
  dlc_set_num_threads(0);
}

TEST(Runtime, AllocationsKeepTheirAlignment) {
  void *plain = _mlir_memref_to_llvm_alloc(24);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(plain) % 16, 0u);
  _mlir_memref_to_llvm_free(plain);
  for (size_t alignment : {8, 16, 32, 64, 128, 4096}) {
    void *aligned = _mlir_memref_to_llvm_aligned_alloc(alignment, 100);
    ASSERT_NE(aligned, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(aligned) % alignment, 0u)
        << alignment;
    _mlir_memref_to_llvm_free(aligned);
  }
  _mlir_memref_to_llvm_free(nullptr);
}

// Inputs that decide shapes, checked before the run: the values must give
// the output shape the library was compiled for.
const int64_t kDataShape[] = {2, 3, 4};
const int64_t kThree[] = {3}, kOne[] = {1}, kScalar[] = {1};
const dlc_tensor_info kCheckedInputs[] = {
    {"x", DLC_FLOAT32, 3, kDataShape, nullptr},
    {"shape", DLC_INT64, 1, kThree, nullptr},
    {"starts", DLC_INT32, 1, kOne, nullptr},
    {"depth", DLC_FLOAT32, 1, kScalar, nullptr}};
const int64_t kReshaped[] = {4, 2, 3}, kSliced[] = {2, 3, 2}, kDepth[] = {10};
const int64_t kEnds[] = {100}, kAxes[] = {-1}, kSteps[] = {1};
const dlc_value_part kSliceParts[] = {
    {2, 0, nullptr}, {-1, 1, kEnds}, {-1, 1, kAxes}, {-1, 1, kSteps}};
const dlc_value_check kChecks[] = {
    {1, DLC_CHECK_RESHAPE, "Reshape 'r'", 3, kReshaped, 3, kDataShape, 0, 0,
     nullptr},
    {2, DLC_CHECK_SLICE, "Slice 's'", 3, kSliced, 3, kDataShape, 0, 4,
     kSliceParts},
    {3, DLC_CHECK_EQUAL, "OneHot 'o'", 1, kDepth, 0, nullptr, 0, 0, nullptr}};
int checkedRuns = 0;
const dlc_model_info kCheckedModel = {
    DLC_ABI_VERSION,
    "checked",
    4,
    kCheckedInputs,
    0,
    nullptr,
    [](const dlc_tensor *, dlc_tensor *) { ++checkedRuns; },
    nullptr,
    3,
    kChecks};

TEST(Runtime, ChecksValuesThatDecideShapes) {
  float x[24] = {}, depth = 10.0f;
  int64_t shape[3] = {4, -1, 3};
  int32_t starts[1] = {2};
  dlc_tensor inputs[4] = {{x, kDataShape, 3, DLC_FLOAT32},
                          {shape, kThree, 1, DLC_INT64},
                          {starts, kOne, 1, DLC_INT32},
                          {&depth, kScalar, 1, DLC_FLOAT32}};
  dlc_status status;
  checkedRuns = 0;
  ASSERT_EQ(dlc_model_run(&kCheckedModel, inputs, 4, nullptr, 0, &status),
            DLC_OK)
      << status.message;
  EXPECT_EQ(checkedRuns, 1);
  starts[0] = -2; // the last two of 4 again
  shape[0] = 0;   // copies dim 0 (2): [2, -1, 3] gives [2, 4, 3]
  EXPECT_EQ(dlc_model_run(&kCheckedModel, inputs, 4, nullptr, 0, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "with input 1 ('shape') = [0,-1,3], Reshape 'r' would have the "
               "output shape [2,4,3], but this library was compiled for "
               "[4,2,3], the shape the model declares");
  shape[0] = -1;
  EXPECT_EQ(dlc_model_run(&kCheckedModel, inputs, 4, nullptr, 0, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "input 1 ('shape') = [-1,-1,3]: not valid for Reshape 'r'");
  shape[0] = 4;
  starts[0] = 1;
  EXPECT_EQ(dlc_model_run(&kCheckedModel, inputs, 4, nullptr, 0, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "with the values of input 2 ('starts'), compiled-in values, "
               "compiled-in values, compiled-in values = [1,100,-1,1], Slice "
               "'s' would have the output shape [2,3,3], but this library was "
               "compiled for [2,3,2], the shape the model declares");
  starts[0] = 2;
  depth = 9.5f;
  EXPECT_EQ(dlc_model_run(&kCheckedModel, inputs, 4, nullptr, 0, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "input 3 ('depth') = [9], but this library was compiled for "
               "[10] (the output shape the model declares for OneHot 'o')");
  // Checked by validation too, and so by the output-shape query; the
  // refused runs never ran.
  EXPECT_EQ(dlc_model_validate(&kCheckedModel, inputs, 4, nullptr, 0, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_EQ(checkedRuns, 1);
}

// Outputs whose shape depends on the data: the glue copies the leading
// entries of the compiled code's largest-shape result into a block the
// caller releases.
extern "C" int dlc_bounded_output(dlc_tensor *output, const void *bounded,
                                  dlc_dtype dtype, int32_t rank,
                                  const int64_t *bound, int32_t dim,
                                  int64_t count);

TEST(Runtime, ChecksResizeScales) {
  // Resize of [2, 3, 4] along axes 1 and 2 to [2, 7, 2].
  static const int64_t axes[] = {1, 2}, resized[] = {2, 7, 2}, two[] = {2};
  static const dlc_value_part parts[] = {{-1, 2, axes}};
  static const dlc_value_check check[] = {{1, DLC_CHECK_RESIZE, "Resize 'up'",
                                           3, resized, 3, kDataShape, 0, 1,
                                           parts}};
  static const dlc_tensor_info modelInputs[] = {
      {"x", DLC_FLOAT32, 3, kDataShape, nullptr},
      {"scales", DLC_FLOAT32, 1, two, nullptr}};
  dlc_model_info model = kCheckedModel;
  model.num_inputs = 2;
  model.inputs = modelInputs;
  model.num_value_checks = 1;
  model.value_checks = check;
  float x[24] = {}, scales[2] = {2.4f, 0.5f};
  dlc_tensor inputs[2] = {{x, kDataShape, 3, DLC_FLOAT32},
                          {scales, two, 1, DLC_FLOAT32}};
  dlc_status status;
  EXPECT_EQ(dlc_model_validate(&model, inputs, 2, nullptr, 0, &status), DLC_OK)
      << status.message;
  scales[0] = 2.6f; // floor(3 * 2.6) = 7, still
  EXPECT_EQ(dlc_model_validate(&model, inputs, 2, nullptr, 0, &status), DLC_OK)
      << status.message;
  scales[0] = 2.2f;
  EXPECT_EQ(dlc_model_validate(&model, inputs, 2, nullptr, 0, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "with input 1 ('scales') = [2.2,0.5], Resize 'up' would have "
               "the output shape [2,6,2], but this library was compiled for "
               "[2,7,2], the shape the model declares");
  for (float bad : {0.0f, -2.4f, NAN, INFINITY}) {
    scales[0] = bad;
    EXPECT_EQ(dlc_model_validate(&model, inputs, 2, nullptr, 0, &status),
              DLC_ERROR_SHAPE_MISMATCH);
    EXPECT_NE(std::string(status.message).find(": not valid for Resize 'up'"),
              std::string::npos)
        << status.message;
  }
  // Doubles are read as such; other element types are refused.
  double wide[2] = {2.4, 0.5};
  inputs[1] = {wide, two, 1, DLC_FLOAT64};
  dlc_tensor_info doubleInputs[2] = {modelInputs[0], modelInputs[1]};
  doubleInputs[1].dtype = DLC_FLOAT64;
  model.inputs = doubleInputs;
  EXPECT_EQ(dlc_model_validate(&model, inputs, 2, nullptr, 0, &status), DLC_OK)
      << status.message;
  int64_t integers[2] = {2, 1};
  inputs[1] = {integers, two, 1, DLC_INT64};
  doubleInputs[1].dtype = DLC_INT64;
  EXPECT_EQ(dlc_model_validate(&model, inputs, 2, nullptr, 0, &status),
            DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "input 1 ('scales') = [0,0]: not valid for Resize 'up'");
}

TEST(Runtime, LibraryAllocatesDataDependentOutputs) {
  const int64_t bound[2] = {2, 4};
  const int64_t bounded[8] = {1, 2, 3, -1, 5, 6, 7, -1};
  dlc_tensor output = {nullptr, nullptr, 0, DLC_DTYPE_INVALID};
  ASSERT_EQ(dlc_bounded_output(&output, bounded, DLC_INT64, 2, bound, 1, 3), 1);
  ASSERT_EQ(output.rank, 2);
  EXPECT_EQ(output.dtype, DLC_INT64);
  EXPECT_EQ(output.shape[0], 2);
  EXPECT_EQ(output.shape[1], 3);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(output.data) % 64, 0u);
  const int64_t *data = static_cast<const int64_t *>(output.data);
  EXPECT_EQ(std::vector<int64_t>(data, data + 6),
            (std::vector<int64_t>{1, 2, 3, 5, 6, 7}));
  dlc_free_output(&output);
  EXPECT_EQ(output.data, nullptr);
  dlc_free_output(&output); // twice, or never allocated: nothing
  // None selected: an empty output, still one block to release.
  ASSERT_EQ(dlc_bounded_output(&output, bounded, DLC_INT64, 2, bound, 1, 0), 1);
  EXPECT_EQ(output.shape[1], 0);
  dlc_free_output(&output);

  // Validation leaves such outputs to the run: whatever they hold.
  static const int64_t kShape[1] = {-1};
  static const char *const kSymbols[1] = {"data"};
  static const dlc_tensor_info kOut[1] = {
      {"y", DLC_INT64, 1, kShape, kSymbols}};
  static const uint8_t kLibrary[1] = {1};
  static int runs = 0;
  const dlc_model_info model = {
      DLC_ABI_VERSION,
      "nz",
      0,
      nullptr,
      1,
      kOut,
      [](const dlc_tensor *, dlc_tensor *) { ++runs; },
      nullptr,
      0,
      nullptr,
      kLibrary};
  dlc_tensor garbage = {reinterpret_cast<void *>(16), nullptr, 7, DLC_FLOAT32};
  dlc_status status;
  EXPECT_EQ(dlc_model_run(&model, nullptr, 0, &garbage, 1, &status), DLC_OK)
      << status.message;
  EXPECT_EQ(runs, 1);
  int64_t shape[1];
  EXPECT_EQ(dlc_model_output_shape(&model, nullptr, 0, 0, shape, &status),
            DLC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message,
               "output 0 ('y') has a shape that depends on the data: the "
               "library allocates it during the run");
}
