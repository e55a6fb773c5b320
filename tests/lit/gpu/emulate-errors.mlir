// RUN: dlc-opt %s -split-input-file -dlc-gpu-emulate -verify-diagnostics
// Barriers the emulator cannot split the kernel at are refused.

// A barrier in a branch (threads could disagree on reaching it).
func.func @barrier_in_a_branch(%x: memref<4xf32>, %flag: i1) {
  %c1 = arith.constant 1 : index
  // expected-error@+1 {{cannot emulate this kernel: a barrier is nested in an op other than a loop}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.if %flag {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// -----

// A barrier loop whose trip count is read from memory.
func.func @bound_from_memory(%x: memref<4xf32>, %n: memref<index>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error@+1 {{cannot emulate this kernel: the bounds of its barrier loop depend on memory}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %end = memref.load %n[] : memref<index>
    scf.for %k = %c0 to %end step %c1 {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}

// -----

// A barrier nested two loops deep.
func.func @barrier_two_loops_deep(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error@+1 {{cannot emulate this kernel: a barrier is nested in its loop's body}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.for %i = %c0 to %c1 step %c1 {
      scf.for %j = %c0 to %c1 step %c1 {
        gpu.barrier
      }
    }
    gpu.terminator
  }
  return
}
