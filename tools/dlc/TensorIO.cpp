//===- TensorIO.cpp - .npy and ONNX .pb tensor files ----------------------===//
#include "tools/dlc/TensorIO.h"
#include "compiler/ShapeMath.h"

#include <cerrno>
#include <sys/stat.h>

#include "onnx/onnx_pb.h"

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

namespace dlc {

int64_t HostTensor::numElements() const {
  return dlc::checkedNumElements(shape).value_or(-1);
}

dlc_tensor HostTensor::view() {
  dlc_tensor t;
  t.data = bytes.data();
  t.shape = shape.data();
  t.rank = static_cast<int32_t>(shape.size());
  t.dtype = dtype;
  return t;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

static bool endsWith(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

static bool readAll(const std::string &path, std::string &contents,
                    std::string &error) {
  // A FIFO or a device (/dev/zero) would block or never end.
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    error = "cannot read '" + path + "': not a regular file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read '" + path + "'";
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  contents = buffer.str();
  return true;
}

struct NpyType {
  const char *descr;
  dlc_dtype dtype;
};
static const NpyType kNpyTypes[] = {
    {"<f4", DLC_FLOAT32}, {"<f8", DLC_FLOAT64}, {"<f2", DLC_FLOAT16},
    {"|i1", DLC_INT8},    {"<i2", DLC_INT16},   {"<i4", DLC_INT32},
    {"<i8", DLC_INT64},   {"|b1", DLC_BOOL},    {"|u1", DLC_UINT8},
    {"<u2", DLC_UINT16},  {"<u4", DLC_UINT32},  {"<u8", DLC_UINT64},
};

/// numpy has no bfloat16, float8, int4 or int2: it saves ml_dtypes arrays
/// of them as raw bytes ('<V1', '<V2'; float8_e5m2 as '<f1', which numpy
/// itself cannot load), and `dlc run` writes them as raw bytes. Such a file
/// takes the dtype the model expects (see takeUntypedAs).
static const char *rawNpyDescr(dlc_dtype dtype) {
  switch (dlc_dtype_size(dtype)) {
  case 1:
    return "|V1";
  case 2:
    return "<V2";
  default:
    return nullptr;
  }
}

static bool isNarrowType(dlc_dtype dtype) {
  return dtype >= DLC_BFLOAT16 && dtype <= DLC_INT2 &&
         dlc_dtype_size(dtype) != 0;
}

/// Elements a byte of an ONNX TensorProto's data holds (ONNX packs 4-bit
/// types two to a byte and 2-bit types four, the first in the low bits).
static int elementsPerByte(dlc_dtype dtype) {
  switch (dtype) {
  case DLC_UINT4:
  case DLC_INT4:
  case DLC_FLOAT4E2M1:
    return 2;
  case DLC_UINT2:
  case DLC_INT2:
    return 4;
  default:
    return 1;
  }
}

static bool readNpy(const std::string &path, const std::string &contents,
                    HostTensor &tensor, std::string &error) {
  const std::string bad = "'" + path + "' is not a valid .npy file";
  if (contents.size() < 10 || contents.compare(0, 6, "\x93NUMPY") != 0) {
    error = bad;
    return false;
  }
  int major = static_cast<uint8_t>(contents[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = static_cast<uint8_t>(contents[8]) |
                   (static_cast<uint8_t>(contents[9]) << 8);
    headerStart = 10;
  } else {
    if (contents.size() < 12) {
      error = bad;
      return false;
    }
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength =
          (headerLength << 8) | static_cast<uint8_t>(contents[8 + i]);
    headerStart = 12;
  }
  if (headerStart + headerLength > contents.size()) {
    error = bad;
    return false;
  }
  std::string header = contents.substr(headerStart, headerLength);
  std::smatch match;
  if (!std::regex_search(header, match, std::regex("'descr':\\s*'([^']*)'"))) {
    error = bad + " (no descr)";
    return false;
  }
  std::string descr = match[1];
  if (descr.size() == 3 && descr[0] == '=')
    descr[0] = '<';
  tensor.dtype = DLC_DTYPE_INVALID;
  tensor.untypedBytes = 0;
  for (const NpyType &type : kNpyTypes)
    if (descr == type.descr)
      tensor.dtype = type.dtype;
  if (descr == "|V1" || descr == "<V1" || descr == "<f1") // f1: float8e5m2
    tensor.untypedBytes = 1;
  else if (descr == "<V2")
    tensor.untypedBytes = 2;
  if (tensor.dtype == DLC_DTYPE_INVALID && !tensor.untypedBytes) {
    error = "'" + path + "' has unsupported numpy dtype '" + descr + "'";
    return false;
  }
  if (!std::regex_search(header, match,
                         std::regex("'fortran_order':\\s*(\\w+)")) ||
      match[1] != "False") {
    error = "'" + path +
            "' is in Fortran order (or does not say); save it "
            "in C order";
    return false;
  }
  if (!std::regex_search(header, match,
                         std::regex("'shape':\\s*\\(([^)]*)\\)"))) {
    error = bad + " (no shape)";
    return false;
  }
  tensor.shape.clear();
  std::string dims = match[1];
  // "(2, 3)", "(4,)" or "()": each dim a plain non-negative integer.
  std::vector<std::string> tokens(1);
  for (char c : dims) {
    if (c == ',')
      tokens.emplace_back();
    else if (c != ' ')
      tokens.back() += c;
  }
  if (tokens.back().empty())
    tokens.pop_back(); // "(4,)" and "()"
  for (const std::string &text : tokens) {
    errno = 0;
    char *end = nullptr;
    long long value = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() ||
        text.find_first_not_of("0123456789") != std::string::npos ||
        errno == ERANGE || *end) {
      error = bad + " (shape (" + dims + "))";
      return false;
    }
    tensor.shape.push_back(value);
  }
  std::optional<int64_t> bytes = dlc::checkedByteSize(
      tensor.shape,
      tensor.untypedBytes ? tensor.untypedBytes : dlc_dtype_size(tensor.dtype));
  if (!bytes) {
    error = "'" + path + "' has shape " + formatShape(tensor.shape) +
            ", more than 2^48 bytes";
    return false;
  }
  size_t expected = static_cast<size_t>(*bytes);
  size_t dataStart = headerStart + headerLength;
  if (contents.size() - dataStart != expected) {
    error = "'" + path + "' holds " +
            std::to_string(contents.size() - dataStart) +
            " data bytes, its header promises " + std::to_string(expected);
    return false;
  }
  tensor.bytes.assign(contents.begin() + dataStart, contents.end());
  return true;
}

template <typename T, typename Field>
static void copyTyped(const Field &field, HostTensor &tensor) {
  tensor.bytes.resize(field.size() * sizeof(T));
  T *out = reinterpret_cast<T *>(tensor.bytes.data());
  for (int i = 0; i < field.size(); ++i)
    out[i] = static_cast<T>(field.Get(i));
}

static bool readPb(const std::string &path, const std::string &contents,
                   HostTensor &tensor, std::string &error) {
  onnx::TensorProto proto;
  if (!proto.ParseFromString(contents)) {
    error = "'" + path + "' is not a valid ONNX TensorProto file";
    return false;
  }
  tensor.dtype = static_cast<dlc_dtype>(proto.data_type());
  size_t elementSize = dlc_dtype_size(tensor.dtype);
  if (elementSize == 0) {
    error = "'" + path + "' has unsupported data type " +
            std::to_string(proto.data_type());
    return false;
  }
  tensor.shape.assign(proto.dims().begin(), proto.dims().end());
  if (!dlc::checkedNumElements(tensor.shape)) {
    error = "'" + path + "' has shape " + formatShape(tensor.shape) +
            ": a negative dimension, or more than 2^48 elements";
    return false;
  }
  if (int perByte = elementsPerByte(tensor.dtype); perByte > 1) {
    // Packed: raw bytes, or one packed byte per int32_data entry.
    std::vector<uint8_t> packed;
    if (proto.has_raw_data())
      packed.assign(proto.raw_data().begin(), proto.raw_data().end());
    else
      for (int32_t value : proto.int32_data())
        packed.push_back(static_cast<uint8_t>(value));
    int64_t count = tensor.numElements();
    if (static_cast<int64_t>(packed.size()) !=
        (count + perByte - 1) / perByte) {
      error = "'" + path + "' holds " + std::to_string(packed.size()) +
              " packed data bytes for shape " + formatShape(tensor.shape);
      return false;
    }
    int bits = 8 / perByte;
    tensor.bytes.resize(count);
    for (int64_t i = 0; i < count; ++i)
      tensor.bytes[i] =
          (packed[i / perByte] >> (bits * (i % perByte))) & ((1 << bits) - 1);
    return true;
  }
  if (proto.has_raw_data()) {
    tensor.bytes.assign(proto.raw_data().begin(), proto.raw_data().end());
  } else {
    switch (tensor.dtype) {
    case DLC_FLOAT32:
      copyTyped<float>(proto.float_data(), tensor);
      break;
    case DLC_FLOAT64:
      copyTyped<double>(proto.double_data(), tensor);
      break;
    case DLC_INT64:
      copyTyped<int64_t>(proto.int64_data(), tensor);
      break;
    case DLC_UINT64:
      copyTyped<uint64_t>(proto.uint64_data(), tensor);
      break;
    case DLC_UINT32: // travels in uint64_data
      copyTyped<uint32_t>(proto.uint64_data(), tensor);
      break;
    case DLC_INT32:
      copyTyped<int32_t>(proto.int32_data(), tensor);
      break;
    case DLC_INT16:
      copyTyped<int16_t>(proto.int32_data(), tensor);
      break;
    case DLC_UINT16:
    case DLC_FLOAT16:
    case DLC_BFLOAT16:
      copyTyped<uint16_t>(proto.int32_data(), tensor);
      break;
    case DLC_FLOAT8E4M3FN:
    case DLC_FLOAT8E4M3FNUZ:
    case DLC_FLOAT8E5M2:
    case DLC_FLOAT8E5M2FNUZ:
    case DLC_FLOAT8E8M0:
      copyTyped<uint8_t>(proto.int32_data(), tensor);
      break;
    case DLC_INT8:
      copyTyped<int8_t>(proto.int32_data(), tensor);
      break;
    case DLC_UINT8:
    case DLC_BOOL:
      copyTyped<uint8_t>(proto.int32_data(), tensor);
      break;
    default:
      break;
    }
  }
  if (tensor.bytes.size() != tensor.numElements() * elementSize) {
    error = "'" + path + "' holds " + std::to_string(tensor.bytes.size()) +
            " data bytes for shape " + formatShape(tensor.shape);
    return false;
  }
  return true;
}

bool takeUntypedAs(HostTensor &tensor, dlc_dtype dtype) {
  if (!tensor.untypedBytes || !isNarrowType(dtype) ||
      dlc_dtype_size(dtype) != tensor.untypedBytes)
    return false;
  tensor.dtype = dtype;
  tensor.untypedBytes = 0;
  return true;
}

bool readTensorFile(const std::string &path, HostTensor &tensor,
                    std::string &error) {
  bool npy = endsWith(path, ".npy"), pb = endsWith(path, ".pb");
  if (!npy && !pb) {
    error = "'" + path + "': tensor files must end in .npy or .pb";
    return false;
  }
  std::string contents;
  if (!readAll(path, contents, error))
    return false;
  return npy ? readNpy(path, contents, tensor, error)
             : readPb(path, contents, tensor, error);
}

bool writeNpy(const std::string &path, const HostTensor &tensor,
              std::string &error) {
  const char *descr = nullptr;
  for (const NpyType &type : kNpyTypes)
    if (type.dtype == tensor.dtype)
      descr = type.descr;
  if (isNarrowType(tensor.dtype))
    descr = rawNpyDescr(tensor.dtype);
  if (!descr) {
    error = "cannot write dtype " + std::string(dlc_dtype_name(tensor.dtype)) +
            " to .npy";
    return false;
  }
  std::string shape = "(";
  for (int64_t dim : tensor.shape)
    shape += std::to_string(dim) + ", ";
  if (tensor.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = "{'descr': '" + std::string(descr) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t length = static_cast<uint16_t>(header.size());
  char lengthBytes[2] = {static_cast<char>(length & 0xff),
                         static_cast<char>(length >> 8)};
  out.write(lengthBytes, 2);
  out << header;
  out.write(reinterpret_cast<const char *>(tensor.bytes.data()),
            tensor.bytes.size());
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

} // namespace dlc
