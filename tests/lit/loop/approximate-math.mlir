// RUN: dlc-opt %s -dlc-approximate-math | FileCheck %s
// RUN: dlc-opt %s -dlc-approximate-math | FileCheck %s --check-prefix=CODE
// f32 exp, log, tanh and erf (scalars or vectors) become arith code; other
// math ops and other element types keep their exact libm lowering.

// No math op anywhere in the body (the NOTs span label to return)...
// CHECK-LABEL: func @approximated
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: return
// ...and the arith code that replaced them.
// CODE-LABEL: func @approximated
// CODE: arith.fptosi
// CODE: arith.bitcast
// CODE: return
func.func @approximated(%x: f32, %v: vector<16xf32>) -> (f32, f32, f32, vector<16xf32>) {
  %0 = math.exp %x : f32
  %1 = math.log %x : f32
  %2 = math.tanh %x : f32
  %3 = math.erf %v : vector<16xf32>
  return %0, %1, %2, %3 : f32, f32, f32, vector<16xf32>
}

// CHECK-LABEL: func @left_alone
// CHECK: math.sin %{{.*}} : f32
// CHECK: math.cos %{{.*}} : f32
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.erf %{{.*}} : f16
func.func @left_alone(%x: f32, %d: f64, %h: f16) -> (f32, f32, f64, f16) {
  %0 = math.sin %x : f32
  %1 = math.cos %x : f32
  %2 = math.exp %d : f64
  %3 = math.erf %h : f16
  return %0, %1, %2, %3 : f32, f32, f64, f16
}
