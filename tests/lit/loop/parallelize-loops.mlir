// RUN: dlc-opt %s -split-input-file -dlc-parallelize-loops | FileCheck %s
// A loop marked dlc.parallel becomes a call to a launcher (defined by the
// library's glue around the thread pool) and an outlined body that runs
// iterations [begin, end).

// CHECK-LABEL: func @scale
// CHECK-NOT: scf.for
// CHECK: call @scale_par0_launch(%arg0, %arg1, %arg2, %c0, %c8, %c2) : (memref<8x4xf32>, memref<8x4xf32>, index, index, index, index) -> ()
// CHECK: func @scale_par0(%[[IN:.*]]: memref<8x4xf32> {llvm.noalias}, %[[OUT:.*]]: memref<8x4xf32> {llvm.noalias}, %[[N:.*]]: index, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK-SAME: attributes {dlc.parallel_loop = array<i64: 2, 1>}
// CHECK: %[[TWO:.*]] = arith.constant 2.0
// CHECK: %[[STEP:.*]] = arith.constant 2 : index
// CHECK: scf.for %[[I:.*]] = %[[BEGIN]] to %[[END]] step %[[STEP]]
// CHECK: memref.load %[[IN]][%[[I]], %[[N]]]
// CHECK: arith.mulf %{{.*}}, %[[TWO]]
// CHECK: memref.store %{{.*}}, %[[OUT]][%[[I]], %[[N]]]
// CHECK: func private @scale_par0_launch(memref<8x4xf32>, memref<8x4xf32>, index, index, index, index)
func.func @scale(%in: memref<8x4xf32>, %out: memref<8x4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c8 step %c2 {
    %x = memref.load %in[%i, %n] : memref<8x4xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %out[%i, %n] : memref<8x4xf32>
  } {dlc.parallel}
  return
}

// -----

// Arena slots: disjoint ones are noalias, overlapping ones are not.
// CHECK-LABEL: func @arena
// CHECK: func @arena_par0(%{{.*}}: memref<4xf32> {llvm.noalias}, %{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>, %{{.*}}: index, %{{.*}}: index)
func.func @arena(%arena: memref<64xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c40 = arith.constant 40 : index
  %a = memref.view %arena[%c0][] : memref<64xi8> to memref<4xf32>
  %b = memref.view %arena[%c32][] : memref<64xi8> to memref<4xf32>
  %c = memref.view %arena[%c40][] : memref<64xi8> to memref<4xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %a[%i] : memref<4xf32>
    memref.store %x, %b[%i] : memref<4xf32>
    memref.store %x, %c[%i] : memref<4xf32>
  } {dlc.parallel}
  return
}

// -----

// Only the outermost mark is outlined; the inner loop runs inside the body.
// CHECK-LABEL: func @nested
// CHECK: call @nested_par0_launch
// CHECK-NOT: call @nested_par1_launch
// CHECK: func @nested_par0
// CHECK: scf.for
// CHECK: scf.for {{.*}} {
// CHECK: } {dlc.parallel}
func.func @nested(%buf: memref<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      memref.store %zero, %buf[%i, %j] : memref<4x4xf32>
    } {dlc.parallel}
  } {dlc.parallel}
  return
}

// -----

// Left alone: an unmarked loop, a loop capturing a float computed at run
// time and one capturing a strided view (neither crosses the C glue as a
// bare pointer or integer).
// CHECK-LABEL: func @left_alone
// CHECK-NOT: call
// CHECK-COUNT-3: scf.for
func.func @left_alone(%buf: memref<4xf32>, %big: memref<8xf32>, %f: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %f, %buf[%i] : memref<4xf32>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %f, %buf[%i] : memref<4xf32>
  } {dlc.parallel}
  %view = memref.subview %big[2] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %zero, %view[%i] : memref<4xf32, strided<[1], offset: 2>>
  } {dlc.parallel}
  return
}
