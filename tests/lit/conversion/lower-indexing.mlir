// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg | FileCheck %s
// Index-computing ops: arg_max/arg_min carry the kept value and its index
// through one reduction generic; gather_elements/gather_nd read the input at
// computed coordinates (negative wrapped, out of range clamped); cumsum walks
// each row with an scf.for; reduce_prod multiplies from 1; scatters loop
// over the updates; top_k runs selection rounds per row for small k and a
// merge sort for large k; non_max_suppression sorts the candidates by score
// and walks them per batch and class.

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

// A k above 2 * ceil(log2(n)) (here 10 of 12) sorts the row instead: its
// f32 values are listed as i64 keys (the value's order-preserving bits,
// -0 made +0 and NaN made +NaN, flipped for largest, above the position)
// into a buffer carried through the rows (as is the sort's scratch: no
// allocation inside the loops), merge-sorted by one unsigned comparison
// (the right head goes first only when its key is lower), and the first k
// positions (the keys' low 32 bits) written.
// CHECK-LABEL: func @top_k_sorted
// CHECK: %[[ACC0:.*]] = tensor.empty() : tensor<3x10xi64>
// CHECK: %[[BUF:.*]] = tensor.empty() : tensor<12xi64>
// CHECK: %[[SCRATCH:.*]] = tensor.empty() : tensor<12xi64>
// CHECK: scf.for %[[ROW:[a-z0-9_]+]] = {{.*}} iter_args(%{{.*}} = %[[ACC0]], %[[HELD:[a-z0-9_]+]] = %[[BUF]], %[[OTHER:[a-z0-9_]+]] = %[[SCRATCH]]) -> (tensor<3x10xi64>, tensor<12xi64>, tensor<12xi64>)
// CHECK: %[[LISTED:.*]] = scf.for %[[P:[a-z0-9_]+]] = {{.*}} iter_args(%[[INTO:[a-z0-9_]+]] = %[[HELD]]) -> (tensor<12xi64>)
// CHECK: %[[V:.*]] = tensor.extract %arg0[%[[ROW]], %[[P]]]
// CHECK: %[[PLUS:.*]] = arith.addf %[[V]], %cst
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[PLUS]], %[[PLUS]]
// CHECK: %[[CANON:.*]] = arith.select %[[NAN]], %{{.*}}, %[[PLUS]]
// CHECK: %[[BITS:.*]] = arith.bitcast %[[CANON]] : f32 to i32
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[BITS]], %c0_i32
// CHECK: %[[POS:.*]] = arith.xori %[[BITS]], %c-2147483648_i32
// CHECK: %[[FLIP:.*]] = arith.xori %[[BITS]], %c-1_i32
// CHECK: %[[ORD:.*]] = arith.select %[[NEG]], %[[FLIP]], %[[POS]]
// CHECK: %[[DESC:.*]] = arith.xori %[[ORD]], %c-1_i32
// CHECK: %[[WIDE:.*]] = arith.extui %[[DESC]] : i32 to i64
// CHECK: %[[HIGH:.*]] = arith.shli %[[WIDE]], %c32_i64
// CHECK: %[[PI:.*]] = arith.index_cast %[[P]] : index to i64
// CHECK: %[[KEY:.*]] = arith.ori %[[HIGH]], %[[PI]]
// CHECK: tensor.insert %[[KEY]] into %[[INTO]][%[[P]]]
// CHECK: %[[SORTED:.*]]:3 = scf.while (%[[HERE:[a-z0-9_]+]] = %[[LISTED]], %{{.*}} = %[[OTHER]], {{.*}}) : (tensor<12xi64>, tensor<12xi64>, index)
// CHECK: } do {
// CHECK: %[[LEFT:.*]] = tensor.extract %[[HERE]][
// CHECK: %[[RIGHT:.*]] = tensor.extract %[[HERE]][
// CHECK: arith.cmpi ult, %[[RIGHT]], %[[LEFT]] : i64
// CHECK: %[[WRITTEN:.*]] = scf.for %[[R:[a-z0-9_]+]] = %c0{{.*}} to %c10
// CHECK: %[[AT:.*]] = tensor.extract %[[SORTED]]#0[%[[R]]]
// CHECK: %[[LOW:.*]] = arith.andi %[[AT]], %c4294967295_i64
// CHECK: %[[POSITION:.*]] = arith.index_cast %[[LOW]] : i64 to index
// CHECK: %[[I:.*]] = arith.index_cast %[[POSITION]] : index to i64
// CHECK: tensor.insert %[[I]] into %{{.*}}[%[[ROW]], %[[R]]]
// CHECK: scf.yield %[[WRITTEN]], %[[SORTED]]#0, %[[SORTED]]#1
func.func @top_k_sorted(%x: tensor<3x12xf32>) -> tensor<3x10xi64> {
  %0 = dlc.top_k %x {axis = 1 : i64, k = 10 : i64, largest = true} : (tensor<3x12xf32>) -> tensor<3x10xi64>
  return %0 : tensor<3x10xi64>
}

// -----

// A k of at most a quarter of the row (16 of 64) keeps the best k in a heap
// as the row is scanned: the first k positions are listed and heapified
// (sift-downs from k/2 - 1 to 0), the one ranked last at the root; each
// later position enters when it ranks before the root (a better value, or
// an equal one at a lower position: never, for a later position), and
// sifts down. Then the k are sorted by that rank, the position breaking
// ties.
// CHECK-LABEL: func @top_k_heap
// CHECK: scf.for %[[ROW:[a-z0-9_]+]] = {{.*}} -> (tensor<2x16xi64>, tensor<16xindex>, tensor<16xindex>)
// CHECK: %[[LISTED:.*]] = scf.for {{.*}} to %c16 {{.*}} -> (tensor<16xindex>)
// CHECK: %[[HEAP:.*]] = scf.for %[[J:[a-z0-9_]+]] = %c0{{.*}} to %c8 {{.*}} iter_args(%{{.*}} = %[[LISTED]])
// CHECK: %[[NODE:.*]] = arith.subi %c7, %[[J]]
// CHECK: scf.while ({{.*}}, %{{.*}} = %[[NODE]], %{{.*}} = %true)
// CHECK: %[[SCANNED:.*]] = scf.for %[[I:[a-z0-9_]+]] = %c16{{.*}} to %c64 {{.*}} iter_args(%[[H:[a-z0-9_]+]] = %[[HEAP]])
// CHECK: %[[ROOT:.*]] = tensor.extract %[[H]][%c0
// CHECK: %[[NEW:.*]] = tensor.extract %arg0[%[[ROW]], %[[I]]]
// CHECK: %[[WORST:.*]] = tensor.extract %arg0[%[[ROW]], %[[ROOT]]]
// CHECK: arith.cmpi ult, %[[I]], %[[ROOT]] : index
// CHECK: arith.cmpf ogt, %[[NEW]], %[[WORST]] : f32
// CHECK: scf.if
// CHECK: %[[ENTERED:.*]] = tensor.insert %[[I]] into %[[H]][%c0
// CHECK: scf.while (%{{.*}} = %[[ENTERED]], %{{.*}} = %c0
// CHECK: scf.while (%{{.*}} = %[[SCANNED]], {{.*}}) : (tensor<16xindex>, tensor<16xindex>, index)
// CHECK: arith.cmpi ult, %{{.*}}, %{{.*}} : index
// CHECK: arith.cmpf ogt
func.func @top_k_heap(%x: tensor<2x64xf32>) -> tensor<2x16xi64> {
  %0 = dlc.top_k %x {axis = 1 : i64, k = 16 : i64, largest = true} : (tensor<2x64xf32>) -> tensor<2x16xi64>
  return %0 : tensor<2x16xi64>
}

// -----

// non_max_suppression: the rows start undefined and their count at 0; per
// batch and class, the candidates above the score threshold are listed as
// i64 keys (the score's order-preserving bits, flipped so higher comes
// first, above the box index; -0 made +0, NaN +NaN) with their count held in a
// tensor, merge-sorted by one unsigned comparison (an scf.while of widths,
// two passes each: the keys into the scratch and back), then an scf.while
// walks them in that order (until the clamped limit is selected, or no
// candidate is left): each is tested against the boxes selected so far (an
// inner scf.while that stops at the first IoU above the threshold) and, if
// none suppresses it, its (batch, class, box) row is written and it joins
// the selected, and the row count is stored in the count tensor.
// CHECK-LABEL: func @non_max_suppression
// CHECK: %[[RESULT:.*]] = tensor.empty() : tensor<6x3xi64>
// CHECK: %[[NONE:.*]] = linalg.fill ins(%c0_i64 : i64) outs(%{{.*}} : tensor<i64>)
// CHECK: scf.for %[[B:[a-z0-9_]+]] = {{.*}} iter_args(%{{.*}} = %[[RESULT]], %{{.*}} = %c0, %{{.*}} = %[[NONE]])
// CHECK: scf.for %[[C:[a-z0-9_]+]] = {{.*}} iter_args({{.*}}, %[[ROWCOUNT:[a-z0-9_]+]] = %{{.*}}) -> (tensor<6x3xi64>, index, tensor<i64>)
// CHECK: %[[LIST:.*]]:3 = scf.for %[[K:[a-z0-9_]+]] = {{.*}} -> (tensor<5xi64>, tensor<1xindex>, index)
// CHECK: %[[S:.*]] = tensor.extract %arg1[%[[B]], %[[C]], %[[K]]]
// CHECK: %[[FLOOR:.*]] = tensor.extract %arg4[]
// CHECK: arith.cmpf ogt, %[[S]], %[[FLOOR]]
// CHECK: %[[PLUS:.*]] = arith.addf %[[S]], %cst
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[PLUS]], %[[PLUS]]
// CHECK: %[[CANON:.*]] = arith.select %[[NAN]], %{{.*}}, %[[PLUS]]
// CHECK: %[[BITS:.*]] = arith.bitcast %[[CANON]] : f32 to i32
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[BITS]], %c0_i32
// CHECK: %[[POS:.*]] = arith.xori %[[BITS]], %c-2147483648_i32
// CHECK: %[[FLIP:.*]] = arith.xori %[[BITS]], %c-1_i32
// CHECK: %[[ORD:.*]] = arith.select %[[NEG]], %[[FLIP]], %[[POS]]
// CHECK: %[[DESC:.*]] = arith.xori %[[ORD]], %c-1_i32
// CHECK: %[[WIDE:.*]] = arith.extui %[[DESC]] : i32 to i64
// CHECK: %[[HIGH:.*]] = arith.shli %[[WIDE]], %c32_i64
// CHECK: %[[BOXNO:.*]] = arith.index_cast %[[K]] : index to i64
// CHECK: %[[KEY:.*]] = arith.ori %[[HIGH]], %[[BOXNO]]
// CHECK: tensor.insert %[[KEY]] into
// CHECK: %[[SCRATCH:.*]] = tensor.empty() : tensor<5xi64>
// CHECK: %[[SORTED:.*]]:3 = scf.while (%[[HERE:[a-z0-9_]+]] = %[[LIST]]#0, %[[THERE:[a-z0-9_]+]] = %[[SCRATCH]], %[[WIDTH:[a-z0-9_]+]] = %c1{{.*}})
// CHECK: %[[N:.*]] = tensor.extract %[[LIST]]#1[%c0] : tensor<1xindex>
// CHECK: arith.cmpi ult, %[[WIDTH]], %[[N]]
// CHECK: } do {
// CHECK: %[[PASS:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[THERE]]) -> (tensor<5xi64>)
// CHECK: scf.for {{.*}} -> (tensor<5xi64>, index, index)
// CHECK: %[[LEFT:.*]] = tensor.extract %[[HERE]][
// CHECK: %[[RIGHT:.*]] = tensor.extract %[[HERE]][
// CHECK: arith.cmpi ult, %[[RIGHT]], %[[LEFT]] : i64
// CHECK: %[[BACK:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[HERE]]) -> (tensor<5xi64>)
// CHECK: tensor.extract %[[PASS]][
// CHECK: scf.yield %[[BACK]], %[[PASS]], %{{.*}} : tensor<5xi64>, tensor<5xi64>, index
// CHECK: %[[KEPT:.*]] = tensor.empty() : tensor<3xindex>
// CHECK: %[[WALK:.*]]:6 = scf.while (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %[[KEPT]], %[[SELECTED:[a-z0-9_]+]] = %c0, %[[NEXT:[a-z0-9_]+]] = %c0, %{{.*}} = %[[ROWCOUNT]])
// CHECK: %[[GIVEN:.*]] = tensor.extract %arg2[] : tensor<i64>
// CHECK: arith.minsi %[[GIVEN]], %c3_i64
// CHECK: %[[LIMIT:.*]] = arith.index_cast {{.*}} : i64 to index
// CHECK: %[[COUNT:.*]] = tensor.extract %[[LIST]]#1[%c0] : tensor<1xindex>
// CHECK: arith.cmpi ult, %[[NEXT]], %[[COUNT]]
// CHECK: arith.cmpi ult, %[[SELECTED]], %[[LIMIT]]
// CHECK: } do {
// CHECK: ^bb0(%[[ROWS:[a-z0-9_]+]]: tensor<6x3xi64>, %[[ROW:[a-z0-9_]+]]: index, %[[SEL:[a-z0-9_]+]]: tensor<3xindex>, %[[NSEL:[a-z0-9_]+]]: index, %[[AT:[a-z0-9_]+]]: index, %{{.*}}: tensor<i64>):
// CHECK: %[[IOU:.*]] = tensor.extract %arg3[]
// CHECK: %[[HELD:.*]] = tensor.extract %[[SORTED]]#0[%[[AT]]] : tensor<5xi64>
// CHECK: %[[LOW:.*]] = arith.andi %[[HELD]], %c4294967295_i64
// CHECK: %[[BOX:.*]] = arith.index_cast %[[LOW]] : i64 to index
// CHECK: %[[TEST:.*]]:2 = scf.while (%[[J:[a-z0-9_]+]] = %c0, %[[HIT:[a-z0-9_]+]] = %false)
// CHECK: arith.xori %[[HIT]], %true
// CHECK: arith.cmpi ult, %[[J]], %[[NSEL]]
// CHECK: } do {
// CHECK: tensor.extract %[[SEL]][
// CHECK: %[[RATIO:.*]] = arith.divf
// CHECK: arith.cmpf ogt, %[[RATIO]], %[[IOU]]
// CHECK: %[[FREE:.*]] = arith.xori %[[TEST]]#1, %true
// CHECK: scf.if
// CHECK: tensor.insert %{{.*}} into %[[ROWS]][%[[ROW]], %c0{{.*}}] : tensor<6x3xi64>
// CHECK: tensor.insert %[[BOX]] into %[[SEL]][%[[NSEL]]] : tensor<3xindex>
// CHECK: %[[ROWS1:.*]] = arith.addi %[[ROW]], %c1
// CHECK: %[[TOTAL:.*]] = arith.index_cast %[[ROWS1]] : index to i64
// CHECK: tensor.insert %[[TOTAL]] into %[[COUNTED:[a-z0-9_]+]][] : tensor<i64>
// CHECK: } else {
// CHECK: scf.yield %[[WALK]]#0, %[[WALK]]#1, %[[WALK]]#5
func.func @non_max_suppression(%boxes: tensor<1x5x4xf32>, %scores: tensor<1x2x5xf32>, %max: tensor<i64>, %iou: tensor<f32>, %min: tensor<f32>) -> (tensor<6x3xi64>, tensor<i64>) {
  %0:2 = dlc.non_max_suppression %boxes, %scores, %max, %iou, %min {center_point_box = false, has_score_threshold = true, per_class_bound = 3 : i64} : (tensor<1x5x4xf32>, tensor<1x2x5xf32>, tensor<i64>, tensor<f32>, tensor<f32>) -> (tensor<6x3xi64>, tensor<i64>)
  return %0#0, %0#1 : tensor<6x3xi64>, tensor<i64>
}
