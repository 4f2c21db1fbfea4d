// Tensor handles: creation from and export to JS buffers, metadata, autograd
// entry points and explicit disposal. Everything else is an op (see ops.cc).
#include "tensor.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cstring>
#include <string>
#include <vector>

#include "guard.h"
#include "handles.h"

namespace noiselab {
namespace {

std::vector<int64_t> toShape(const Napi::Value& v) {
  if (!v.IsArray()) throwArgumentError("shape: expected an array of integers");
  auto array = v.As<Napi::Array>();
  std::vector<int64_t> shape(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value d = array.Get(i);
    if (!d.IsNumber() || d.As<Napi::Number>().DoubleValue() < 0) throwArgumentError("shape: dimensions must be non-negative integers");
    shape[i] = d.As<Napi::Number>().Int64Value();
  }
  return shape;
}

at::ScalarType toScalarType(const Napi::Value& v) {
  if (!v.IsNumber()) throwArgumentError("dtype: expected a dtype code");
  int code = v.As<Napi::Number>().Int32Value();
  if (code < 0 || code >= static_cast<int>(at::ScalarType::NumOptions)) throwArgumentError("dtype: unknown dtype code");
  return static_cast<at::ScalarType>(code);
}

// fromBuffer(typedArray, shape, dtype, device) -> tensor; copies the bytes.
Napi::Value fromBuffer(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throwArgumentError("fromBuffer: expected a typed array");
  auto data = info[0].As<Napi::TypedArray>();
  auto shape = toShape(info[1]);
  auto dtype = toScalarType(info[2]);
  at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(dtype));
  size_t expected = tensor.numel() * tensor.element_size();
  if (data.ByteLength() != expected) {
    throwArgumentError("fromBuffer: buffer has " + std::to_string(data.ByteLength()) + " bytes, shape and dtype need " +
                       std::to_string(expected));
  }
  if (expected > 0) {
    auto* bytes = static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset();
    std::memcpy(tensor.data_ptr(), bytes, expected);
  }
  if (info.Length() > 3 && info[3].IsString()) {
    tensor = tensor.to(c10::Device(info[3].As<Napi::String>().Utf8Value()));
  }
  return wrapTensor(info.Env(), std::move(tensor));
}

// toBuffer(tensor) -> ArrayBuffer with the elements in C order, copied to CPU.
Napi::Value toBuffer(const Napi::CallbackInfo& info) {
  at::Tensor tensor = unwrapTensor(info[0], "toBuffer").detach().to(at::kCPU).contiguous();
  size_t bytes = tensor.numel() * tensor.element_size();
  auto buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), tensor.data_ptr(), bytes);
  return buffer;
}

Napi::Value shape(const Napi::CallbackInfo& info) {
  const at::Tensor& tensor = unwrapTensor(info[0], "shape");
  auto sizes = tensor.sizes();
  auto array = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) array.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
  return array;
}

Napi::Value dtype(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(unwrapTensor(info[0], "dtype").scalar_type()));
}

Napi::Value device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), unwrapTensor(info[0], "device").device().str());
}

Napi::Value item(const Napi::CallbackInfo& info) {
  const at::Tensor& tensor = unwrapTensor(info[0], "item");
  at::Scalar value = tensor.item();
  if (value.isBoolean()) return Napi::Boolean::New(info.Env(), value.toBool());
  if (value.isIntegral(false)) return Napi::Number::New(info.Env(), static_cast<double>(value.toLong()));
  return Napi::Number::New(info.Env(), value.toDouble());
}

Napi::Value requiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrapTensor(info[0], "requiresGrad").requires_grad());
}

Napi::Value setRequiresGrad(const Napi::CallbackInfo& info) {
  // set_requires_grad is a property of the tensor impl, shared by every handle to it.
  unwrapTensor(info[0], "setRequiresGrad").set_requires_grad(info[1].ToBoolean().Value());
  return info.Env().Undefined();
}

Napi::Value grad(const Napi::CallbackInfo& info) {
  return wrapTensor(info.Env(), unwrapTensor(info[0], "grad").grad());
}

// setGrad(tensor, gradOrNull)
Napi::Value setGrad(const Napi::CallbackInfo& info) {
  const at::Tensor& tensor = unwrapTensor(info[0], "setGrad");
  if (info[1].IsNull() || info[1].IsUndefined()) {
    tensor.mutable_grad().reset();
  } else {
    tensor.mutable_grad() = unwrapTensor(info[1], "setGrad");
  }
  return info.Env().Undefined();
}

// backward(tensor, gradOrNull, retainGraph)
Napi::Value backward(const Napi::CallbackInfo& info) {
  const at::Tensor& tensor = unwrapTensor(info[0], "backward");
  std::vector<at::Tensor> grads;
  if (!info[1].IsNull() && !info[1].IsUndefined()) grads.push_back(unwrapTensor(info[1], "backward"));
  c10::optional<bool> retain;
  if (info[2].IsBoolean()) retain = info[2].As<Napi::Boolean>().Value();
  torch::autograd::backward({tensor}, grads, retain);
  return info.Env().Undefined();
}

// setGradEnabled(enabled) -> previous
Napi::Value setGradEnabled(const Napi::CallbackInfo& info) {
  bool previous = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), previous);
}

Napi::Value dispose(const Napi::CallbackInfo& info) {
  disposeTensor(info[0]);
  return info.Env().Undefined();
}

Napi::Value memory(const Napi::CallbackInfo& info) {
  LiveMemory live = liveMemory();
  auto result = Napi::Object::New(info.Env());
  result.Set("tensors", Napi::Number::New(info.Env(), static_cast<double>(live.tensors)));
  result.Set("storages", Napi::Number::New(info.Env(), static_cast<double>(live.storages)));
  result.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(live.bytes)));
  return result;
}

}  // namespace

void registerTensor(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, "fromBuffer", fromBuffer);
  exportFunction(env, exports, "toBuffer", toBuffer);
  exportFunction(env, exports, "shape", shape);
  exportFunction(env, exports, "dtype", dtype);
  exportFunction(env, exports, "device", device);
  exportFunction(env, exports, "item", item);
  exportFunction(env, exports, "requiresGrad", requiresGrad);
  exportFunction(env, exports, "setRequiresGrad", setRequiresGrad);
  exportFunction(env, exports, "grad", grad);
  exportFunction(env, exports, "setGrad", setGrad);
  exportFunction(env, exports, "backward", backward);
  exportFunction(env, exports, "setGradEnabled", setGradEnabled);
  exportFunction(env, exports, "dispose", dispose);
  exportFunction(env, exports, "memory", memory);
}

}  // namespace noiselab
