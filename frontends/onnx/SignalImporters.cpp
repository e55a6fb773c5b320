//===- SignalImporters.cpp - DFT, STFT, MelWeightMatrix -------------------===//
//
// With static shapes a discrete Fourier transform of length L is a product
// with constant cosine and sine tables: O(L^2) where an FFT is O(L log L),
// but a matmul the micro-kernels run well, exact to the tables' rounding, and
// at the lengths models use (audio front ends: L <= 512) cheap. The tables
// are computed in double; the products accumulate in the signal's type, as
// an FFT in that type would (numpy's is float32 for float32 signals).
// Follows numpy.fft as the ONNX reference uses it:
// the signal is cut or zero-padded to L, onesided keeps L/2 + 1 bins, and
// the onesided inverse is numpy's irfft (a real signal from half a spectrum).
// MelWeightMatrix depends on its scalar inputs only: it is computed while
// importing, step by step in the precision the ONNX reference computes it.
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeImporter.h"

#include <cmath>

using namespace mlir;
using namespace dlc;

namespace {

/// A [rows, cols] constant of `elementType` with entry(r, c).
template <typename Fn>
Value table(NodeImporter &n, Type elementType, int64_t rows, int64_t cols,
            Fn entry) {
  std::vector<double> values(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      values[r * cols + c] = entry(r, c);
  return n.constantOf(RankedTensorType::get({rows, cols}, elementType), values);
}

/// The real and imaginary parts (im null for a real signal) of a transform
/// along the last dim.
struct Complex {
  Value re, im;
};

/// The DFT of `signal` along its last dim with length `length`: forward
/// (onesided keeps length / 2 + 1 bins), inverse (divided by the length),
/// or the onesided inverse (a real result of `length` samples).
Complex transformLast(NodeImporter &n, Complex signal, int64_t length,
                      bool inverse, bool onesided) {
  if (!signal.re)
    return {nullptr, nullptr};
  auto type = cast<RankedTensorType>(signal.re.getType());
  Type elementType = type.getElementType();
  int64_t have = type.getShape().back();
  int64_t bins = onesided ? length / 2 + 1 : length;
  int64_t outputs = inverse ? length : bins;
  // Samples (or bins) past the length are cut; missing ones are zeros, which
  // add nothing.
  int64_t used = std::min(have, inverse ? bins : length);
  auto cut = [&](Value v) {
    return v && used < have ? n.sliceAxis(v, type.getRank() - 1, 0, used) : v;
  };
  Value re = cut(signal.re), im = cut(signal.im);
  const double pi = std::acos(-1.0);
  auto angle = [&](int64_t j, int64_t k) {
    // j * k mod L keeps the angle small, so the tables stay exact.
    return 2 * pi * double((j * k) % length) / double(length);
  };
  auto product = [&](Value x, auto entry) {
    return n.build<MatMulOp>({x, table(n, elementType, used, outputs, entry)});
  };
  auto sum = [&](Value a, Value b) {
    return a ? (b ? n.build<AddOp>({a, b}) : a) : b;
  };
  if (!inverse) {
    // X[k] = sum_j x[j] e^{-2 pi i jk / L}
    auto cosine = [&](int64_t j, int64_t k) { return std::cos(angle(j, k)); };
    auto sine = [&](int64_t j, int64_t k) { return std::sin(angle(j, k)); };
    auto minusSine = [&](int64_t j, int64_t k) {
      return -std::sin(angle(j, k));
    };
    Value outRe = sum(product(re, cosine), im ? product(im, sine) : nullptr);
    Value outIm =
        sum(product(re, minusSine), im ? product(im, cosine) : nullptr);
    return {outRe, outIm};
  }
  double scale = 1.0 / double(length);
  if (!onesided) {
    // x[j] = 1/L sum_k X[k] e^{2 pi i jk / L}
    auto cosine = [&](int64_t k, int64_t j) {
      return std::cos(angle(j, k)) * scale;
    };
    auto sine = [&](int64_t k, int64_t j) {
      return std::sin(angle(j, k)) * scale;
    };
    auto minusSine = [&](int64_t k, int64_t j) {
      return -std::sin(angle(j, k)) * scale;
    };
    Value outRe =
        sum(product(re, cosine), im ? product(im, minusSine) : nullptr);
    Value outIm = sum(product(re, sine), im ? product(im, cosine) : nullptr);
    return {outRe, outIm};
  }
  // irfft: bin k stands for itself and its mirror L - k, except bin 0 and,
  // for an even L, bin L/2, whose imaginary parts are ignored.
  auto weight = [&](int64_t k) {
    return k == 0 || 2 * k == length ? 1.0 : 2.0;
  };
  auto cosine = [&](int64_t k, int64_t j) {
    return weight(k) * std::cos(angle(j, k)) * scale;
  };
  auto minusSine = [&](int64_t k, int64_t j) {
    if (k == 0 || 2 * k == length)
      return 0.0;
    return -weight(k) * std::sin(angle(j, k)) * scale;
  };
  return {sum(product(re, cosine), im ? product(im, minusSine) : nullptr),
          nullptr};
}

/// x's dims with the last (the real/imaginary pair) split off: the parts.
Complex splitParts(NodeImporter &n, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  ShapeVec shape(type.getShape().drop_back());
  Value re = n.reshape(n.sliceAxis(x, rank - 1, 0, 1), shape);
  Value im = type.getShape().back() == 2
                 ? n.reshape(n.sliceAxis(x, rank - 1, 1, 1), shape)
                 : nullptr;
  return {re, im};
}

/// The parts joined along a new last dim ([.., 2], or [.., 1] when real).
Value joinParts(NodeImporter &n, Complex parts) {
  if (!parts.re)
    return nullptr;
  auto shape = cast<RankedTensorType>(parts.re.getType()).getShape();
  ShapeVec withPair(shape);
  withPair.push_back(1);
  Value re = n.reshape(parts.re, withPair);
  if (!parts.im)
    return re;
  return n.build<ConcatOp>(
      {re, n.reshape(parts.im, withPair)},
      n.attr("axis", n.builder.getI64IntegerAttr(withPair.size() - 1)));
}

/// Reads a scalar integer input that must be known at compile time.
std::optional<int64_t> scalarInput(NodeImporter &n, size_t i,
                                   const char *what) {
  auto values = n.requireInts(i, what);
  if (!values)
    return std::nullopt;
  if (values->size() != 1) {
    (void)n.fail(std::string(what) + " must be a scalar");
    return std::nullopt;
  }
  return (*values)[0];
}

LogicalResult importDFT(NodeImporter &n) {
  Value x = n.input(0);
  auto type = n.inputType(0);
  int64_t rank = type.getRank();
  if (!isa<FloatType>(type.getElementType()))
    return n.fail("the input must be a floating-point tensor");
  if (rank < 2 || (type.getShape().back() != 1 && type.getShape().back() != 2))
    return n.fail("the input's last dim must be 1 (real) or 2 (complex)");
  bool inverse = n.attrInt("inverse", 0) != 0;
  bool onesided = n.attrInt("onesided", 0) != 0;
  if (onesided && !inverse && type.getShape().back() == 2)
    return n.fail("onesided needs a real input");
  std::optional<int64_t> givenLength;
  if (n.hasInput(1)) {
    auto given = scalarInput(n, 1, "dft_length");
    if (!given)
      return failure();
    givenLength = *given;
  }
  // The transform's length along `axis`, and the output's shape.
  auto lengthAlong = [&](int64_t axis) {
    int64_t have = type.getDimSize(axis);
    return givenLength           ? *givenLength
           : inverse && onesided ? 2 * (have - 1)
                                 : have;
  };
  auto outputShape = [&](int64_t axis) {
    ShapeVec shape(type.getShape());
    int64_t length = lengthAlong(axis);
    shape[axis] = onesided && !inverse ? length / 2 + 1 : length;
    shape.back() = inverse && onesided ? 1 : 2;
    return shape;
  };
  // The DFT along `axis` (not the last dim), null after a failure.
  auto dftAlong = [&](int64_t axis) -> Value {
    int64_t length = lengthAlong(axis);
    if (length < 1) {
      (void)n.fail("dft_length must be positive");
      return Value();
    }
    // The transformed dim last, then back.
    Complex parts = splitParts(n, x);
    int64_t signalRank = rank - 1;
    SmallVector<int64_t> toLast, fromLast(signalRank);
    for (int64_t d = 0; d < signalRank; ++d)
      if (d != axis)
        toLast.push_back(d);
    toLast.push_back(axis);
    for (int64_t d = 0; d < signalRank; ++d)
      fromLast[toLast[d]] = d;
    bool moves = axis != signalRank - 1;
    if (moves) {
      parts.re = n.transpose(parts.re, toLast);
      if (parts.im)
        parts.im = n.transpose(parts.im, toLast);
    }
    Complex result = transformLast(n, parts, length, inverse, onesided);
    if (moves) {
      result.re = n.transpose(result.re, fromLast);
      if (result.im)
        result.im = n.transpose(result.im, fromLast);
    }
    if (!result.re || (!(inverse && onesided) && !result.im))
      return Value();
    return joinParts(n, result);
  };

  int64_t axis = n.opset >= 20 ? -2 : 1;
  if (n.opset >= 20 && n.hasInput(2) && !n.constantInts(2)) {
    // The axis given at run time: the DFT along each axis that gives the
    // output shape the model declares (or, undeclared, along every axis
    // when all give one shape); the library checks the value names one of
    // them, and it chooses.
    auto declared = n.declaredOutputShape(0);
    std::vector<SmallVector<int64_t>> sets;
    int64_t allowed = 0;
    for (int64_t a = 0; a + 1 < rank && a < 62; ++a) {
      ShapeVec shape = outputShape(a);
      if (declared ? ArrayRef<int64_t>(shape) == ArrayRef<int64_t>(*declared)
                   : shape == outputShape(0)) {
        sets.push_back({a});
        allowed |= int64_t(1) << a;
      }
    }
    if (sets.empty() || (!declared && int64_t(sets.size()) != rank - 1) ||
        n.inputType(2).getNumElements() != 1 ||
        !n.checkAtRunTime(2, "axis", {}, type.getShape(), allowed))
      return n.failNotConstant(2, "DFT's axis");
    SmallVector<Value> variants;
    for (const SmallVector<int64_t> &set : sets) {
      variants.push_back(dftAlong(set[0]));
      if (!variants.back())
        return failure();
    }
    n.setOutput(0, n.selectByAxes(2, rank, sets, variants));
    return success();
  }
  if (n.opset >= 20) {
    if (n.hasInput(2)) {
      auto given = scalarInput(n, 2, "DFT's axis");
      if (!given)
        return failure();
      axis = *given;
    }
  } else {
    axis = n.attrInt("axis", 1);
  }
  if (axis < -rank || axis >= rank)
    return n.fail("axis " + std::to_string(axis) + " is out of range");
  axis = (axis + rank) % rank;
  if (axis == rank - 1)
    return n.fail("axis must not be the last (real/imaginary) dim");
  Value y = dftAlong(axis);
  if (!y)
    return failure();
  n.setOutput(0, y);
  return success();
}

LogicalResult importSTFT(NodeImporter &n) {
  Value signal = n.input(0);
  auto type = n.inputType(0);
  if (!isa<FloatType>(type.getElementType()))
    return n.fail("the signal must be a floating-point tensor");
  if (type.getRank() != 3 ||
      (type.getShape().back() != 1 && type.getShape().back() != 2))
    return n.fail("the signal must be [batch, length, 1 or 2]");
  int64_t samples = type.getDimSize(1);
  // frame_step given at run time, with the frame length known: the frame
  // count the model declares, which a Range from 0 to samples - length + 1
  // by the step must have (checked before each run); the frames start at
  // f * step, computed at run time.
  Value runtimeStep;
  std::optional<int64_t> step;
  if (!n.constantInts(1) &&
      (n.hasInput(2) || (n.hasInput(3) && n.constantInts(3)))) {
    int64_t length = n.hasInput(2) ? n.inputType(2).getDimSize(0) : -1;
    if (n.hasInput(3)) {
      auto given = n.constantInts(3);
      length = given && given->size() == 1 ? (*given)[0] : -1;
    }
    auto declared = n.declaredOutputShape(0);
    using Part = NodeImporter::CheckPart;
    if (length >= 1 && length <= samples && declared && declared->size() == 4 &&
        (*declared)[1] >= 1 && n.inputType(1).getNumElements() == 1 &&
        n.checkAtRunTime(
            1, "range", {(*declared)[1]}, {}, 0,
            {Part{-1, {0}}, Part{-1, {samples - length + 1}}, Part{1, {}}})) {
      runtimeStep = n.reshape(n.cast(n.input(1), n.builder.getI64Type()), {});
      // The smallest step that gives at most the declared count (any step
      // that gives it serves: the compiled code depends on the count).
      step = (samples - length) / (*declared)[1] + 1;
      if (1 + (samples - length) / *step != (*declared)[1])
        return n.failNotConstant(1, "STFT's frame_step");
    }
  }
  if (!step)
    step = scalarInput(n, 1, "STFT's frame_step");
  if (!step)
    return failure();
  if (n.hasInput(2) && n.inputType(2).getRank() != 1)
    return n.fail("the window must be a [frame_length] tensor");
  int64_t frameLength = n.hasInput(2) ? n.inputType(2).getDimSize(0) : samples;
  if (n.hasInput(3)) {
    auto given = scalarInput(n, 3, "STFT's frame_length");
    if (!given)
      return failure();
    frameLength = *given;
  }
  if (*step < 1 || frameLength < 1 || frameLength > samples)
    return n.fail("frame_step and frame_length must be positive and the "
                  "frame no longer than the signal");
  if (n.hasInput(2) && (n.inputType(2).getRank() != 1 ||
                        n.inputType(2).getDimSize(0) != frameLength))
    return n.fail("the window must be a [frame_length] tensor");
  bool onesided = n.attrInt("onesided", 1) != 0;
  if (onesided && type.getShape().back() == 2)
    return n.fail("onesided needs a real signal");
  int64_t frames = 1 + (samples - frameLength) / *step;

  // [batch, frames, frame_length, parts]: the frames gathered.
  std::vector<double> starts, frameIndex;
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t j = 0; j < frameLength; ++j) {
      starts.push_back(double(f * *step + j));
      frameIndex.push_back(double(f));
    }
  auto indexType =
      RankedTensorType::get({frames, frameLength}, n.builder.getI64Type());
  Value indices = n.constantOf(indexType, starts);
  if (runtimeStep) { // f * step + j, with the run's step
    std::vector<double> offsets;
    for (int64_t f = 0; f < frames; ++f)
      for (int64_t j = 0; j < frameLength; ++j)
        offsets.push_back(double(j));
    indices = n.build<AddOp>(
        {n.constantOf(indexType, offsets),
         n.build<MulOp>({n.constantOf(indexType, frameIndex), runtimeStep})});
  }
  Value framed = n.build<GatherOp>(
      {signal, indices}, n.attr("axis", n.builder.getI64IntegerAttr(1)));
  Complex parts = splitParts(n, framed);
  if (n.hasInput(2)) {
    Value window = n.cast(n.input(2), type.getElementType());
    parts.re = n.build<MulOp>({parts.re, window});
    if (parts.im)
      parts.im = n.build<MulOp>({parts.im, window});
  }
  Complex result = transformLast(n, parts, frameLength, false, onesided);
  if (!result.re || !result.im)
    return failure();
  n.setOutput(0, joinParts(n, result));
  return success();
}

/// Python's float floor division (a // b), which numpy follows.
double floorDivide(double a, double b) {
  double mod = std::fmod(a, b);
  double quotient = (a - mod) / b;
  if (mod != 0 && ((b < 0) != (mod < 0)))
    quotient -= 1.0;
  double floored = std::floor(quotient);
  if (quotient - floored > 0.5)
    floored += 1.0;
  return floored;
}

LogicalResult importMelWeightMatrix(NodeImporter &n) {
  std::optional<int64_t> melBins = scalarInput(n, 0, "num_mel_bins");
  std::optional<int64_t> dftLength = scalarInput(n, 1, "dft_length");
  std::optional<int64_t> sampleRate = scalarInput(n, 2, "sample_rate");
  if (!melBins || !dftLength || !sampleRate)
    return failure();
  std::optional<double> lower = constantScalar(n, 3),
                        upper = constantScalar(n, 4);
  if (!lower)
    return n.failNotConstant(3, "lower_edge_hertz");
  if (!upper)
    return n.failNotConstant(4, "upper_edge_hertz");
  if (*melBins < 1 || *dftLength < 1 || *sampleRate < 1)
    return n.fail("num_mel_bins, dft_length and sample_rate must be positive");
  Type outputType = convertElementType(n.attrInt("output_datatype", 1),
                                       *n.builder.getContext());
  if (!outputType || !isa<FloatType>(outputType))
    return n.fail("output_datatype must be a floating-point type");
  // The edges' arithmetic is in their type (float32 rounds each step), the
  // bins' in double, as numpy computes them.
  bool single = n.inputType(3).getElementType().isF32();
  auto round = [&](double v) { return single ? double(float(v)) : v; };
  auto toMel = [&](double hertz) {
    double ratio = round(hertz / 700.0);
    double log = single ? double(std::log1p(float(ratio))) : std::log1p(ratio);
    return round(round(2595.0 * log) / std::log(10.0));
  };
  double lowMel = toMel(*lower), highMel = toMel(*upper);
  double melStep = round((highMel - lowMel) / double(*melBins + 2));
  int64_t spectrumBins = *dftLength / 2 + 1;
  std::vector<int64_t> edges(*melBins + 2);
  for (int64_t k = 0; k < *melBins + 2; ++k) {
    double mel = double(k) * melStep + lowMel;
    double hertz = 700.0 * std::expm1(mel / 2595.0 * std::log(10.0));
    edges[k] = static_cast<int64_t>(
        floorDivide(double(*dftLength + 1) * hertz, double(*sampleRate)));
  }
  for (int64_t edge : edges)
    if (edge < 0 || edge >= spectrumBins)
      return n.fail("the mel edges fall outside the " +
                    std::to_string(spectrumBins) +
                    " spectrum bins (check the edge frequencies against "
                    "the sample rate)");
  std::vector<double> weights(spectrumBins * *melBins, 0.0);
  auto at = [&](int64_t bin, int64_t mel) -> double & {
    return weights[bin * *melBins + mel];
  };
  for (int64_t i = 0; i < *melBins; ++i) {
    int64_t low = edges[i], center = edges[i + 1], high = edges[i + 2];
    if (center == low)
      at(center, i) = 1.0;
    else
      for (int64_t j = low; j <= center; ++j)
        at(j, i) = double(j - low) / double(center - low);
    for (int64_t j = center; j < high; ++j)
      at(j, i) = double(high - j) / double(high - center);
  }
  n.setOutput(0, n.constantOf(RankedTensorType::get({spectrumBins, *melBins},
                                                    outputType),
                              weights));
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> dlc::signalOpImporters() {
  static const OpImporterEntry table[] = {
      {"DFT", 17, 1, importDFT},
      {"MelWeightMatrix", 17, 5, importMelWeightMatrix},
      {"STFT", 17, 2, importSTFT},
  };
  return table;
}
