#include "convert.h"

#include <cmath>
#include <cstdio>

#include "guard.h"

namespace noiselab {
namespace {

// A number as JS would print it, for error messages.
std::string describe(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", d);
  return text;
}

// Reads an integer code and checks it against [0, count).
int64_t toCode(const Napi::Value& v, int64_t count, const std::string& where, const char* what) {
  int64_t code = toInt64(v, where);
  if (code < 0 || code >= count) {
    throwArgumentError(where + ": unknown " + what + " code " + std::to_string(code) + " (valid: 0 to " +
                       std::to_string(count - 1) + ")");
  }
  return code;
}

}  // namespace

int64_t toInt64(const Napi::Value& v, const std::string& where) {
  if (!v.IsNumber()) throwArgumentError(where + ": expected an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  // 2^63 is exact as a double; every double below it and at least -2^63 fits in int64.
  constexpr double kLimit = 9223372036854775808.0;
  if (!std::isfinite(d) || std::trunc(d) != d || d < -kLimit || d >= kLimit) {
    throwArgumentError(where + ": expected an integer in int64's range, got " + describe(d));
  }
  return static_cast<int64_t>(d);
}

double toDouble(const Napi::Value& v, const std::string& where) {
  if (!v.IsNumber()) throwArgumentError(where + ": expected a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool toBool(const Napi::Value& v, const std::string& where) {
  if (!v.IsBoolean()) throwArgumentError(where + ": expected a boolean");
  return v.As<Napi::Boolean>().Value();
}

Napi::Array toArray(const Napi::Value& v, const std::string& where) {
  if (!v.IsArray()) throwArgumentError(where + ": expected an array");
  return v.As<Napi::Array>();
}

std::vector<int64_t> toShape(const Napi::Value& v, const std::string& where) {
  auto array = toArray(v, where);
  std::vector<int64_t> shape(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    shape[i] = toInt64(array.Get(i), where);
    if (shape[i] < 0) throwArgumentError(where + ": dimension " + std::to_string(i) + " is negative");
  }
  return shape;
}

c10::ScalarType toScalarType(const Napi::Value& v, const std::string& where) {
  auto type = static_cast<c10::ScalarType>(toCode(v, static_cast<int64_t>(c10::ScalarType::NumOptions), where, "dtype"));
  // The dtypes of src/torch/dtype.ts; the others (quantized, complex, undefined) are not supported.
  switch (type) {
    case c10::ScalarType::Byte:
    case c10::ScalarType::Int:
    case c10::ScalarType::Long:
    case c10::ScalarType::Float:
    case c10::ScalarType::Double:
    case c10::ScalarType::Half:
    case c10::ScalarType::BFloat16:
    case c10::ScalarType::Bool: return type;
    default: throwArgumentError(where + ": dtype " + c10::toString(type) + " is not supported by noiselab");
  }
}

c10::Layout toLayout(const Napi::Value& v, const std::string& where) {
  auto layout = static_cast<c10::Layout>(toCode(v, static_cast<int64_t>(c10::Layout::NumOptions), where, "layout"));
  if (layout != c10::Layout::Strided) throwArgumentError(where + ": noiselab supports only strided (dense) tensors");
  return layout;
}

c10::MemoryFormat toMemoryFormat(const Napi::Value& v, const std::string& where) {
  return static_cast<c10::MemoryFormat>(
      toCode(v, static_cast<int64_t>(c10::MemoryFormat::NumOptions), where, "memory format"));
}

c10::Device toDevice(const Napi::Value& v, const std::string& where) {
  if (!v.IsString()) throwArgumentError(where + ": expected a device string such as 'cpu' or 'cuda:0'");
  return c10::Device(v.As<Napi::String>().Utf8Value());
}

}  // namespace noiselab
