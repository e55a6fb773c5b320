//===- ConstantEvaluator.cpp - Evaluate dlc ops on constants --------------===//
//
// A small reference evaluator over dense constants. Floats are computed in
// double precision and rounded to the result's element type once, as the op
// would produce them at run time. Integers are exact: data movement, integer
// arithmetic and comparisons run on int64 (wrapping as at run time); other
// ops take integers through double only while every value is within 2^53.
//
//===----------------------------------------------------------------------===//
#include "compiler/ConstantEvaluator.h"
#include "compiler/ShapeMath.h"
#include "compiler/dialect/DlcDialect.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace dlc;

namespace {

/// A constant tensor's values, widened: `data` always, and for integer
/// types `ints`, exact.
struct Values {
  RankedTensorType type;
  std::vector<double> data;
  std::vector<int64_t> ints;
  bool isInteger() const { return isa<IntegerType>(type.getElementType()); }
};

/// Integers beyond this magnitude do not survive a trip through double.
constexpr double kExactInDouble = 9007199254740992.0; // 2^53

std::optional<Values> readConstant(Value value) {
  DenseElementsAttr dense;
  if (!matchPattern(value, m_Constant(&dense)))
    return std::nullopt;
  Values values{cast<RankedTensorType>(dense.getType()), {}, {}};
  Type elementType = values.type.getElementType();
  if (isNarrowElementType(elementType)) // their casts saturate, wrap
    return std::nullopt;
  values.data.reserve(values.type.getNumElements());
  if (isa<FloatType>(elementType)) {
    for (APFloat element : dense.getValues<APFloat>())
      values.data.push_back(element.convertToDouble());
  } else if (auto intType = dyn_cast<IntegerType>(elementType)) {
    if (intType.isUnsigned())
      return std::nullopt;
    values.ints.reserve(values.type.getNumElements());
    for (APInt element : dense.getValues<APInt>()) {
      int64_t exact = intType.getWidth() == 1
                          ? static_cast<int64_t>(element.getZExtValue())
                          : element.getSExtValue();
      values.ints.push_back(exact);
      values.data.push_back(static_cast<double>(exact));
    }
  } else {
    return std::nullopt;
  }
  return values;
}

/// An op's computed values: `ints` for an integer result computed exactly,
/// else `data`.
struct Computed {
  std::vector<double> data;
  std::vector<int64_t> ints;
  bool exact = false;
};

DenseElementsAttr writeConstant(RankedTensorType type, const Computed &out) {
  Type elementType = type.getElementType();
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    SmallVector<APFloat> elements;
    elements.reserve(out.exact ? out.ints.size() : out.data.size());
    auto add = [&](double value) {
      APFloat element(value);
      bool lost;
      element.convert(floatType.getFloatSemantics(),
                      APFloat::rmNearestTiesToEven, &lost);
      elements.push_back(element);
    };
    if (out.exact)
      for (int64_t value : out.ints)
        add(static_cast<double>(value));
    else
      for (double value : out.data)
        add(value);
    return DenseElementsAttr::get(type, elements);
  }
  unsigned width = elementType.getIntOrFloatBitWidth();
  SmallVector<APInt> elements;
  if (out.exact) {
    elements.reserve(out.ints.size());
    for (int64_t value : out.ints)
      elements.push_back(APInt(64, value, /*isSigned=*/true).trunc(width));
    return DenseElementsAttr::get(type, elements);
  }
  elements.reserve(out.data.size());
  for (double value : out.data) {
    // Beyond 2^53 (or NaN) the double is not the value the op computes at
    // run time: the op is left to run time.
    if (!(std::fabs(value) <= kExactInDouble))
      return nullptr;
    elements.push_back(
        APInt(64, static_cast<int64_t>(value), /*isSigned=*/true).trunc(width));
  }
  return DenseElementsAttr::get(type, elements);
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// The flat index into `operand` (broadcast numpy-style to `result`) of the
/// element at flat index `index` of `result`.
int64_t broadcastIndex(int64_t index, ArrayRef<int64_t> result,
                       ArrayRef<int64_t> operand) {
  SmallVector<int64_t> resultStrides = stridesOf(result);
  SmallVector<int64_t> operandStrides = stridesOf(operand);
  int64_t offset = result.size() - operand.size(), flat = 0;
  for (size_t d = 0; d < result.size(); ++d) {
    int64_t coordinate = (index / resultStrides[d]) % result[d];
    if (static_cast<int64_t>(d) < offset)
      continue;
    size_t od = d - offset;
    if (operand[od] != 1)
      flat += coordinate * operandStrides[od];
  }
  return flat;
}

using UnaryFn = double (*)(double);

std::optional<UnaryFn> unaryFunction(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<UnaryFn>>(op)
      .Case([](ReluOp) { return +[](double x) { return x > 0 ? x : 0.0; }; })
      .Case([](SigmoidOp) {
        return +[](double x) { return 1.0 / (1.0 + std::exp(-x)); };
      })
      .Case([](TanhOp) { return +[](double x) { return std::tanh(x); }; })
      .Case([](ExpOp) { return +[](double x) { return std::exp(x); }; })
      .Case([](LogOp) { return +[](double x) { return std::log(x); }; })
      .Case([](SqrtOp) { return +[](double x) { return std::sqrt(x); }; })
      .Case([](NegOp) { return +[](double x) { return -x; }; })
      .Case([](AbsOp) { return +[](double x) { return std::fabs(x); }; })
      .Case([](ErfOp) { return +[](double x) { return std::erf(x); }; })
      .Case([](ReciprocalOp) { return +[](double x) { return 1.0 / x; }; })
      .Case([](SinOp) { return +[](double x) { return std::sin(x); }; })
      .Case([](CosOp) { return +[](double x) { return std::cos(x); }; })
      .Case([](TanOp) { return +[](double x) { return std::tan(x); }; })
      .Case([](AsinOp) { return +[](double x) { return std::asin(x); }; })
      .Case([](AcosOp) { return +[](double x) { return std::acos(x); }; })
      .Case([](AtanOp) { return +[](double x) { return std::atan(x); }; })
      .Case([](SinhOp) { return +[](double x) { return std::sinh(x); }; })
      .Case([](CoshOp) { return +[](double x) { return std::cosh(x); }; })
      .Case([](AsinhOp) { return +[](double x) { return std::asinh(x); }; })
      .Case([](AcoshOp) { return +[](double x) { return std::acosh(x); }; })
      .Case([](AtanhOp) { return +[](double x) { return std::atanh(x); }; })
      .Case([](CeilOp) { return +[](double x) { return std::ceil(x); }; })
      .Case([](FloorOp) { return +[](double x) { return std::floor(x); }; })
      .Case([](RoundOp) { return +[](double x) { return std::nearbyint(x); }; })
      .Case([](SignOp) {
        return +[](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; };
      })
      .Case([](NotOp) { return +[](double x) { return x == 0 ? 1.0 : 0.0; }; })
      .Case([](CastOp) { return +[](double x) { return x; }; })
      .Default([](Operation *) { return std::nullopt; });
}

using BinaryFn = double (*)(double, double);

std::optional<BinaryFn> binaryFunction(Operation *op, bool isInteger) {
  return llvm::TypeSwitch<Operation *, std::optional<BinaryFn>>(op)
      .Case([](AddOp) { return +[](double a, double b) { return a + b; }; })
      .Case([](SubOp) { return +[](double a, double b) { return a - b; }; })
      .Case([](MulOp) { return +[](double a, double b) { return a * b; }; })
      .Case([&](DivOp) -> std::optional<BinaryFn> {
        if (isInteger) // integer division truncates, as arith.divsi
          return +[](double a, double b) { return std::trunc(a / b); };
        return +[](double a, double b) { return a / b; };
      })
      .Case([](MaxOp) {
        return +[](double a, double b) { return std::fmax(a, b); };
      })
      .Case([](MinOp) {
        return +[](double a, double b) { return std::fmin(a, b); };
      })
      .Case([](PowOp) {
        return +[](double a, double b) { return std::pow(a, b); };
      })
      .Case([](ModOp) {
        return +[](double a, double b) {
          double r = std::fmod(a, b);
          return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
        };
      })
      .Case([](FModOp) {
        return +[](double a, double b) { return std::fmod(a, b); };
      })
      .Case([](AndOp) {
        return +[](double a, double b) { return double(a != 0 && b != 0); };
      })
      .Case([](OrOp) {
        return +[](double a, double b) { return double(a != 0 || b != 0); };
      })
      .Case([](XorOp) {
        return +[](double a, double b) { return double((a != 0) != (b != 0)); };
      })
      .Case([](EqualOp) {
        return +[](double a, double b) { return double(a == b); };
      })
      .Case([](NotEqualOp) {
        return +[](double a, double b) { return double(a != b); };
      })
      .Case([](LessOp) {
        return +[](double a, double b) { return double(a < b); };
      })
      .Case([](LessEqualOp) {
        return +[](double a, double b) { return double(a <= b); };
      })
      .Case([](GreaterOp) {
        return +[](double a, double b) { return double(a > b); };
      })
      .Case([](GreaterEqualOp) {
        return +[](double a, double b) { return double(a >= b); };
      })
      .Default([](Operation *) { return std::nullopt; });
}

/// Two's-complement arithmetic on int64, as the lowered code wraps.
int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) +
                              static_cast<uint64_t>(b));
}
int64_t wrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) -
                              static_cast<uint64_t>(b));
}
int64_t wrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) *
                              static_cast<uint64_t>(b));
}

using IntUnaryFn = int64_t (*)(int64_t);

std::optional<IntUnaryFn> intUnaryFunction(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<IntUnaryFn>>(op)
      .Case([](ReluOp) { return +[](int64_t x) { return x > 0 ? x : 0; }; })
      .Case([](NegOp) { return +[](int64_t x) { return wrapSub(0, x); }; })
      .Case([](AbsOp) {
        return +[](int64_t x) { return x < 0 ? wrapSub(0, x) : x; };
      })
      .Case([](SignOp) {
        return +[](int64_t x) { return int64_t(x > 0) - int64_t(x < 0); };
      })
      .Case([](NotOp) { return +[](int64_t x) { return int64_t(x == 0); }; })
      .Case([](CastOp) { return +[](int64_t x) { return x; }; })
      .Default([](Operation *) { return std::nullopt; });
}

/// An exact integer binary function; false when the op has no integer
/// meaning here or the operands are outside its domain (division by zero).
using IntBinaryFn = bool (*)(int64_t, int64_t, int64_t &);

std::optional<IntBinaryFn> intBinaryFunction(Operation *op) {
  using R = std::optional<IntBinaryFn>;
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case([](AddOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = wrapAdd(a, b), true;
        };
      })
      .Case([](SubOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = wrapSub(a, b), true;
        };
      })
      .Case([](MulOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = wrapMul(a, b), true;
        };
      })
      .Case([](DivOp) -> R { // truncating, as arith.divsi
        return +[](int64_t a, int64_t b, int64_t &r) {
          if (b == 0 || (a == INT64_MIN && b == -1))
            return false;
          return r = a / b, true;
        };
      })
      .Case([](ModOp) -> R { // the sign of the divisor
        return +[](int64_t a, int64_t b, int64_t &r) {
          if (b == 0)
            return false;
          r = b == -1 ? 0 : a % b;
          if (r != 0 && ((r < 0) != (b < 0)))
            r += b;
          return true;
        };
      })
      .Case([](FModOp) -> R { // the sign of the dividend
        return +[](int64_t a, int64_t b, int64_t &r) {
          if (b == 0)
            return false;
          return r = b == -1 ? 0 : a % b, true;
        };
      })
      .Case([](MaxOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = std::max(a, b), true;
        };
      })
      .Case([](MinOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = std::min(a, b), true;
        };
      })
      .Case([](AndOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = a != 0 && b != 0, true;
        };
      })
      .Case([](OrOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = a != 0 || b != 0, true;
        };
      })
      .Case([](XorOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = (a != 0) != (b != 0), true;
        };
      })
      .Case([](EqualOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = a == b, true;
        };
      })
      .Case([](NotEqualOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = a != b, true;
        };
      })
      .Case([](LessOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = a < b, true;
        };
      })
      .Case([](LessEqualOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = a <= b, true;
        };
      })
      .Case([](GreaterOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = a > b, true;
        };
      })
      .Case([](GreaterEqualOp) -> R {
        return +[](int64_t a, int64_t b, int64_t &r) {
          return r = a >= b, true;
        };
      })
      .Default([](Operation *) -> R { return std::nullopt; });
}

/// Whether every integer input converts to double exactly, so that an op
/// without an integer path may compute through double.
bool exactInDouble(ArrayRef<Values> inputs) {
  for (const Values &input : inputs)
    for (int64_t value : input.ints)
      if (std::fabs(static_cast<double>(value)) > kExactInDouble)
        return false;
  return true;
}

/// For ops that only move elements: the flat index into input 0 of each
/// result element; nullopt when the op is not one of them (or an index is
/// out of range).
std::optional<std::vector<int64_t>> sourceIndices(Operation *op,
                                                  ArrayRef<Values> inputs,
                                                  ArrayRef<int64_t> shape,
                                                  int64_t count) {
  std::vector<int64_t> source(count);
  if (auto transpose = dyn_cast<TransposeOp>(op)) {
    ArrayRef<int64_t> perm = transpose.getPerm();
    SmallVector<int64_t> inputStrides = stridesOf(inputs[0].type.getShape());
    SmallVector<int64_t> resultStrides = stridesOf(shape);
    for (int64_t i = 0; i < count; ++i) {
      int64_t flat = 0;
      for (size_t d = 0; d < shape.size(); ++d)
        flat += ((i / resultStrides[d]) % shape[d]) * inputStrides[perm[d]];
      source[i] = flat;
    }
    return source;
  }
  if (isa<ReshapeOp>(op)) {
    for (int64_t i = 0; i < count; ++i)
      source[i] = i;
    return source;
  }
  if (auto gather = dyn_cast<GatherOp>(op)) {
    ArrayRef<int64_t> input = inputs[0].type.getShape();
    int64_t axis = normalizeAxis(gather.getAxis(), input.size());
    int64_t inner = stridesOf(input)[axis], size = input[axis];
    const Values &indices = inputs[1];
    int64_t indexCount = indices.data.size();
    int64_t i = 0;
    for (int64_t outer = 0;
         outer < count / std::max<int64_t>(indexCount * inner, 1); ++outer)
      for (int64_t k = 0; k < indexCount; ++k) {
        int64_t index = indices.isInteger()
                            ? indices.ints[k]
                            : static_cast<int64_t>(indices.data[k]);
        if (index < -size || index >= size)
          return std::nullopt; // out of range: not ours to decide
        if (index < 0)
          index += size;
        for (int64_t j = 0; j < inner; ++j)
          source[i++] = (outer * size + index) * inner + j;
      }
    return source;
  }
  if (auto slice = dyn_cast<SliceOp>(op)) {
    SmallVector<int64_t> inputStrides = stridesOf(inputs[0].type.getShape());
    SmallVector<int64_t> resultStrides = stridesOf(shape);
    for (int64_t i = 0; i < count; ++i) {
      int64_t flat = 0;
      for (size_t d = 0; d < shape.size(); ++d)
        flat += (slice.getStarts()[d] +
                 ((i / resultStrides[d]) % shape[d]) * slice.getSteps()[d]) *
                inputStrides[d];
      source[i] = flat;
    }
    return source;
  }
  return std::nullopt;
}

/// Folds each element of `input` (of `inputShape`) into its slot of `out`
/// by `combine`, over the axes of reduction `op` (keepdims or not, the
/// output order is the input order without the reduced dims).
template <typename T, typename Combine>
void reduceInto(Operation *op, ArrayRef<int64_t> inputShape,
                const std::vector<T> &input, std::vector<T> &out,
                Combine combine) {
  auto axes = cast<DenseI64ArrayAttr>(op->getAttr("axes")).asArrayRef();
  SmallVector<bool> reduced(inputShape.size(), false);
  for (int64_t axis : axes)
    reduced[normalizeAxis(axis, inputShape.size())] = true;
  SmallVector<int64_t> inputStrides = stridesOf(inputShape);
  for (int64_t i = 0; i < static_cast<int64_t>(input.size()); ++i) {
    int64_t slot = 0;
    for (size_t d = 0; d < inputShape.size(); ++d)
      if (!reduced[d])
        slot = slot * inputShape[d] + (i / inputStrides[d]) % inputShape[d];
    out[slot] = combine(out[slot], input[i]);
  }
}

/// Evaluates `op` over constant `inputs`; nullopt when it cannot.
std::optional<Computed> evaluate(Operation *op, ArrayRef<Values> inputs) {
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  ArrayRef<int64_t> shape = resultType.getShape();
  int64_t count = resultType.getNumElements();
  bool isInteger = isa<IntegerType>(resultType.getElementType());
  if (isNarrowElementType(resultType.getElementType()))
    return std::nullopt;
  Computed result;
  std::vector<double> &out = result.data;
  std::vector<int64_t> &ints = result.ints;
  bool integerInputs = !inputs.empty() && inputs[0].isInteger();

  // Ops that move elements carry integers exactly.
  if (auto source = sourceIndices(op, inputs, shape, count)) {
    const Values &input = inputs[0];
    result.exact = input.isInteger() && isInteger;
    if (result.exact) {
      ints.resize(count);
      for (int64_t i = 0; i < count; ++i)
        ints[i] = input.ints[(*source)[i]];
    } else {
      out.resize(count);
      for (int64_t i = 0; i < count; ++i)
        out[i] = input.data[(*source)[i]];
    }
    return result;
  }
  if (isa<GatherOp>(op))
    return std::nullopt; // an index out of range
  if (auto concat = dyn_cast<ConcatOp>(op)) {
    int64_t axis = normalizeAxis(concat.getAxis(), shape.size());
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= shape[d];
    result.exact = isInteger && integerInputs;
    for (int64_t o = 0; o < outer; ++o)
      for (const Values &input : inputs) {
        int64_t chunk = input.type.getNumElements() / outer;
        if (result.exact)
          ints.insert(ints.end(), input.ints.begin() + o * chunk,
                      input.ints.begin() + (o + 1) * chunk);
        else
          out.insert(out.end(), input.data.begin() + o * chunk,
                     input.data.begin() + (o + 1) * chunk);
      }
    return result;
  }
  if (isa<SelectOp>(op)) {
    result.exact = isInteger && inputs[1].isInteger();
    (result.exact ? ints.resize(count) : out.resize(count));
    for (int64_t i = 0; i < count; ++i) {
      bool pick =
          inputs[0].data[broadcastIndex(i, shape, inputs[0].type.getShape())];
      const Values &chosen = pick ? inputs[1] : inputs[2];
      int64_t at = broadcastIndex(i, shape, chosen.type.getShape());
      if (result.exact)
        ints[i] = chosen.ints[at];
      else
        out[i] = chosen.data[at];
    }
    return result;
  }

  // Integer arithmetic and comparisons, exact.
  if (integerInputs && (isInteger || isa<CastOp>(op))) {
    if (auto fn = intUnaryFunction(op)) {
      bool toBool = resultType.getElementType().isInteger(1);
      result.exact = isInteger;
      (isInteger ? ints.resize(count) : out.resize(count));
      for (int64_t i = 0; i < count; ++i) {
        int64_t value = (*fn)(inputs[0].ints[i]);
        if (toBool)
          value = value != 0;
        if (isInteger)
          ints[i] = value;
        else
          out[i] = static_cast<double>(value); // Cast to a float type
      }
      return result;
    }
  }
  if (integerInputs && isa<AndOp, OrOp, XorOp>(op) &&
      !inputs[0].type.getElementType().isInteger(1))
    return std::nullopt; // bitwise on wider integers: not here
  if (integerInputs && inputs.size() == 2) {
    if (auto fn = intBinaryFunction(op)) {
      ArrayRef<int64_t> lhs = inputs[0].type.getShape();
      ArrayRef<int64_t> rhs = inputs[1].type.getShape();
      result.exact = true;
      ints.resize(count);
      for (int64_t i = 0; i < count; ++i)
        if (!(*fn)(inputs[0].ints[broadcastIndex(i, shape, lhs)],
                   inputs[1].ints[broadcastIndex(i, shape, rhs)], ints[i]))
          return std::nullopt; // e.g. division by zero: left to run time
      return result;
    }
  }
  if (isInteger && integerInputs &&
      isa<ReduceSumOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp, MatMulOp>(op)) {
    result.exact = true;
    ints.assign(count, 0);
    if (isa<MatMulOp>(op)) {
      ArrayRef<int64_t> lhs = inputs[0].type.getShape();
      ArrayRef<int64_t> rhs = inputs[1].type.getShape();
      int64_t m = shape[shape.size() - 2], n = shape.back(), k = lhs.back();
      int64_t batches = m != 0 && n != 0 ? count / (m * n) : 0;
      SmallVector<int64_t> batchShape(shape.drop_back(2));
      for (int64_t b = 0; b < batches; ++b) {
        const int64_t *a =
            inputs[0].ints.data() +
            broadcastIndex(b, batchShape, lhs.drop_back(2)) * m * k;
        const int64_t *w =
            inputs[1].ints.data() +
            broadcastIndex(b, batchShape, rhs.drop_back(2)) * k * n;
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            int64_t sum = 0;
            for (int64_t p = 0; p < k; ++p)
              sum = wrapAdd(sum, wrapMul(a[i * k + p], w[p * n + j]));
            ints[b * m * n + i * n + j] = sum;
          }
      }
      return result;
    }
    bool isMax = isa<ReduceMaxOp>(op), isMin = isa<ReduceMinOp>(op);
    bool isProd = isa<ReduceProdOp>(op);
    std::fill(ints.begin(), ints.end(),
              isMax    ? INT64_MIN
              : isMin  ? INT64_MAX
              : isProd ? 1
                       : 0);
    reduceInto(op, inputs[0].type.getShape(), inputs[0].ints, ints,
               [&](int64_t acc, int64_t x) {
                 return isMax    ? std::max(acc, x)
                        : isMin  ? std::min(acc, x)
                        : isProd ? wrapMul(acc, x)
                                 : wrapAdd(acc, x);
               });
    return result;
  }
  // Everything else computes in double: integers only while exact there.
  if (integerInputs && !exactInDouble(inputs))
    return std::nullopt;
  out.resize(count);

  if (auto fn = unaryFunction(op)) {
    if (isInteger && !isa<ReluOp, NegOp, AbsOp, SignOp, NotOp, CastOp>(op))
      return std::nullopt;
    bool toBool = resultType.getElementType().isInteger(1);
    for (int64_t i = 0; i < count; ++i) {
      out[i] = (*fn)(inputs[0].data[i]);
      if (toBool)
        out[i] = out[i] != 0;
    }
    return result;
  }
  if (auto clip = dyn_cast<ClipOp>(op)) {
    double low = clip.getMin().convertToDouble();
    double high = clip.getMax().convertToDouble();
    for (int64_t i = 0; i < count; ++i)
      out[i] = std::fmin(std::fmax(inputs[0].data[i], low), high);
    return result;
  }
  if (isInteger && isa<ModOp, FModOp>(op) &&
      llvm::is_contained(inputs[1].data, 0.0))
    return std::nullopt; // integer division by zero: left to run time
  if (auto fn = binaryFunction(op, integerInputs)) {
    ArrayRef<int64_t> lhs = inputs[0].type.getShape();
    ArrayRef<int64_t> rhs = inputs[1].type.getShape();
    for (int64_t i = 0; i < count; ++i)
      out[i] = (*fn)(inputs[0].data[broadcastIndex(i, shape, lhs)],
                     inputs[1].data[broadcastIndex(i, shape, rhs)]);
    return result;
  }
  if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(
          op)) {
    bool isMax = isa<ReduceMaxOp>(op), isMin = isa<ReduceMinOp>(op);
    bool isProd = isa<ReduceProdOp>(op);
    double init = isMax    ? -std::numeric_limits<double>::infinity()
                  : isMin  ? std::numeric_limits<double>::infinity()
                  : isProd ? 1.0
                           : 0.0;
    std::fill(out.begin(), out.end(), init);
    reduceInto(op, inputs[0].type.getShape(), inputs[0].data, out,
               [&](double acc, double x) {
                 return isMax    ? std::fmax(acc, x)
                        : isMin  ? std::fmin(acc, x)
                        : isProd ? acc * x
                                 : acc + x;
               });
    int64_t inputCount = inputs[0].type.getNumElements();
    if (isa<ReduceMeanOp>(op) && count)
      for (double &value : out)
        value /= static_cast<double>(inputCount / count);
    return result;
  }
  if (isa<MatMulOp>(op)) {
    ArrayRef<int64_t> lhs = inputs[0].type.getShape();
    ArrayRef<int64_t> rhs = inputs[1].type.getShape();
    int64_t m = shape[shape.size() - 2], n = shape.back(), k = lhs.back();
    int64_t batches = count / (m * n);
    // Batch b of the result maps to broadcast batches of the operands.
    SmallVector<int64_t> batchShape(shape.drop_back(2));
    for (int64_t b = 0; b < batches; ++b) {
      int64_t lhsBatch = broadcastIndex(b, batchShape, lhs.drop_back(2));
      int64_t rhsBatch = broadcastIndex(b, batchShape, rhs.drop_back(2));
      const double *a = inputs[0].data.data() + lhsBatch * m * k;
      const double *w = inputs[1].data.data() + rhsBatch * k * n;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double sum = 0;
          for (int64_t p = 0; p < k; ++p)
            sum += a[i * k + p] * w[p * n + j];
          out[b * m * n + i * n + j] = sum;
        }
    }
    return result;
  }
  if (auto softmax = dyn_cast<SoftmaxOp>(op)) {
    int64_t axis = normalizeAxis(softmax.getAxis(), shape.size());
    int64_t size = shape[axis], inner = stridesOf(shape)[axis];
    for (int64_t base = 0; base < count; ++base) {
      if ((base / inner) % size != 0)
        continue; // visit each slice once, from its first element
      double peak = -std::numeric_limits<double>::infinity(), sum = 0;
      for (int64_t j = 0; j < size; ++j)
        peak = std::fmax(peak, inputs[0].data[base + j * inner]);
      for (int64_t j = 0; j < size; ++j)
        sum += std::exp(inputs[0].data[base + j * inner] - peak);
      for (int64_t j = 0; j < size; ++j)
        out[base + j * inner] =
            std::exp(inputs[0].data[base + j * inner] - peak) / sum;
    }
    return result;
  }
  return std::nullopt; // conv and pooling are left to run time
}

} // namespace

DenseElementsAttr dlc::evaluateConstantOp(Operation *op, int64_t maxElements) {
  if (!isa<DlcDialect>(op->getDialect()) || op->getNumResults() != 1 ||
      op->getNumOperands() == 0 || isa<ConstantOp, FusedOp>(op))
    return nullptr;
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!resultType || !resultType.hasStaticShape())
    return nullptr;
  std::optional<int64_t> count = checkedNumElements(resultType.getShape());
  if (!count || *count > maxElements)
    return nullptr;
  SmallVector<Values> inputs;
  for (Value operand : op->getOperands()) {
    std::optional<Values> values = readConstant(operand);
    if (!values)
      return nullptr;
    inputs.push_back(std::move(*values));
  }
  std::optional<Computed> result = evaluate(op, inputs);
  if (!result)
    return nullptr;
  return writeConstant(resultType, *result);
}
