// Tensor handles: creation from and export to JS buffers, metadata, autograd
// entry points and explicit disposal. Everything else is an op (see ops.cc).
#include "tensor.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cstring>
#include <string>
#include <vector>

#include "convert.h"
#include "guard.h"
#include "handles.h"

namespace noiselab {
namespace {

// fromBuffer(typedArray, shape, dtype, device) -> tensor; copies the bytes.
Napi::Value fromBuffer(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throwArgumentError("fromBuffer: expected a typed array");
  auto data = info[0].As<Napi::TypedArray>();
  auto shape = toShape(info[1], "fromBuffer: shape");
  auto dtype = toScalarType(info[2], "fromBuffer: dtype");
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
  if (info.Length() > 3 && !info[3].IsUndefined()) tensor = tensor.to(toDevice(info[3], "fromBuffer: device"));
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
  // Exact, as a BigInt: int64 values above 2^53 do not fit in a JS number.
  if (value.isIntegral(false)) return Napi::BigInt::New(info.Env(), value.toLong());
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

std::string shapeText(at::IntArrayRef sizes) {
  std::string text = "[";
  for (size_t i = 0; i < sizes.size(); ++i) text += (i ? ", " : "") + std::to_string(sizes[i]);
  return text + "]";
}

// setGrad(tensor, gradOrNull). As PyTorch's `.grad` setter: the gradient must
// match the tensor's shape, dtype and device, and cannot be the tensor itself
// (that would be a reference cycle no one frees).
Napi::Value setGrad(const Napi::CallbackInfo& info) {
  const at::Tensor& tensor = unwrapTensor(info[0], "setGrad");
  if (info[1].IsNull() || info[1].IsUndefined()) {
    tensor.mutable_grad().reset();
    return info.Env().Undefined();
  }
  const at::Tensor& grad = unwrapTensor(info[1], "setGrad");
  if (grad.is_same(tensor)) throwArgumentError("setGrad: a tensor cannot be its own gradient");
  if (grad.scalar_type() != tensor.scalar_type()) {
    throwArgumentError(std::string("setGrad: gradient has dtype ") + c10::toString(grad.scalar_type()) +
                       ", the tensor " + c10::toString(tensor.scalar_type()));
  }
  if (grad.device() != tensor.device()) {
    throwArgumentError("setGrad: gradient is on " + grad.device().str() + ", the tensor on " + tensor.device().str());
  }
  if (!grad.sizes().equals(tensor.sizes())) {
    throwArgumentError("setGrad: gradient has shape " + shapeText(grad.sizes()) + ", the tensor " +
                       shapeText(tensor.sizes()));
  }
  tensor.mutable_grad() = grad;
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
