//===- NodeImporter.cpp - Node context and tensor conversion --------------===//
#include "frontends/onnx/NodeImporter.h"
#include "compiler/DlcBuild.h"

#include "mlir/IR/Diagnostics.h"

#include <cstring>

using namespace mlir;

namespace dlc {

Type convertElementType(int32_t dataType, MLIRContext &context) {
  Builder b(&context);
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64:
    return b.getIntegerType(64);
  case onnx::TensorProto::BOOL:
    return b.getIntegerType(1);
  default:
    return nullptr; // unsigned, strings, complex, bfloat16: not yet
  }
}

/// Copies little-endian raw bytes (or the typed field) into a vector of T.
template <typename T, typename Field>
static bool readValues(const std::string &raw, const Field &field,
                       int64_t count, std::vector<T> &values) {
  values.resize(count);
  if (!raw.empty()) {
    if (raw.size() != count * sizeof(T))
      return false;
    std::memcpy(values.data(), raw.data(), raw.size());
    return true;
  }
  if (field.size() != count)
    return false;
  for (int64_t i = 0; i < count; ++i)
    values[i] = static_cast<T>(field.Get(i));
  return true;
}

ElementsAttr convertTensor(const onnx::TensorProto &tensor,
                           const std::string &raw, MLIRContext &context,
                           std::string &error) {
  Type elementType = convertElementType(tensor.data_type(), context);
  if (!elementType) {
    error = "unsupported element type " +
            onnx::TensorProto::DataType_Name(
                static_cast<onnx::TensorProto::DataType>(tensor.data_type()));
    return nullptr;
  }
  std::vector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) {
      error = "negative dimension";
      return nullptr;
    }
    count *= dim;
  }
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
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(constantInput(i));
  if (!dense)
    return std::nullopt;
  std::vector<int64_t> values;
  for (const APInt &value : dense.getValues<APInt>())
    values.push_back(value.getSExtValue());
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
  return result;
}

Value NodeImporter::constant(ElementsAttr value) {
  return builder.create<ConstantOp>(loc, value);
}

Value NodeImporter::reshape(Value value, llvm::ArrayRef<int64_t> shape) {
  if (!value) {
    failed = true;
    return nullptr;
  }
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return builder.create<ReshapeOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), value);
}

Value NodeImporter::scalarLike(Value like, double value) {
  if (!like) {
    failed = true;
    return nullptr;
  }
  Type elementType = cast<RankedTensorType>(like.getType()).getElementType();
  auto type = RankedTensorType::get({}, elementType);
  Attribute scalar = isa<FloatType>(elementType)
                         ? Attribute(builder.getFloatAttr(elementType, value))
                         : Attribute(builder.getIntegerAttr(
                               elementType, static_cast<int64_t>(value)));
  return constant(DenseElementsAttr::get(type, scalar));
}

} // namespace dlc
