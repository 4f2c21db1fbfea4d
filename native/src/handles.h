// JS-visible handles to native objects. A handle is an N-API External with a
// type tag, so a wrong or forged value from JS is rejected instead of crashing.
// Tensor handles can be disposed explicitly; the GC finalizer is a safety net.
#pragma once

#include <napi.h>

#include <ATen/ATen.h>

#include <cstdint>

namespace noiselab {

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor);  // undefined tensor -> null
const at::Tensor& unwrapTensor(const Napi::Value& value, const char* what);
void disposeTensor(const Napi::Value& value);

Napi::Value wrapGenerator(Napi::Env env, at::Generator generator);
at::Generator& unwrapGenerator(const Napi::Value& value, const char* what);

struct LiveMemory {
  int64_t tensors;
  int64_t storages;
  int64_t bytes;
};
LiveMemory liveMemory();

}  // namespace noiselab
