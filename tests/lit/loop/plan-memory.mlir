// RUN: dlc-opt %s -split-input-file -dlc-plan-memory | FileCheck %s
// Intermediates move into one 64-byte aligned arena; buffers whose lifetimes
// do not overlap share bytes; a buffer only copied into a result becomes the
// result.

// A chain a -> b -> c: a dies when c is born, so c reuses a's bytes.
// CHECK-LABEL: func @chain
// CHECK-SAME: dlc.arena_bytes = 128 : i64, dlc.naive_bytes = 192 : i64
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<128xi8> to memref<16xf32>
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%c64{{.*}}][] : memref<128xi8> to memref<16xf32>
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<128xi8> to memref<16xf32>
// CHECK-NOT: memref.alloc()
// CHECK: linalg.copy ins(%[[C]] : memref<16xf32>) outs(%arg1
func.func @chain(%x: memref<16xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() : memref<16xf32>
  linalg.copy ins(%x : memref<16xf32>) outs(%a : memref<16xf32>)
  %b = memref.alloc() : memref<16xf32>
  linalg.copy ins(%a : memref<16xf32>) outs(%b : memref<16xf32>)
  %c = memref.alloc() : memref<16xf32>
  linalg.copy ins(%b : memref<16xf32>) outs(%c : memref<16xf32>)
  linalg.copy ins(%c : memref<16xf32>) outs(%out : memref<16xf32>)
  linalg.copy ins(%c : memref<16xf32>) outs(%x : memref<16xf32>)
  return
}

// -----

// Uses through views and inside loops keep a buffer alive to the end of the
// loop: a and b overlap there, so they do not share.
// CHECK-LABEL: func @views_and_loops
// CHECK-SAME: dlc.arena_bytes = 128 : i64, dlc.naive_bytes = 128 : i64
// CHECK-DAG: memref.view %{{.*}}[%c0{{.*}}][] : memref<128xi8> to memref<4x4xf32>
// CHECK-DAG: memref.view %{{.*}}[%c64{{.*}}][] : memref<128xi8> to memref<16xf32>
func.func @views_and_loops(%x: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<4x4xf32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  linalg.copy ins(%x : memref<16xf32>) outs(%flat : memref<16xf32>)
  %b = memref.alloc() : memref<16xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %a[%i, %c0] : memref<4x4xf32>
    memref.store %v, %b[%i] : memref<16xf32>
  }
  linalg.copy ins(%b : memref<16xf32>) outs(%x : memref<16xf32>)
  return
}

// -----

// The last copy into an output is dropped: the buffer becomes the output.
// CHECK-LABEL: func @forward_result
// CHECK-SAME: dlc.arena_bytes = 0 : i64, dlc.naive_bytes = 0 : i64
// CHECK-NOT: memref.alloc
// CHECK: linalg.copy ins(%arg0 : memref<16xf32>) outs(%arg1 : memref<16xf32>)
// CHECK-NEXT: return
func.func @forward_result(%x: memref<16xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() : memref<16xf32>
  linalg.copy ins(%x : memref<16xf32>) outs(%a : memref<16xf32>)
  linalg.copy ins(%a : memref<16xf32>) outs(%out : memref<16xf32>)
  return
}

// -----

// Not forwarded: a view of the buffer is read after the copy (the copy's
// source must be dead once it has been copied).
// CHECK-LABEL: func @read_after_copy
// CHECK-SAME: dlc.naive_bytes = 64 : i64
// CHECK: %[[A:.*]] = memref.view
// CHECK: linalg.copy ins(%[[A]] : memref<16xf32>) outs(%arg1 : memref<16xf32>)
func.func @read_after_copy(%x: memref<16xf32>, %out: memref<16xf32>, %y: memref<4x4xf32>) {
  %a = memref.alloc() : memref<16xf32>
  %v = memref.expand_shape %a [[0, 1]] output_shape [4, 4] : memref<16xf32> into memref<4x4xf32>
  linalg.copy ins(%x : memref<16xf32>) outs(%a : memref<16xf32>)
  linalg.copy ins(%a : memref<16xf32>) outs(%out : memref<16xf32>)
  linalg.copy ins(%v : memref<4x4xf32>) outs(%y : memref<4x4xf32>)
  return
}

// -----

// Left alone: a dynamic buffer and a returned one.
// CHECK-LABEL: func @left_alone
// CHECK-SAME: dlc.arena_bytes = 0 : i64, dlc.naive_bytes = 0 : i64
// CHECK: memref.alloc(%arg0) : memref<?xf32>
// CHECK: memref.alloc() : memref<8xf32>
// CHECK-NOT: memref.view
func.func @left_alone(%n: index) -> memref<8xf32> {
  %d = memref.alloc(%n) : memref<?xf32>
  %r = memref.alloc() : memref<8xf32>
  return %r : memref<8xf32>
}

// -----

// A loop that carries a buffer returns it: uses of the loop's result keep the
// buffer alive (an uncanonicalized tiled kernel looks like this). Here a is
// read through %r after b is written, so a and b must not share bytes.
// CHECK-LABEL: func @loop_result_alias
// CHECK-SAME: dlc.arena_bytes = 128 : i64, dlc.naive_bytes = 128 : i64
// CHECK-DAG: memref.view %{{.*}}[%c0{{.*}}][] : memref<128xi8> to memref<16xf32>
// CHECK-DAG: memref.view %{{.*}}[%c64{{.*}}][] : memref<128xi8> to memref<16xf32>
func.func @loop_result_alias(%x: memref<16xf32>, %y: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<16xf32>
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%t = %a) -> (memref<16xf32>) {
    linalg.copy ins(%x : memref<16xf32>) outs(%t : memref<16xf32>)
    scf.yield %t : memref<16xf32>
  }
  %b = memref.alloc() : memref<16xf32>
  linalg.copy ins(%y : memref<16xf32>) outs(%b : memref<16xf32>)
  linalg.copy ins(%b : memref<16xf32>) outs(%x : memref<16xf32>)
  linalg.copy ins(%r : memref<16xf32>) outs(%y : memref<16xf32>)
  return
}

// -----

// Not forwarded: the buffer is read through a select's result after the copy
// into the output (an op the planner does not model is taken as aliasing).
// CHECK-LABEL: func @select_alias
// CHECK-SAME: dlc.naive_bytes = 64 : i64
// CHECK: %[[A:.*]] = memref.view
// CHECK: linalg.copy ins(%[[A]] : memref<16xf32>) outs(%arg1 : memref<16xf32>)
func.func @select_alias(%x: memref<16xf32>, %out: memref<16xf32>, %c: i1) {
  %a = memref.alloc() : memref<16xf32>
  %s = arith.select %c, %a, %x : memref<16xf32>
  linalg.copy ins(%x : memref<16xf32>) outs(%a : memref<16xf32>)
  linalg.copy ins(%a : memref<16xf32>) outs(%out : memref<16xf32>)
  linalg.copy ins(%s : memref<16xf32>) outs(%x : memref<16xf32>)
  return
}
