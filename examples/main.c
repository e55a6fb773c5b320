/* Example application: links the library `dlc compile` made from
 * examples/small_cnn.onnx and classifies one input.
 *
 *   dlc compile examples/small_cnn.onnx -o out
 *   cc examples/main.c -Iout -Lout -lsmall_cnn -Wl,-rpath,$PWD/out -lm
 */
#include "small_cnn.h"

#include <math.h>
#include <stdio.h>

int main(void) {
  static float image[SMALL_CNN_INPUT0_NUM_ELEMENTS];
  static float logits[SMALL_CNN_OUTPUT0_NUM_ELEMENTS];
  static float probs[SMALL_CNN_OUTPUT1_NUM_ELEMENTS];
  /* A deterministic input the tests reproduce: sin(0.1 * i). */
  for (int i = 0; i < SMALL_CNN_INPUT0_NUM_ELEMENTS; ++i)
    image[i] = sinf(0.1f * (float)i);

  const int64_t input_shape[] = SMALL_CNN_INPUT0_SHAPE;
  const int64_t logits_shape[] = SMALL_CNN_OUTPUT0_SHAPE;
  const int64_t probs_shape[] = SMALL_CNN_OUTPUT1_SHAPE;
  dlc_tensor inputs[] = {
      {image, input_shape, SMALL_CNN_INPUT0_RANK, DLC_FLOAT32}};
  dlc_tensor outputs[] = {
      {logits, logits_shape, SMALL_CNN_OUTPUT0_RANK, DLC_FLOAT32},
      {probs, probs_shape, SMALL_CNN_OUTPUT1_RANK, DLC_FLOAT32}};
  dlc_status status;
  if (small_cnn_run(inputs, 1, outputs, 2, &status) != DLC_OK) {
    fprintf(stderr, "small_cnn_run failed: %s\n", status.message);
    return 1;
  }
  int best = 0;
  for (int k = 0; k < SMALL_CNN_OUTPUT1_NUM_ELEMENTS; ++k) {
    printf("%s[%d] = %.9g\n", SMALL_CNN_OUTPUT1_NAME, k, probs[k]);
    if (probs[k] > probs[best])
      best = k;
  }
  printf("class: %d\n", best);

  /* A wrong shape is refused with a message, not a crash. */
  const int64_t wrong_shape[] = {1, 3, 8, 8};
  inputs[0].shape = wrong_shape;
  if (small_cnn_run(inputs, 1, outputs, 2, &status) == DLC_OK) {
    fprintf(stderr, "a wrong input shape was accepted\n");
    return 1;
  }
  printf("wrong shape refused: %s\n", status.message);
  return 0;
}
