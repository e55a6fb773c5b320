// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg | FileCheck %s
// Index-computing ops: arg_max/arg_min carry the kept value and its index
// through one reduction generic; gather_elements/gather_nd read the input at
// computed coordinates (negative wrapped, out of range clamped); cumsum walks
// each row with an scf.for; reduce_prod multiplies from 1; scatters loop
// over the updates; top_k runs selection rounds per row; non_max_suppression
// runs rounds of selection and suppression per batch and class.

// The first element always replaces the start value; NaN beats numbers.
// CHECK-LABEL: func @arg_max
// CHECK: %[[LOW:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[VALUES:.*]] = linalg.fill ins(%[[LOW]] : f32)
// CHECK: %[[INDICES:.*]] = linalg.fill ins(%{{.*}} : i64)
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<3x4xf32>) outs(%[[VALUES]], %[[INDICES]] : tensor<3xf32>, tensor<3xi64>)
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf uno
// CHECK: %[[AT:.*]] = linalg.index 1 : index
// CHECK: arith.cmpi eq, %[[AT]]
// CHECK: arith.index_cast %[[AT]] : index to i64
// CHECK: return %[[R]]#1 : tensor<3xi64>
func.func @arg_max(%x: tensor<3x4xf32>) -> tensor<3xi64> {
  %0 = dlc.arg_max %x {axis = 1 : i64, keepdims = false, select_last_index = false} : (tensor<3x4xf32>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// select_last_index: an equal element replaces the kept one (sle for a min);
// keepdims expands the index tensor.
// CHECK-LABEL: func @arg_min_last
// CHECK: arith.constant 2147483647 : i32
// CHECK: iterator_types = ["reduction", "parallel"]
// CHECK: arith.cmpi sle
// CHECK-NOT: arith.cmpf
// CHECK: tensor.expand_shape {{.*}} : tensor<4xi64> into tensor<1x4xi64>
func.func @arg_min_last(%x: tensor<3x4xi32>) -> tensor<1x4xi64> {
  %0 = dlc.arg_min %x {axis = 0 : i64, keepdims = true, select_last_index = true} : (tensor<3x4xi32>) -> tensor<1x4xi64>
  return %0 : tensor<1x4xi64>
}

// -----

// CHECK-LABEL: func @gather_elements
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<3x2xi64>) outs(%{{.*}} : tensor<3x2xf32>)
// CHECK: %[[ROW:.*]] = linalg.index 0 : index
// CHECK: %[[I:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: arith.cmpi slt, %[[I]]
// CHECK: arith.maxsi
// CHECK: %[[CLAMPED:.*]] = arith.minsi
// CHECK: tensor.extract %arg0[%[[ROW]], %[[CLAMPED]]] : tensor<3x4xf32>
func.func @gather_elements(%x: tensor<3x4xf32>, %i: tensor<3x2xi64>) -> tensor<3x2xf32> {
  %0 = dlc.gather_elements %x, %i {axis = 1 : i64} : (tensor<3x4xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Two coordinates per tuple index input dims 0 and 1; dim 2 is the result's.
// CHECK-LABEL: func @gather_nd
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<5x4xf32>)
// CHECK: %[[T:.*]] = linalg.index 0 : index
// CHECK: tensor.extract %arg1[%[[T]], %{{.*}}] : tensor<5x2xi64>
// CHECK: %[[D0:.*]] = arith.minsi
// CHECK: tensor.extract %arg1[%[[T]], %{{.*}}] : tensor<5x2xi64>
// CHECK: %[[D1:.*]] = arith.minsi
// CHECK: %[[D2:.*]] = linalg.index 1 : index
// CHECK: tensor.extract %arg0[%[[D0]], %[[D1]], %[[D2]]] : tensor<2x3x4xf32>
func.func @gather_nd(%x: tensor<2x3x4xf32>, %i: tensor<5x2xi64>) -> tensor<5x4xf32> {
  %0 = dlc.gather_nd %x, %i {batch_dims = 0 : i64} : (tensor<2x3x4xf32>, tensor<5x2xi64>) -> tensor<5x4xf32>
  return %0 : tensor<5x4xf32>
}

// -----

// Reverse and exclusive: position 4 - j holds the sum before adding it.
// CHECK-LABEL: func @cumsum
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[J:.*]] = {{.*}} iter_args(%[[SUM:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}}) -> (f32, tensor<2x5xf32>)
// CHECK: %[[POS:.*]] = arith.subi %{{.*}}, %[[J]] : index
// CHECK: %[[X:.*]] = tensor.extract %arg0[%[[ROW]], %[[POS]]]
// CHECK: %[[NEXT:.*]] = arith.addf %[[SUM]], %[[X]] : f32
// CHECK: tensor.insert %[[SUM]] into %[[ACC]][%[[ROW]], %[[POS]]]
func.func @cumsum(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = dlc.cumsum %x {axis = 1 : i64, exclusive = true, reverse = true} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// CHECK-LABEL: func @reduce_prod
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.fill ins(%[[ONE]] : f32)
// CHECK: arith.mulf
func.func @reduce_prod(%x: tensor<2x5xf32>) -> tensor<2xf32> {
  %0 = dlc.reduce_prod %x {axes = array<i64: 1>, keepdims = false} : (tensor<2x5xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// A loop nest over the updates carries a copy of the data; "add" reads the
// target before writing the sum, at the clamped index along axis 1.
// CHECK-LABEL: func @scatter_elements_add
// CHECK: scf.for %[[R:.*]] = {{.*}} iter_args(%[[OUTER:.*]] = %arg0) -> (tensor<3x4xf32>)
// CHECK: scf.for %[[C:.*]] = {{.*}} iter_args(%[[ACC:.*]] = %[[OUTER]]) -> (tensor<3x4xf32>)
// CHECK: tensor.extract %arg1[%[[R]], %[[C]]] : tensor<3x2xi64>
// CHECK: %[[T:.*]] = arith.minsi
// CHECK: %[[U:.*]] = tensor.extract %arg2[%[[R]], %[[C]]] : tensor<3x2xf32>
// CHECK: %[[OLD:.*]] = tensor.extract %[[ACC]][%[[R]], %[[T]]] : tensor<3x4xf32>
// CHECK: %[[SUM:.*]] = arith.addf %[[OLD]], %[[U]] : f32
// CHECK: tensor.insert %[[SUM]] into %[[ACC]][%[[R]], %[[T]]]
func.func @scatter_elements_add(%d: tensor<3x4xf32>, %i: tensor<3x2xi64>, %u: tensor<3x2xf32>) -> tensor<3x4xf32> {
  %0 = dlc.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = "add"} : (tensor<3x4xf32>, tensor<3x2xi64>, tensor<3x2xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// "none" replaces without reading; the tuple gives dim 0, the update's own
// position dim 1. Integer "max" uses maxsi.
// CHECK-LABEL: func @scatter_nd
// CHECK: scf.for %[[R:.*]] = {{.*}} iter_args(%{{.*}} = %arg0) -> (tensor<4x5xi32>)
// CHECK: scf.for %[[C:.*]] = {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<4x5xi32>)
// CHECK: tensor.extract %arg1[%[[R]], %{{.*}}] : tensor<2x1xi64>
// CHECK: %[[T:.*]] = arith.minsi
// CHECK: %[[U:.*]] = tensor.extract %arg2[%[[R]], %[[C]]] : tensor<2x5xi32>
// CHECK-NOT: tensor.extract %[[ACC]]
// CHECK: tensor.insert %[[U]] into %[[ACC]][%[[T]], %[[C]]]
// CHECK-LABEL: func @scatter_nd_max
// CHECK: %[[OLD:.*]] = tensor.extract
// CHECK: arith.maxsi %[[OLD]]
func.func @scatter_nd(%d: tensor<4x5xi32>, %i: tensor<2x1xi64>, %u: tensor<2x5xi32>) -> tensor<4x5xi32> {
  %0 = dlc.scatter_nd %d, %i, %u {reduction = "none"} : (tensor<4x5xi32>, tensor<2x1xi64>, tensor<2x5xi32>) -> tensor<4x5xi32>
  return %0 : tensor<4x5xi32>
}
func.func @scatter_nd_max(%d: tensor<4xi32>, %i: tensor<2x1xi64>, %u: tensor<2xi32>) -> tensor<4xi32> {
  %0 = dlc.scatter_nd %d, %i, %u {reduction = "max"} : (tensor<4xi32>, tensor<2x1xi64>, tensor<2xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Per row, k rounds each scanning the row: round 0 takes anything, later
// rounds only elements ranked after the previous choice; a strictly better
// value replaces the kept one, so the first of equals wins.
// CHECK-LABEL: func @top_k
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<3x2xi64>
// CHECK: scf.for %[[ROW:.*]] = {{.*}} iter_args(%{{.*}} = %[[EMPTY]])
// CHECK: scf.for %[[ROUND:.*]] = {{.*}} iter_args(%[[PREV:.*]] = %{{.*}}, %[[PREVI:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}}) -> (f32, index, tensor<3x2xi64>)
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[ROUND]]
// CHECK: %[[SCAN:.*]]:3 = scf.for %[[I:.*]] = {{.*}} iter_args(%[[BEST:.*]] = %{{.*}}, %[[BESTI:.*]] = %{{.*}}, %[[FOUND:.*]] = %false) -> (f32, index, i1)
// CHECK: %[[X:.*]] = tensor.extract %arg0[%[[ROW]], %[[I]]] : tensor<3x6xf32>
// CHECK: arith.cmpi ugt, %[[I]], %[[PREVI]]
// CHECK: arith.cmpf ogt, %[[PREV]], %[[X]]
// CHECK: arith.ori %[[FIRST]]
// CHECK: arith.cmpf ogt, %[[X]], %[[BEST]]
// CHECK: arith.xori %[[FOUND]]
// CHECK: %[[INDEX:.*]] = arith.index_cast %[[SCAN]]#1 : index to i64
// CHECK: tensor.insert %[[INDEX]] into %[[ACC]][%[[ROW]], %[[ROUND]]]
func.func @top_k(%x: tensor<3x6xf32>) -> tensor<3x2xi64> {
  %0 = dlc.top_k %x {axis = 1 : i64, k = 2 : i64, largest = true} : (tensor<3x6xf32>) -> tensor<3x2xi64>
  return %0 : tensor<3x2xi64>
}

// -----

// smallest: the comparisons swap sides; integers compare with sgt.
// CHECK-LABEL: func @top_k_smallest
// CHECK: %[[X:.*]] = tensor.extract %arg0
// CHECK: arith.cmpi sgt, %[[X]], %{{.*}} : i32
// CHECK: arith.cmpi sgt, %{{.*}}, %[[X]] : i32
func.func @top_k_smallest(%x: tensor<5xi32>) -> tensor<3xi64> {
  %0 = dlc.top_k %x {axis = 0 : i64, k = 3 : i64, largest = false} : (tensor<5xi32>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// non_max_suppression: the result starts as rows of -1; per batch and class,
// the candidates above the score threshold are listed (their count held in
// a tensor), then an scf.while of rounds (until the clamped limit is
// reached, or no candidate is left) scans the candidates for the best
// unmarked one (strictly better: the lowest index of equals), writes its
// (batch, class, box) row and marks it and the candidates it overlaps by an
// IoU above the threshold.
// CHECK-LABEL: func @non_max_suppression
// CHECK: %[[MINUS:.*]] = arith.constant -1 : i64
// CHECK: %[[RESULT:.*]] = linalg.fill ins(%[[MINUS]] : i64) outs(%{{.*}} : tensor<6x3xi64>)
// CHECK: scf.for %[[B:[a-z0-9_]+]] = {{.*}} iter_args(%{{.*}} = %[[RESULT]], %{{.*}} = %c0)
// CHECK: scf.for %[[C:[a-z0-9_]+]] =
// CHECK: %[[LIST:.*]]:3 = scf.for %[[K:[a-z0-9_]+]] = {{.*}} -> (tensor<5xindex>, tensor<1xindex>, index)
// CHECK: %[[FLOOR:.*]] = tensor.extract %arg4[]
// CHECK: %[[S:.*]] = tensor.extract %arg1[%[[B]], %[[C]], %[[K]]]
// CHECK: arith.cmpf ogt, %[[S]], %[[FLOOR]]
// CHECK: %[[MARKS:.*]] = linalg.fill ins(%false : i1) outs(%{{.*}} : tensor<5xi1>)
// CHECK: scf.while (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %[[MARKS]], %[[ROUND:[a-z0-9_]+]] = %c0)
// CHECK: %[[GIVEN:.*]] = tensor.extract %arg2[] : tensor<i64>
// CHECK: arith.minsi %[[GIVEN]], %c3_i64
// CHECK: %[[LIMIT:.*]] = arith.index_cast {{.*}} : i64 to index
// CHECK: arith.cmpi ult, %[[ROUND]], %[[LIMIT]]
// CHECK: } do {
// CHECK: %[[LIMIT2:.*]] = arith.index_cast {{.*}} : i64 to index
// CHECK: %[[IOU:.*]] = tensor.extract %arg3[]
// CHECK: %[[COUNT:.*]] = tensor.extract %[[LIST]]#1[%c0] : tensor<1xindex>
// CHECK: %[[SCAN:.*]]:3 = scf.for %[[I:[a-z0-9_]+]] = %c0 to %[[COUNT]]
// CHECK: %[[BOX:.*]] = tensor.extract %[[LIST]]#0[%[[I]]] : tensor<5xindex>
// CHECK: %[[SCORE:.*]] = tensor.extract %arg1[%[[B]], %[[C]], %[[BOX]]]
// CHECK: arith.cmpf ogt, %[[SCORE]]
// CHECK: %[[CHOSEN:.*]] = tensor.extract %[[LIST]]#0[%[[SCAN]]#1]
// CHECK: scf.if %[[SCAN]]#2
// CHECK: tensor.insert %{{.*}} into %{{.*}}[%{{.*}}, %c0{{.*}}] : tensor<6x3xi64>
// CHECK: %[[SELF:.*]] = tensor.insert %true{{.*}} into %{{.*}}[%[[SCAN]]#1] : tensor<5xi1>
// CHECK: scf.for {{.*}} to %[[COUNT]] {{.*}} iter_args(%{{.*}} = %[[SELF]]) -> (tensor<5xi1>)
// CHECK: %[[RATIO:.*]] = arith.divf
// CHECK: arith.cmpf ogt, %[[RATIO]], %[[IOU]]
// CHECK: } else {
// CHECK: scf.yield {{.*}}, %[[LIMIT2]]
func.func @non_max_suppression(%boxes: tensor<1x5x4xf32>, %scores: tensor<1x2x5xf32>, %max: tensor<i64>, %iou: tensor<f32>, %min: tensor<f32>) -> tensor<6x3xi64> {
  %0 = dlc.non_max_suppression %boxes, %scores, %max, %iou, %min {center_point_box = false, has_score_threshold = true, per_class_bound = 3 : i64} : (tensor<1x5x4xf32>, tensor<1x2x5xf32>, tensor<i64>, tensor<f32>, tensor<f32>) -> tensor<6x3xi64>
  return %0 : tensor<6x3xi64>
}
