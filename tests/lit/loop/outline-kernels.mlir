// RUN: dlc-opt %s -split-input-file -dlc-outline-kernels | FileCheck %s
// Each outermost loop of an entry function moves into a private, noinline
// function of its own and becomes a call; what crosses is bare-pointer
// buffers and indices, and views and constants are re-created inside.

// Two kernels, two functions. The concat slot (a strided subview) is
// re-created from its arena buffer inside the kernel; the constant too.
// CHECK-LABEL: func @model
// CHECK-NOT: scf.for
// CHECK: call @model_kernel0(%arg0, %arg1) : (memref<4xf32>, memref<8xf32>) -> ()
// CHECK: call @model_kernel1(%arg1, %arg2, %arg3) : (memref<8xf32>, memref<8xf32>, index) -> ()
// CHECK: return
// CHECK: func private @model_kernel0(%[[IN:.*]]: memref<4xf32> {llvm.noalias}, %[[BUF:.*]]: memref<8xf32> {llvm.noalias})
// CHECK-SAME: attributes {dlc.kernel, passthrough = ["noinline"]}
// CHECK: %[[SLOT:.*]] = memref.subview %[[BUF]][4] [4] [1]
// CHECK: scf.for %[[I:.*]] =
// CHECK: memref.load %[[IN]][%[[I]]]
// CHECK: memref.store %{{.*}}, %[[SLOT]][%[[I]]]
// CHECK: func private @model_kernel1(%{{.*}}: memref<8xf32> {llvm.noalias}, %{{.*}}: memref<8xf32> {llvm.noalias}, %{{.*}}: index)
func.func @model(%in: memref<4xf32>, %buf: memref<8xf32>, %out: memref<8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %slot = memref.subview %buf[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %in[%i] : memref<4xf32>
    memref.store %x, %slot[%i] : memref<4xf32, strided<[1], offset: 4>>
  }
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %buf[%i] : memref<8xf32>
    memref.store %x, %out[%i] : memref<8xf32>
  }
  return
}

// -----

// Overlapping arena slots are not noalias; a loop that yields a value, and
// one that captures a dynamically shaped buffer (no bare pointer for it),
// stay where they are.
// CHECK-LABEL: func @left_alone
// CHECK: call @left_alone_kernel0
// CHECK: scf.for {{.*}} iter_args
// CHECK: scf.for
// CHECK: memref.load %arg1
// CHECK: func private @left_alone_kernel0(%{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>)
// CHECK-NOT: func private @left_alone_kernel1
func.func @left_alone(%arena: memref<64xi8>, %dynamic: memref<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %a = memref.view %arena[%c0][] : memref<64xi8> to memref<4xf32>
  %b = memref.view %arena[%c8][] : memref<64xi8> to memref<4xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %a[%i] : memref<4xf32>
    memref.store %x, %b[%i] : memref<4xf32>
  }
  %sum = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> f32 {
    %x = memref.load %a[%i] : memref<4xf32>
    %s = arith.addf %acc, %x : f32
    scf.yield %s : f32
  }
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %dynamic[%i] : memref<?xf32>
    memref.store %x, %a[%i] : memref<4xf32>
  }
  return %sum : f32
}

// -----

// A global buffer (a weight) crosses as an argument, so kernels that differ
// only in their weights are the same function up to the name.
// CHECK-LABEL: func @weights
// CHECK: %[[W0:.*]] = memref.get_global @w0
// CHECK: call @weights_kernel0(%[[W0]], %arg0)
// CHECK: %[[W1:.*]] = memref.get_global @w1
// CHECK: call @weights_kernel1(%[[W1]], %arg0)
// CHECK: func private @weights_kernel0(%{{.*}}: memref<4xf32> {llvm.noalias}, %{{.*}}: memref<4xf32> {llvm.noalias})
// CHECK-NOT: get_global
// CHECK: scf.for
memref.global "private" constant @w0 : memref<4xf32> = dense<1.0>
memref.global "private" constant @w1 : memref<4xf32> = dense<2.0>
func.func @weights(%out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %w0 = memref.get_global @w0 : memref<4xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %w0[%i] : memref<4xf32>
    memref.store %x, %out[%i] : memref<4xf32>
  }
  %w1 = memref.get_global @w1 : memref<4xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %w1[%i] : memref<4xf32>
    memref.store %x, %out[%i] : memref<4xf32>
  }
  return
}
