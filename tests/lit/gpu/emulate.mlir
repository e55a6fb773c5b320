// RUN: dlc-opt %s -split-input-file -dlc-gpu-emulate | FileCheck %s
// gpu.launch -> loops over blocks and threads on the CPU, for checking the
// GPU mapping without a GPU.

// No barrier: block loops (z, y, x), then thread loops, around the body.
// CHECK-LABEL: func @elementwise
// CHECK-NOT: gpu.
// CHECK: scf.for %[[BZ:.*]] = %c0{{.*}} to %c1{{.*}}
// CHECK: scf.for %[[BY:.*]] = %c0{{.*}} to %c1{{.*}}
// CHECK: scf.for %[[BX:.*]] = %c0{{.*}} to %c2{{.*}}
// CHECK: scf.for %[[TZ:.*]] = %c0{{.*}} to %c1{{.*}}
// CHECK: scf.for %[[TY:.*]] = %c0{{.*}} to %c1{{.*}}
// CHECK: scf.for %[[TX:.*]] = %c0{{.*}} to %c4{{.*}}
// CHECK: %[[MUL:.*]] = arith.muli %[[BX]], %c4{{.*}}
// CHECK: %[[ID:.*]] = arith.addi %[[MUL]], %[[TX]]
// CHECK: memref.store %{{.*}}, %arg0[%[[ID]]]
// CHECK-NOT: gpu.
func.func @elementwise(%x: memref<8xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %one = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %base = arith.muli %bx, %c4 : index
    %i = arith.addi %base, %tx : index
    memref.store %one, %x[%i] : memref<8xf32>
    gpu.terminator
  }
  return
}

// -----

// Barriers in the body's loop: the loop's body is split at them; the
// shared buffer is a stack buffer, the iter_arg and the value used after
// the barrier live in per-thread arrays (4 threads).
// CHECK-LABEL: func @reverse_in_shared_memory
// CHECK-DAG: %[[SHARED:.*]] = memref.alloca() : memref<4xf32>
// CHECK-DAG: %[[CARRIED:.*]] = memref.alloca() : memref<4xf32>
// CHECK-DAG: %[[SPILLED:.*]] = memref.alloca() : memref<4xf32>
// CHECK: scf.for %[[T0:.*]] = %c0{{.*}} to %c4{{.*}}
// CHECK: memref.store %{{.*}}, %[[CARRIED]][%{{.*}}]
// CHECK: scf.for %[[K:.*]] = %c0{{.*}} to %c2{{.*}}
// First piece: each thread stores its element.
// CHECK: memref.store %{{.*}}, %[[SHARED]]
// Second piece: each reads its mirror element, adds it to its sum.
// CHECK: memref.load %[[CARRIED]]
// CHECK: memref.load %[[SHARED]]
// CHECK: %[[ADD:.*]] = arith.addf
// CHECK: memref.store %[[ADD]], %[[SPILLED]]
// Third piece: the loop's yield.
// CHECK: %[[BACK:.*]] = memref.load %[[SPILLED]]
// CHECK: memref.store %[[BACK]], %[[CARRIED]]
// After the loop: the result, from the per-thread array.
// CHECK: %[[RESULT:.*]] = memref.load %[[CARRIED]]
// CHECK: memref.store %[[RESULT]], %arg1
func.func @reverse_in_shared_memory(%x: memref<2x4xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<4xf32, #gpu.address_space<workgroup>>) {
    %mirror = arith.subi %c3, %tx : index
    %sum = scf.for %k = %c0 to %c2 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%k, %tx] : memref<2x4xf32>
      memref.store %v, %tile[%tx] : memref<4xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %w = memref.load %tile[%mirror] : memref<4xf32, #gpu.address_space<workgroup>>
      %next = arith.addf %acc, %w : f32
      gpu.barrier
      scf.yield %next : f32
    }
    memref.store %sum, %y[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

// A barrier at the top level too (a prefetching prologue before the loop):
// the top level is split at it. The value read before it (%first) crosses
// into the loop's pieces through a per-thread array; the loop's result
// into the piece after the loop through its carried array.
// CHECK-LABEL: func @prologue_before_the_barrier_loop
// CHECK-DAG: %[[SHARED:.*]] = memref.alloca() : memref<4xf32>
// CHECK-DAG: %[[CARRIED:.*]] = memref.alloca() : memref<4xf32>
// CHECK-DAG: %[[NEXT:.*]] = memref.alloca() : memref<4xf32>
// CHECK-DAG: %[[FIRST:.*]] = memref.alloca() : memref<4xf32>
// First piece, every thread: its element into shared memory, kept.
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c4{{.*}}
// CHECK: %[[V:.*]] = memref.load %arg0
// CHECK: memref.store %[[V]], %[[FIRST]]
// CHECK: memref.store %[[V]], %[[SHARED]]
// The loop's start value, every thread: %first.
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c4{{.*}}
// CHECK: %[[START:.*]] = memref.load %[[FIRST]]
// CHECK: memref.store %[[START]], %[[CARRIED]]
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c2{{.*}}
// CHECK: memref.load %[[CARRIED]]
// CHECK: memref.load %[[SHARED]]
// CHECK: memref.store %{{.*}}, %[[NEXT]]
// CHECK: memref.load %[[NEXT]]
// CHECK: memref.store %{{.*}}, %[[CARRIED]]
// After the loop, every thread: the result, from the carried array.
// CHECK: %[[R:.*]] = memref.load %[[CARRIED]]
// CHECK: memref.store %[[R]], %arg1
func.func @prologue_before_the_barrier_loop(%x: memref<4xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<4xf32, #gpu.address_space<workgroup>>) {
    %mirror = arith.subi %c3, %tx : index
    %first = memref.load %x[%tx] : memref<4xf32>
    memref.store %first, %tile[%tx] : memref<4xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %sum = scf.for %k = %c0 to %c2 step %c1 iter_args(%acc = %first) -> (f32) {
      %w = memref.load %tile[%mirror] : memref<4xf32, #gpu.address_space<workgroup>>
      %next = arith.addf %acc, %w : f32
      gpu.barrier
      scf.yield %next : f32
    }
    memref.store %sum, %y[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

// A pure op whose region reads a loaded value (the scf.if) is not
// recomputed as a prologue op: it runs in its piece, after the load.
// CHECK-LABEL: func @pure_region_reading_a_load
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c4{{.*}}
// CHECK: %[[V:.*]] = memref.load %arg0
// CHECK: scf.if %arg2
// CHECK: arith.negf %[[V]]
// CHECK: scf.yield %[[V]]
func.func @pure_region_reading_a_load(%x: memref<4xf32>, %y: memref<4xf32>, %flip: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<4xf32, #gpu.address_space<workgroup>>) {
    %mirror = arith.subi %c3, %tx : index
    %v = memref.load %x[%tx] : memref<4xf32>
    %w = scf.if %flip -> (f32) {
      %n = arith.negf %v : f32
      scf.yield %n : f32
    } else {
      scf.yield %v : f32
    }
    memref.store %w, %tile[%tx] : memref<4xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %sum = scf.for %k = %c0 to %c2 step %c1 iter_args(%acc = %w) -> (f32) {
      %r = memref.load %tile[%mirror] : memref<4xf32, #gpu.address_space<workgroup>>
      %next = arith.addf %acc, %r : f32
      gpu.barrier
      scf.yield %next : f32
    }
    memref.store %sum, %y[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}
