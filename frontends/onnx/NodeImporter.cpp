//===- NodeImporter.cpp - Node context and tensor conversion --------------===//
#include "frontends/onnx/NodeImporter.h"
#include "compiler/ConstantEvaluator.h"
#include "compiler/ShapeMath.h"
#include "compiler/dialect/DlcBuild.h"
#include "compiler/dialect/DlcDialect.h"
#include "compiler/dialect/ElementTypes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseSet.h"

#include <cmath>
#include <cstring>

using namespace mlir;

namespace dlc {

Type convertElementType(int32_t dataType, MLIRContext &context) {
  // ONNX's numbering is dlc's (dtypes.def). Narrow types: the pass
  // dlc-expand-narrow-types gives them storage types and spells out their
  // casts before anything else sees them. Strings and complex: not yet.
  return elementTypeOfDtype(dataType, context);
}

std::string elementTypeName(int32_t dataType) {
  switch (dataType) { // newer than some libonnx builds know
  case kOnnxFloat8E4M3FN:
    return "FLOAT8E4M3FN";
  case kOnnxFloat8E4M3FNUZ:
    return "FLOAT8E4M3FNUZ";
  case kOnnxFloat8E5M2:
    return "FLOAT8E5M2";
  case kOnnxFloat8E5M2FNUZ:
    return "FLOAT8E5M2FNUZ";
  case kOnnxUint4:
    return "UINT4";
  case kOnnxInt4:
    return "INT4";
  case kOnnxFloat4E2M1:
    return "FLOAT4E2M1";
  case kOnnxFloat8E8M0:
    return "FLOAT8E8M0";
  case kOnnxUint2:
    return "UINT2";
  case kOnnxInt2:
    return "INT2";
  default:
    break;
  }
  std::string name = onnx::TensorProto::DataType_Name(
      static_cast<onnx::TensorProto::DataType>(dataType));
  return name.empty() ? "type " + std::to_string(dataType) : name;
}

/// Copies little-endian raw bytes (or the typed field) into a vector of T.
template <typename T, typename Field>
static bool readValues(const std::string &raw, const Field &field,
                       int64_t count, std::vector<T> &values) {
  // The sizes are checked before anything is allocated: a tensor may declare
  // dims far larger than the data it holds.
  if (!raw.empty()) {
    if (raw.size() != static_cast<uint64_t>(count) * sizeof(T))
      return false;
    values.resize(count);
    std::memcpy(values.data(), raw.data(), raw.size());
    return true;
  }
  if (field.size() != count)
    return false;
  values.resize(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = static_cast<T>(field.Get(i));
  return true;
}

ElementsAttr convertTensor(const onnx::TensorProto &tensor,
                           const std::string &raw, MLIRContext &context,
                           std::string &error) {
  Type elementType = convertElementType(tensor.data_type(), context);
  if (!elementType) {
    error = "unsupported element type " + elementTypeName(tensor.data_type());
    return nullptr;
  }
  if (isa<Float4E2M1Type, Float8E8M0Type>(elementType)) {
    error = "constants of element type " + elementTypeName(tensor.data_type()) +
            " are not supported";
    return nullptr;
  }
  std::vector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  std::optional<int64_t> checkedCount = checkedNumElements(shape);
  if (!checkedCount) {
    error = "its dims " + shapeText(shape) +
            " are negative or hold more than 2^48 elements";
    return nullptr;
  }
  int64_t count = *checkedCount;
  auto type = RankedTensorType::get(shape, elementType);
  bool ok = false;
  ElementsAttr result;
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT: {
    std::vector<float> v;
    if ((ok = readValues(raw, tensor.float_data(), count, v)))
      result = DenseElementsAttr::get(type, llvm::ArrayRef(v));
    break;
  }
  case onnx::TensorProto::DOUBLE: {
    std::vector<double> v;
    if ((ok = readValues(raw, tensor.double_data(), count, v)))
      result = DenseElementsAttr::get(type, llvm::ArrayRef(v));
    break;
  }
  case onnx::TensorProto::INT64: {
    std::vector<int64_t> v;
    if ((ok = readValues(raw, tensor.int64_data(), count, v)))
      result = DenseElementsAttr::get(type, llvm::ArrayRef(v));
    break;
  }
  case onnx::TensorProto::INT32: {
    std::vector<int32_t> v;
    if ((ok = readValues(raw, tensor.int32_data(), count, v)))
      result = DenseElementsAttr::get(type, llvm::ArrayRef(v));
    break;
  }
  case onnx::TensorProto::INT16: {
    std::vector<int16_t> v;
    if ((ok = readValues(raw, tensor.int32_data(), count, v)))
      result = DenseElementsAttr::get(type, llvm::ArrayRef(v));
    break;
  }
  case onnx::TensorProto::INT8: {
    std::vector<int8_t> v;
    if ((ok = readValues(raw, tensor.int32_data(), count, v)))
      result = DenseElementsAttr::get(type, llvm::ArrayRef(v));
    break;
  }
  case onnx::TensorProto::BOOL: {
    std::vector<uint8_t> bytes;
    if ((ok = readValues(raw, tensor.int32_data(), count, bytes))) {
      SmallVector<bool> flags(bytes.begin(), bytes.end());
      result = DenseElementsAttr::get(type, llvm::ArrayRef<bool>(flags));
    }
    break;
  }
  case onnx::TensorProto::UINT8: {
    std::vector<uint8_t> v;
    if ((ok = readValues(raw, tensor.int32_data(), count, v)))
      result = DenseElementsAttr::get(type, llvm::ArrayRef(v));
    break;
  }
  case onnx::TensorProto::UINT16: {
    std::vector<uint16_t> v;
    if ((ok = readValues(raw, tensor.int32_data(), count, v)))
      result = DenseElementsAttr::get(type, llvm::ArrayRef(v));
    break;
  }
  case onnx::TensorProto::UINT32: {
    std::vector<uint32_t> v;
    if ((ok = readValues(raw, tensor.uint64_data(), count, v)))
      result = DenseElementsAttr::get(type, llvm::ArrayRef(v));
    break;
  }
  case onnx::TensorProto::UINT64: {
    std::vector<uint64_t> v;
    if ((ok = readValues(raw, tensor.uint64_data(), count, v)))
      result = DenseElementsAttr::get(type, llvm::ArrayRef(v));
    break;
  }
  case onnx::TensorProto::BFLOAT16:
  case kOnnxFloat8E4M3FN:
  case kOnnxFloat8E4M3FNUZ:
  case kOnnxFloat8E5M2:
  case kOnnxFloat8E5M2FNUZ: {
    // Bit patterns: int32_data holds one element per entry.
    const auto &semantics = cast<FloatType>(elementType).getFloatSemantics();
    unsigned width = elementType.getIntOrFloatBitWidth();
    SmallVector<APFloat> v;
    if (width == 16) {
      std::vector<uint16_t> bits;
      if ((ok = readValues(raw, tensor.int32_data(), count, bits)))
        for (uint16_t b : bits)
          v.push_back(APFloat(semantics, APInt(16, b)));
    } else {
      std::vector<uint8_t> bits;
      if ((ok = readValues(raw, tensor.int32_data(), count, bits)))
        for (uint8_t b : bits)
          v.push_back(APFloat(semantics, APInt(8, b)));
    }
    if (ok)
      result = DenseElementsAttr::get(type, v);
    break;
  }
  case kOnnxUint4:
  case kOnnxInt4:
  case kOnnxUint2:
  case kOnnxInt2: {
    // Packed, the first element in the low bits: raw bytes, or one packed
    // byte per int32_data entry.
    unsigned width = elementType.getIntOrFloatBitWidth();
    int64_t perByte = 8 / width;
    std::vector<uint8_t> packed;
    if (!raw.empty())
      packed.assign(raw.begin(), raw.end());
    else
      for (int32_t value : tensor.int32_data())
        packed.push_back(static_cast<uint8_t>(value));
    if ((ok = static_cast<int64_t>(packed.size()) ==
              (count + perByte - 1) / perByte)) {
      SmallVector<APInt> v;
      for (int64_t i = 0; i < count; ++i)
        v.push_back(
            APInt(width, (packed[i / perByte] >> (width * (i % perByte))) &
                             ((1u << width) - 1)));
      result = DenseElementsAttr::get(type, v);
    }
    break;
  }
  case onnx::TensorProto::FLOAT16: {
    std::vector<uint16_t> bits;
    if ((ok = readValues(raw, tensor.int32_data(), count, bits))) {
      SmallVector<APFloat> v;
      for (uint16_t b : bits)
        v.push_back(APFloat(APFloat::IEEEhalf(), APInt(16, b)));
      result = DenseElementsAttr::get(type, v);
    }
    break;
  }
  }
  if (!ok) {
    error = "its data does not hold " + std::to_string(count) +
            " elements of its type";
    return nullptr;
  }
  return result;
}

std::optional<std::vector<int64_t>> NodeImporter::constantInts(size_t i) const {
  // An input without elements has one value whatever the run gives.
  if (hasInput(i) && inputType(i).hasStaticShape() &&
      inputType(i).getNumElements() == 0)
    return std::vector<int64_t>();
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(constantInput(i));
  if (!dense)
    return std::nullopt;
  std::vector<int64_t> values;
  for (const APInt &value : dense.getValues<APInt>())
    values.push_back(value.getSExtValue());
  return values;
}

/// The names of the graph inputs `value` is computed from.
static std::vector<std::string> graphInputsOf(Value value) {
  std::vector<std::string> names;
  SmallVector<Value> work = {value};
  llvm::DenseSet<Value> seen;
  while (!work.empty()) {
    Value next = work.pop_back_val();
    if (!next || !seen.insert(next).second)
      continue;
    if (auto argument = dyn_cast<BlockArgument>(next)) {
      auto func = dyn_cast<func::FuncOp>(argument.getOwner()->getParentOp());
      if (auto name = func ? func.getArgAttrOfType<StringAttr>(
                                 argument.getArgNumber(),
                                 dlc::DlcDialect::NameAttrHelper::getNameStr())
                           : nullptr)
        names.push_back(name.str());
      continue;
    }
    if (Operation *op = next.getDefiningOp())
      work.append(op->operand_begin(), op->operand_end());
  }
  llvm::sort(names);
  return names;
}

/// The entry function's argument `value` is, or null.
static BlockArgument entryArgument(Value value) {
  auto argument = dyn_cast_or_null<BlockArgument>(value);
  if (!argument || !argument.getOwner()->isEntryBlock() ||
      !isa<func::FuncOp>(argument.getOwner()->getParentOp()))
    return nullptr;
  return argument;
}

bool NodeImporter::checkAtRunTime(size_t i, llvm::StringRef kind,
                                  ArrayRef<int64_t> expected,
                                  ArrayRef<int64_t> operand, int64_t flags,
                                  ArrayRef<CheckPart> parts) {
  BlockArgument argument = entryArgument(input(i));
  if (!runtimeValueChecks || !argument)
    return false;
  auto entry = llvm::cast<func::FuncOp>(argument.getOwner()->getParentOp());
  auto checkable = [&](size_t k) {
    // The element types the runtime reads (runtime.c, read_integers).
    auto element = inputType(k).getElementType();
    bool readable =
        (element.isInteger() && element.getIntOrFloatBitWidth() <= 64) ||
        element.isF16() || element.isBF16() || element.isF32() ||
        element.isF64();
    return readable && inputType(k).getNumElements() <= 64;
  };
  if (!checkable(i))
    return false;
  MLIRContext *context = builder.getContext();
  SmallVector<Attribute> partAttrs;
  for (const CheckPart &part : parts) {
    int64_t argNumber = -1;
    std::vector<int64_t> values = part.values;
    if (part.nodeInput >= 0) {
      size_t k = part.nodeInput;
      if (auto constant = constantInts(k))
        values = *constant;
      else if (BlockArgument arg = entryArgument(input(k)); arg && checkable(k))
        argNumber = arg.getArgNumber();
      else
        return false;
    }
    NamedAttribute partFields[] = {
        builder.getNamedAttr("input", builder.getI64IntegerAttr(argNumber)),
        builder.getNamedAttr("values", builder.getDenseI64ArrayAttr(values))};
    partAttrs.push_back(DictionaryAttr::get(context, partFields));
  }
  std::string label = node.op_type() + " '" +
                      (node.name().empty() ? node.output(0) : node.name()) +
                      "'";
  NamedAttribute fields[] = {
      builder.getNamedAttr("kind", builder.getStringAttr(kind)),
      builder.getNamedAttr("node", builder.getStringAttr(label)),
      builder.getNamedAttr("expected", builder.getDenseI64ArrayAttr(expected)),
      builder.getNamedAttr("operand", builder.getDenseI64ArrayAttr(operand)),
      builder.getNamedAttr("flags", builder.getI64IntegerAttr(flags)),
      builder.getNamedAttr("parts", ArrayAttr::get(context, partAttrs))};
  StringRef attrName = DlcDialect::ValueChecksAttrHelper::getNameStr();
  SmallVector<Attribute> checks;
  if (auto existing =
          entry.getArgAttrOfType<ArrayAttr>(argument.getArgNumber(), attrName))
    checks.assign(existing.begin(), existing.end());
  checks.push_back(DictionaryAttr::get(context, fields));
  entry.setArgAttr(argument.getArgNumber(), attrName,
                   ArrayAttr::get(context, checks));
  return true;
}

bool NodeImporter::setBoundedOutput(size_t i, Value value, Value count,
                                    int64_t dim) {
  if (!runtimeValueChecks || !boundedValues || !value || !count)
    return false;
  std::string label = node.op_type() + " '" +
                      (node.name().empty() ? node.output(0) : node.name()) +
                      "'";
  (*boundedValues)[value] = Bounded{count, dim, label};
  setOutput(i, value);
  return true;
}

LogicalResult NodeImporter::failNotConstant(size_t i, const llvm::Twine &what) {
  failed = true;
  std::string hint;
  for (const std::string &name : graphInputsOf(input(i)))
    hint += " --bind-input " + name + "=FILE";
  return fail(what + " (input '" + node.input(i) +
              "') must be known at compile time" +
              (hint.empty() ? std::string()
                            : "; it is computed from graph inputs: give "
                              "their values with" +
                                  hint));
}

std::optional<std::vector<int64_t>>
NodeImporter::requireInts(size_t i, const llvm::Twine &what) {
  auto values = constantInts(i);
  if (!values)
    (void)failNotConstant(i, what);
  return values;
}

const onnx::AttributeProto *
NodeImporter::findAttr(const std::string &name) const {
  for (const auto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t NodeImporter::attrInt(const std::string &name, int64_t fallback) const {
  const onnx::AttributeProto *attr = findAttr(name);
  return attr ? attr->i() : fallback;
}

float NodeImporter::attrFloat(const std::string &name, float fallback) const {
  const onnx::AttributeProto *attr = findAttr(name);
  return attr ? attr->f() : fallback;
}

std::string NodeImporter::attrString(const std::string &name,
                                     const std::string &fallback) const {
  const onnx::AttributeProto *attr = findAttr(name);
  return attr ? attr->s() : fallback;
}

std::vector<int64_t>
NodeImporter::attrInts(const std::string &name,
                       std::vector<int64_t> fallback) const {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return fallback;
  return std::vector<int64_t>(attr->ints().begin(), attr->ints().end());
}

LogicalResult NodeImporter::fail(const llvm::Twine &message) const {
  return emitError(loc) << node.op_type() << ": " << message;
}

Value NodeImporter::buildOp(StringRef name, ValueRange operands,
                            ArrayRef<NamedAttribute> attrs) {
  Value result = buildInferredOp(builder, loc, name, operands, attrs);
  failed |= !result;
  return foldIfConstant(result);
}

/// Integer results of constant operands (shapes, axes, indices computed by
/// Shape -> Gather -> Concat ...) and small float ones (a window size made a
/// float) are evaluated at once, so that ops taking them as a shape see a
/// constant. Larger float math is left to dlc-fold-constants.
Value NodeImporter::foldIfConstant(Value result) {
  Operation *op = result ? result.getDefiningOp() : nullptr;
  if (!op || isa<ConstantOp>(op))
    return result;
  auto type = mlir::cast<RankedTensorType>(result.getType());
  // The evaluator computes with signless (signed) meaning; unsigned values
  // are left to the graph passes, after dlc-signless-integers.
  auto isUnsigned = [](Type t) {
    return mlir::cast<RankedTensorType>(t).getElementType().isUnsignedInteger();
  };
  if (isUnsigned(type) || llvm::any_of(op->getOperandTypes(), isUnsigned))
    return result;
  int64_t limit = isa<IntegerType>(type.getElementType())
                      ? kMaxFoldedElements
                      : kMaxFoldedFloatElements;
  DenseElementsAttr value = evaluateConstantOp(op, limit);
  if (!value)
    return result;
  Value folded = constant(value);
  result.replaceAllUsesWith(folded);
  op->erase();
  return folded;
}

Value NodeImporter::sliceAxis(Value value, int64_t axis, int64_t start,
                              int64_t size) {
  if (!value) {
    failed = true;
    return nullptr;
  }
  auto shape = mlir::cast<RankedTensorType>(value.getType()).getShape();
  if (axis < 0 || axis >= static_cast<int64_t>(shape.size())) {
    failed = true;
    (void)fail("an input of rank " + std::to_string(shape.size()) +
               " has no axis " + std::to_string(axis));
    return nullptr;
  }
  std::vector<int64_t> starts(shape.size(), 0),
      ends(shape.begin(), shape.end()), steps(shape.size(), 1);
  starts[axis] = start;
  ends[axis] = start + size;
  return build<SliceOp>(value,
                        {attr("starts", builder.getDenseI64ArrayAttr(starts)),
                         attr("ends", builder.getDenseI64ArrayAttr(ends)),
                         attr("steps", builder.getDenseI64ArrayAttr(steps))});
}

Value NodeImporter::selectByAxes(size_t i, int64_t rank,
                                 ArrayRef<SmallVector<int64_t>> sets,
                                 ArrayRef<Value> variants) {
  if (variants.size() == 1)
    return variants.front();
  auto i64 = builder.getI64Type();
  auto scalar = [&](int64_t value) {
    return constantOf(RankedTensorType::get({}, i64), {double(value)});
  };
  Value axes = cast(input(i), i64);
  axes = reshape(axes, {inputType(i).getNumElements()});
  Value wrapped = build<AddOp>({axes, scalar(rank)});
  Value normalized =
      build<SelectOp>({build<LessOp>({axes, scalar(0)}), wrapped, axes});
  Value bits = build<ShiftLeftOp>({scalar(1), normalized});
  Value code =
      build<ReduceSumOp>(bits, {attr("axes", builder.getDenseI64ArrayAttr({0})),
                                attr("keepdims", builder.getBoolAttr(false))});
  Value result = variants.back();
  for (size_t k = variants.size() - 1; k-- > 0;) {
    int64_t setCode = 0;
    for (int64_t axis : sets[k])
      setCode += int64_t(1) << axis;
    Value chosen = build<EqualOp>({code, scalar(setCode)});
    result = build<SelectOp>({chosen, variants[k], result});
  }
  return result;
}

Value NodeImporter::transpose(Value value, ArrayRef<int64_t> perm) {
  return build<TransposeOp>(value,
                            attr("perm", builder.getDenseI64ArrayAttr(perm)));
}

/// Whether every element of `value` is an integer within [low, high]:
/// proven from how it was built (a clip to integral bounds of rounded
/// values, integer constants, casts from integers).
static bool isIntegralWithin(Value value, double low, double high,
                             int depth = 0) {
  if (depth > 8)
    return false;
  Operation *op = value.getDefiningOp();
  if (!op)
    return false;
  auto integral = [&](Value v) {
    return isIntegralWithin(v, -INFINITY, INFINITY, depth + 1);
  };
  if (auto clip = dyn_cast<ClipOp>(op)) {
    double min = clip.getMin().convertToDouble();
    double max = clip.getMax().convertToDouble();
    return min >= low && max <= high && std::floor(min) == min &&
           std::floor(max) == max && integral(clip.getInput());
  }
  if (!std::isinf(low) || !std::isinf(high))
    return false; // only a clip bounds a value here
  if (isa<RoundOp, FloorOp, CeilOp>(op))
    return true;
  if (auto cast = dyn_cast<CastOp>(op))
    return isa<IntegerType>(getElementTypeOrSelf(cast.getInput().getType()));
  if (isa<AddOp, SubOp>(op))
    return integral(op->getOperand(0)) && integral(op->getOperand(1));
  if (isa<ReshapeOp>(op))
    return integral(op->getOperand(0));
  if (auto constant = dyn_cast<ConstantOp>(op)) {
    auto values = dyn_cast<DenseElementsAttr>(constant.getValue());
    if (!values || !isa<FloatType>(values.getElementType()))
      return false;
    for (APFloat v : values.getValues<APFloat>())
      if (!v.isInteger())
        return false;
    return true;
  }
  return false;
}

Value NodeImporter::cast(Value value, Type elementType) {
  if (!value) {
    failed = true;
    return nullptr;
  }
  auto type = mlir::cast<RankedTensorType>(value.getType());
  if (type.getElementType() == elementType)
    return value;
  // Unsigned constants to float here: the constant evaluator computes with
  // signless (signed) meaning and leaves them alone, and a zero point left
  // as a run-time cast would stop its QDQ chain from fusing.
  if (auto constant = value.getDefiningOp<ConstantOp>()) {
    auto values = dyn_cast<DenseIntElementsAttr>(constant.getValue());
    auto floatType = dyn_cast<FloatType>(elementType);
    if (values && floatType && values.getElementType().isUnsignedInteger() &&
        values.getNumElements() <= 65536) {
      SmallVector<APFloat> converted;
      for (const APInt &v : values.getValues<APInt>()) {
        APFloat f(floatType.getFloatSemantics());
        f.convertFromAPInt(v, /*IsSigned=*/false, APFloat::rmNearestTiesToEven);
        converted.push_back(f);
      }
      return this->constant(DenseElementsAttr::get(
          RankedTensorType::get(type.getShape(), elementType), converted));
    }
  }
  // A round trip float -> integer -> the same float is the identity on an
  // integral value within the integer type's range: DequantizeLinear after
  // QuantizeLinear (a QDQ pair) then reads the clipped value directly, and
  // the pair stays one chain of f32 elementwise ops that fuses into its
  // producer. (A NaN would pass through where the casts make it a number;
  // ONNX leaves quantizing NaN undefined.)
  if (auto inner = value.getDefiningOp<CastOp>()) {
    auto integer = dyn_cast<IntegerType>(type.getElementType());
    Value source = inner.getInput();
    auto sourceType = mlir::cast<RankedTensorType>(source.getType());
    if (integer && sourceType.getElementType() == elementType &&
        (elementType.isF32() || elementType.isF64()) &&
        integer.getWidth() <= 16) {
      unsigned width = integer.getWidth();
      double low = integer.isUnsigned() ? 0 : -std::ldexp(1.0, width - 1);
      double high = integer.isUnsigned() ? std::ldexp(1.0, width) - 1
                                         : std::ldexp(1.0, width - 1) - 1;
      if (isIntegralWithin(source, low, high))
        return source;
    }
  }
  return foldIfConstant(builder.create<CastOp>(
      loc, RankedTensorType::get(type.getShape(), elementType), value));
}

Value NodeImporter::constant(ElementsAttr value) {
  return builder.create<ConstantOp>(loc, value);
}

Value NodeImporter::reshape(Value value, llvm::ArrayRef<int64_t> shape) {
  if (!value) {
    failed = true;
    return nullptr;
  }
  auto type = mlir::cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return foldIfConstant(builder.create<ReshapeOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), value));
}

Value NodeImporter::scalarLike(Value like, double value) {
  if (!like) {
    failed = true;
    return nullptr;
  }
  Type elementType =
      mlir::cast<RankedTensorType>(like.getType()).getElementType();
  auto type = RankedTensorType::get({}, elementType);
  if (isa<FloatType>(elementType))
    return constant(DenseElementsAttr::get(
        type, Attribute(builder.getFloatAttr(elementType, value))));
  // Integers saturate to the element type's range (an infinite bound of a
  // clip, a lowest value for padding), NaN becomes 0: as a C cast would
  // not, for which a value out of range is undefined.
  auto integerType = mlir::cast<IntegerType>(elementType);
  APInt integer =
      saturatedInteger(value, integerType.getWidth(),
                       integerType.isUnsigned() || integerType.getWidth() == 1);
  return constant(DenseElementsAttr::get(
      type, Attribute(builder.getIntegerAttr(elementType, integer))));
}

LogicalResult requireSameElementType(NodeImporter &n, Value a, Value b) {
  if (!a || !b) // built by an op that failed and said why
    return failure();
  if (mlir::cast<RankedTensorType>(a.getType()).getElementType() !=
      mlir::cast<RankedTensorType>(b.getType()).getElementType())
    return n.fail("inputs have different element types");
  return success();
}

std::optional<double> constantScalar(const NodeImporter &n, size_t i) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(n.constantInput(i));
  if (!dense || dense.getNumElements() != 1)
    return std::nullopt;
  Type type = dense.getElementType();
  if (isa<FloatType>(type))
    return (*dense.getValues<APFloat>().begin()).convertToDouble();
  if (type.isInteger(1))
    return (*dense.getValues<APInt>().begin()).getZExtValue();
  return (*dense.getValues<APInt>().begin()).getSExtValue();
}

FailureOr<int64_t> normalizedAxis(NodeImporter &n, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return n.fail("axis " + std::to_string(axis) +
                  " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Value NodeImporter::constantOf(RankedTensorType type, ArrayRef<double> values) {
  Type elementType = type.getElementType();
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    SmallVector<APFloat> elements;
    for (double value : values) {
      APFloat element(value);
      bool lost;
      element.convert(floatType.getFloatSemantics(),
                      APFloat::rmNearestTiesToEven, &lost);
      elements.push_back(element);
    }
    return constant(DenseElementsAttr::get(type, elements));
  }
  unsigned width = elementType.getIntOrFloatBitWidth();
  SmallVector<APInt> elements;
  // Values of 2^63 and more are unsigned; the rest signed, both truncated to
  // the width (a bit pattern); out of 64-bit range they saturate.
  for (double value : values)
    elements.push_back(width == 1 ? APInt(1, value != 0)
                       : value >= 0x1p63
                           ? saturatedInteger(value, 64, true).trunc(width)
                           : saturatedInteger(value, 64, false).trunc(width));
  return constant(DenseElementsAttr::get(type, elements));
}

FailureOr<Window> readWindow(NodeImporter &n, ArrayRef<int64_t> inputShape,
                             ArrayRef<int64_t> kernel) {
  size_t rank = kernel.size();
  Window w;
  auto strides = n.attrInts("strides", std::vector<int64_t>(rank, 1));
  auto dilations = n.attrInts("dilations", std::vector<int64_t>(rank, 1));
  auto pads = n.attrInts("pads", std::vector<int64_t>(2 * rank, 0));
  if (strides.size() != rank || dilations.size() != rank ||
      pads.size() != 2 * rank)
    return n.fail("strides, dilations or pads do not match the kernel rank " +
                  std::to_string(rank));
  w.strides.assign(strides.begin(), strides.end());
  w.dilations.assign(dilations.begin(), dilations.end());
  w.pads.assign(pads.begin(), pads.end());
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    std::fill(w.pads.begin(), w.pads.end(), 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (size_t i = 0; i < rank; ++i) {
      int64_t in = inputShape[i + 2], s = w.strides[i];
      int64_t out = (in + s - 1) / s;
      int64_t span = (kernel[i] - 1) * w.dilations[i] + 1;
      int64_t total = std::max<int64_t>((out - 1) * s + span - in, 0);
      int64_t small = total / 2, large = total - small;
      w.pads[i] = autoPad == "SAME_UPPER" ? small : large;
      w.pads[i + rank] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad != "NOTSET") {
    return n.fail("unknown auto_pad '" + autoPad + "'");
  }
  return w;
}

} // namespace dlc
