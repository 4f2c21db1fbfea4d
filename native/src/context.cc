// Process-wide engine state: build information, threads, determinism
// switches, devices, seeds and generators.
#include "context.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <string>
#include <vector>

#include "convert.h"
#include "guard.h"
#include "handles.h"

#ifndef NOISELAB_LIBTORCH_DIR
#define NOISELAB_LIBTORCH_DIR "unknown"
#endif

// The switch that fills uninitialised memory arrived in libtorch 2.1.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
#define NOISELAB_HAS_FILL_UNINITIALIZED_MEMORY 1
#else
#define NOISELAB_HAS_FILL_UNINITIALIZED_MEMORY 0
#endif

namespace noiselab {
namespace {

// More intra-op threads than this is a mistake, not a setting (each is an OS thread).
constexpr int64_t kMaxThreads = 1024;

uint64_t toSeed(const Napi::Value& v, const std::string& where) {
  int64_t seed = toInt64(v, where);
  if (seed < 0) throwArgumentError(where + ": a seed cannot be negative");
  return static_cast<uint64_t>(seed);
}

Napi::Value buildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto result = Napi::Object::New(env);
  result.Set("torchVersion", TORCH_VERSION);
  result.Set("libtorchDir", NOISELAB_LIBTORCH_DIR);
  result.Set("cudaAvailable", torch::cuda::is_available());
  result.Set("cudaDeviceCount", static_cast<double>(torch::cuda::device_count()));
  result.Set("cudnnAvailable", torch::cuda::cudnn_is_available());
  const auto& hooks = at::detail::getCUDAHooks();
  result.Set("cudnnVersion", hooks.hasCuDNN() ? static_cast<double>(hooks.versionCuDNN()) : -1.0);
  result.Set("hasFillUninitializedMemory", static_cast<bool>(NOISELAB_HAS_FILL_UNINITIALIZED_MEMORY));
  result.Set("config", at::show_config());
  result.Set("parallelInfo", at::get_parallel_info());
  result.Set("onednnVersion", at::hasMKLDNN() ? at::get_mkldnn_version() : std::string());
  result.Set("mklVersion", at::hasMKL() ? at::get_mkl_version() : std::string());
  result.Set("openmpVersion", at::get_openmp_version());
  return result;
}

Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  int64_t n = toInt64(info[0], "setNumThreads");
  if (n < 1 || n > kMaxThreads) {
    throwArgumentError("setNumThreads: thread count must be in [1, " + std::to_string(kMaxThreads) + "], got " + std::to_string(n));
  }
  at::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value getNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

Napi::Value getDeterminism(const Napi::CallbackInfo& info) {
  auto& ctx = at::globalContext();
  auto result = Napi::Object::New(info.Env());
  result.Set("deterministicAlgorithms", ctx.deterministicAlgorithms());
  result.Set("deterministicAlgorithmsWarnOnly", ctx.deterministicAlgorithmsWarnOnly());
  result.Set("cudnnDeterministic", ctx.deterministicCuDNN());
  result.Set("cudnnBenchmark", ctx.benchmarkCuDNN());
  result.Set("allowTF32Matmul", ctx.allowTF32CuBLAS());
  result.Set("allowTF32Cudnn", ctx.allowTF32CuDNN());
#if NOISELAB_HAS_FILL_UNINITIALIZED_MEMORY
  result.Set("fillUninitializedMemory", ctx.deterministicFillUninitializedMemory());
#else
  result.Set("fillUninitializedMemory", info.Env().Null());
#endif
  return result;
}

// setDeterminism({...}): only the fields present are changed.
Napi::Value setDeterminism(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throwArgumentError("setDeterminism: expected an object");
  auto opts = info[0].As<Napi::Object>();
  auto& ctx = at::globalContext();
  auto flag = [&](const char* key) -> c10::optional<bool> {
    Napi::Value v = opts.Get(key);
    if (v.IsUndefined()) return c10::nullopt;
    if (!v.IsBoolean()) throwArgumentError(std::string("setDeterminism: ") + key + " must be a boolean");
    return v.As<Napi::Boolean>().Value();
  };
  auto algorithms = flag("deterministicAlgorithms");
  auto warnOnly = flag("deterministicAlgorithmsWarnOnly");
  if (algorithms || warnOnly) {
    ctx.setDeterministicAlgorithms(algorithms.value_or(ctx.deterministicAlgorithms()),
                                   warnOnly.value_or(ctx.deterministicAlgorithmsWarnOnly()));
  }
  if (auto v = flag("cudnnDeterministic")) ctx.setDeterministicCuDNN(*v);
  if (auto v = flag("cudnnBenchmark")) ctx.setBenchmarkCuDNN(*v);
  if (auto v = flag("allowTF32Matmul")) ctx.setAllowTF32CuBLAS(*v);
  if (auto v = flag("allowTF32Cudnn")) ctx.setAllowTF32CuDNN(*v);
  if (auto v = flag("fillUninitializedMemory")) {
#if NOISELAB_HAS_FILL_UNINITIALIZED_MEMORY
    ctx.setDeterministicFillUninitializedMemory(*v);
#else
    if (*v) throwArgumentError("setDeterminism: fillUninitializedMemory needs libtorch 2.1 or later, this is " TORCH_VERSION);
#endif
  }
  return info.Env().Undefined();
}

Napi::Value manualSeed(const Napi::CallbackInfo& info) {
  torch::manual_seed(toSeed(info[0], "manualSeed"));
  return info.Env().Undefined();
}

// newGenerator(device, seed): an independent generator for `device`, seeded.
Napi::Value newGenerator(const Napi::CallbackInfo& info) {
  c10::Device device = toDevice(info[0], "newGenerator");
  at::Generator generator = at::globalContext().defaultGenerator(device).clone();
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_current_seed(toSeed(info[1], "newGenerator"));
  }
  return wrapGenerator(info.Env(), std::move(generator));
}

Napi::Value generatorSeed(const Napi::CallbackInfo& info) {
  at::Generator& generator = unwrapGenerator(info[0], "generatorSeed");
  std::lock_guard<std::mutex> lock(generator.mutex());
  return Napi::Number::New(info.Env(), static_cast<double>(generator.current_seed()));
}

Napi::Value generatorSetSeed(const Napi::CallbackInfo& info) {
  at::Generator& generator = unwrapGenerator(info[0], "generatorSetSeed");
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_current_seed(toSeed(info[1], "generatorSetSeed"));
  return info.Env().Undefined();
}

Napi::Value cudaSynchronize(const Napi::CallbackInfo& info) {
  if (torch::cuda::is_available()) torch::cuda::synchronize(info[0].IsNumber() ? toInt64(info[0], "cudaSynchronize") : -1);
  return info.Env().Undefined();
}

#if TORCH_VERSION_MAJOR >= 2
using WarningHandlerGuard = c10::WarningUtils::WarningHandlerGuard;
#else
using WarningHandlerGuard = c10::Warning::WarningHandlerGuard;
#endif

// Collects libtorch warnings (TORCH_WARN, and the alerts of deterministic mode
// with warn_only) instead of printing them. The handler signature changed in 2.0.
class CollectingWarningHandler : public c10::WarningHandler {
 public:
  std::vector<std::string> messages;
#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning& warning) override { messages.push_back(warning.msg()); }
#else
  void process(const c10::SourceLocation&, const std::string& msg, const bool) override { messages.push_back(msg); }
#endif
};

// captureWarnings(fn) -> { result, warnings }: runs fn with libtorch's warnings
// collected. Warnings raised in autograd's worker threads are replayed on this
// thread when backward returns, so they are collected too.
Napi::Value captureWarnings(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throwArgumentError("captureWarnings: expected a function");
  CollectingWarningHandler handler;
  Napi::Value result;
  {
    WarningHandlerGuard guard(&handler);
    result = info[0].As<Napi::Function>().Call({});
  }
  auto warnings = Napi::Array::New(info.Env(), handler.messages.size());
  for (size_t i = 0; i < handler.messages.size(); ++i) warnings.Set(static_cast<uint32_t>(i), handler.messages[i]);
  auto out = Napi::Object::New(info.Env());
  out.Set("result", result);
  out.Set("warnings", warnings);
  return out;
}

}  // namespace

void registerContext(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, "buildInfo", buildInfo);
  exportFunction(env, exports, "setNumThreads", setNumThreads);
  exportFunction(env, exports, "getNumThreads", getNumThreads);
  exportFunction(env, exports, "getDeterminism", getDeterminism);
  exportFunction(env, exports, "setDeterminism", setDeterminism);
  exportFunction(env, exports, "manualSeed", manualSeed);
  exportFunction(env, exports, "newGenerator", newGenerator);
  exportFunction(env, exports, "generatorSeed", generatorSeed);
  exportFunction(env, exports, "generatorSetSeed", generatorSetSeed);
  exportFunction(env, exports, "cudaSynchronize", cudaSynchronize);
  exportFunction(env, exports, "captureWarnings", captureWarnings);
}

}  // namespace noiselab
