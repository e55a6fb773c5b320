// RUN: dlc-opt %s -dlc-gpu-emulate -verify-diagnostics
// A barrier outside a loop of the kernel's body is not emulated.
func.func @barrier_at_top_level(%x: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  // expected-error@+1 {{cannot emulate this kernel: its barriers are not in one loop of its body}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    gpu.barrier
    gpu.terminator
  }
  return
}
