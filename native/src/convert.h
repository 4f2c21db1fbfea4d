// Strict conversions of JS arguments into the values libtorch takes. Each one
// throws (turned into a JS error by guard.h) with a message that names `where`
// and the value, instead of letting a number wrap, truncate, or index past one
// of libtorch's tables (its own range checks are compiled out of release builds).
#pragma once

#include <napi.h>

#include <c10/core/Device.h>
#include <c10/core/Layout.h>
#include <c10/core/MemoryFormat.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>
#include <vector>

namespace noiselab {

// A finite integral number in int64's range.
int64_t toInt64(const Napi::Value& v, const std::string& where);
double toDouble(const Napi::Value& v, const std::string& where);
bool toBool(const Napi::Value& v, const std::string& where);
Napi::Array toArray(const Napi::Value& v, const std::string& where);

// An array of non-negative integers.
std::vector<int64_t> toShape(const Napi::Value& v, const std::string& where);

// Enum codes, checked against the enum's range and what noiselab supports:
// its eight dtypes and the strided layout.
c10::ScalarType toScalarType(const Napi::Value& v, const std::string& where);
c10::Layout toLayout(const Napi::Value& v, const std::string& where);
c10::MemoryFormat toMemoryFormat(const Napi::Value& v, const std::string& where);

// "cpu", "cuda", "cuda:N", ... as libtorch parses them.
c10::Device toDevice(const Napi::Value& v, const std::string& where);

}  // namespace noiselab
