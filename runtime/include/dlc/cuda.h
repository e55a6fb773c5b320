/* dlc runtime, CUDA part: what the glue of a library compiled with
 * --target=cuda calls. Not part of the public ABI (applications call
 * <model>_run and <model>_run_device from the model's header).
 */
#ifndef DLC_CUDA_H
#define DLC_CUDA_H

#include "dlc/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dlc_cuda_model {
  const dlc_model_info *info;
  const char *name;
  const char *chip;           /* "sm_90" */
  int32_t compute_capability; /* 90: the least a GPU must have */
  /* The compiled host code: one device pointer per input, then per output.
   * It allocates, uploads weights and launches through the runtime. */
  void (*compute)(void **buffers);
} dlc_cuda_model;

/* Copies the (validated) host inputs to the GPU, runs the model there and
 * copies the outputs back. Loads the driver on first use; without one (or
 * without a GPU) returns DLC_ERROR_UNAVAILABLE and says why. */
dlc_status_code dlc_cuda_run(const dlc_cuda_model *model,
                             const dlc_tensor *inputs, dlc_tensor *outputs,
                             dlc_status *status);

/* As dlc_cuda_run, with the tensors' data already in GPU memory (device
 * pointers); returns when the outputs are written. */
dlc_status_code dlc_cuda_run_device(const dlc_cuda_model *model,
                                    const dlc_tensor *inputs,
                                    dlc_tensor *outputs, dlc_status *status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DLC_CUDA_H */
