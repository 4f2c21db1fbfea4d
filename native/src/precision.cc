// Precision switches: autocast (mixed precision) per device type, and
// libtorch's use of oneDNN (mkldnn) kernels on CPU. Autocast state is
// thread-local in libtorch, as in PyTorch; noiselab runs every op on the
// thread that calls into the addon, so the state set here is the one used.
#include "precision.h"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "convert.h"
#include "guard.h"

// libtorch 2.4 replaced the per-device autocast functions (set_cpu_enabled,
// set_autocast_cpu_dtype, ...) by ones that take the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define NOISELAB_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define NOISELAB_AUTOCAST_BY_DEVICE_TYPE 0
#endif

namespace noiselab {
namespace {

c10::DeviceType toAutocastDevice(const Napi::Value& v, const std::string& where) {
  c10::Device device = toDevice(v, where);
  if (!device.is_cpu() && !device.is_cuda()) throwArgumentError(where + ": autocast runs on cpu or cuda only");
  return device.type();
}

bool autocastEnabled(c10::DeviceType type) {
#if NOISELAB_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(type);
#else
  return type == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

c10::ScalarType autocastDtype(c10::DeviceType type) {
#if NOISELAB_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(type);
#else
  return type == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}

void setAutocast(c10::DeviceType type, bool enabled, c10::ScalarType dtype) {
#if NOISELAB_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(type, dtype);
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (type == c10::DeviceType::CPU) {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  } else {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  }
#endif
}

Napi::Object describeState(Napi::Env env, c10::DeviceType type) {
  auto state = Napi::Object::New(env);
  state.Set("enabled", autocastEnabled(type));
  state.Set("dtype", static_cast<double>(autocastDtype(type)));
  return state;
}

// enterAutocast(device, dtype) -> previous { enabled, dtype }: as `torch.autocast(device, dtype)`'s __enter__.
Napi::Value enterAutocast(const Napi::CallbackInfo& info) {
  c10::DeviceType type = toAutocastDevice(info[0], "enterAutocast");
  c10::ScalarType dtype = toScalarType(info[1], "enterAutocast");
  if (dtype != c10::ScalarType::BFloat16 && dtype != c10::ScalarType::Half) throwArgumentError("enterAutocast: dtype must be bfloat16 or float16");
  auto previous = describeState(info.Env(), type);
  setAutocast(type, true, dtype);
  at::autocast::increment_nesting();
  return previous;
}

// exitAutocast(device, previous): as __exit__; the cache of cast weights is cleared when the outermost region ends.
Napi::Value exitAutocast(const Napi::CallbackInfo& info) {
  c10::DeviceType type = toAutocastDevice(info[0], "exitAutocast");
  if (!info[1].IsObject()) throwArgumentError("exitAutocast: expected the state enterAutocast returned");
  auto previous = info[1].As<Napi::Object>();
  bool enabled = toBool(previous.Get("enabled"), "exitAutocast: enabled");
  c10::ScalarType dtype = toScalarType(previous.Get("dtype"), "exitAutocast: dtype");
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  setAutocast(type, enabled, dtype);
  return info.Env().Undefined();
}

Napi::Value autocastState(const Napi::CallbackInfo& info) {
  return describeState(info.Env(), toAutocastDevice(info[0], "autocastState"));
}

Napi::Value onednnEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::globalContext().userEnabledMkldnn());
}

// setOnednnEnabled(enabled) -> previous: `torch.backends.mkldnn.enabled`.
Napi::Value setOnednnEnabled(const Napi::CallbackInfo& info) {
  bool previous = at::globalContext().userEnabledMkldnn();
  at::globalContext().setUserEnabledMkldnn(toBool(info[0], "setOnednnEnabled"));
  return Napi::Boolean::New(info.Env(), previous);
}

}  // namespace

void registerPrecision(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, "enterAutocast", enterAutocast);
  exportFunction(env, exports, "exitAutocast", exitAutocast);
  exportFunction(env, exports, "autocastState", autocastState);
  exportFunction(env, exports, "onednnEnabled", onednnEnabled);
  exportFunction(env, exports, "setOnednnEnabled", setOnednnEnabled);
}

}  // namespace noiselab
