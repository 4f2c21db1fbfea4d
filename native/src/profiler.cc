// libtorch's own profiler (the one under torch.profiler), reduced to a
// start/stop pair that returns the raw events. Host events come from
// RecordFunction scopes: every dispatcher call (aten::conv2d, aten::mm, …)
// and every autograd node run in backward (ConvolutionBackward0, …). Where
// libtorch was built with Kineto and CUPTI (PyTorch's CUDA wheels) and the
// CUDA activity is requested, the GPU kernels, copies and memsets come too,
// with their GPU time. Debian's libtorch has no Kineto: there the same calls
// record host events only. Aggregation (calls, inclusive and self time) is
// done in TypeScript (src/torch/profiler.ts).
#include "profiler.h"

#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <set>

#include "guard.h"

namespace noiselab {
namespace {

namespace profiler = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;
using torch::profiler::impl::ProfilerConfig;
using torch::profiler::impl::ProfilerState;

// KinetoEvent reports nanoseconds (startNs/durationNs) from libtorch 2.1 and
// only microseconds (startUs/durationUs) before; the first overload is chosen
// wherever it compiles.
template <typename Event>
auto startNanos(const Event& e, int) -> decltype(static_cast<int64_t>(e.startNs())) {
  return static_cast<int64_t>(e.startNs());
}
template <typename Event>
int64_t startNanos(const Event& e, long) {
  return static_cast<int64_t>(e.startUs()) * 1000;
}
template <typename Event>
auto durationNanos(const Event& e, int) -> decltype(static_cast<int64_t>(e.durationNs())) {
  return static_cast<int64_t>(e.durationNs());
}
template <typename Event>
int64_t durationNanos(const Event& e, long) {
  return static_cast<int64_t>(e.durationUs()) * 1000;
}

bool profiling = false;  // start/stop run on the JS thread only

// startProfiling(cuda: boolean): starts a session on this thread (libtorch
// carries it to the autograd engine's threads). With `cuda`, also asks for
// the CUDA activity (kernels), which only a Kineto build delivers.
Napi::Value startProfiling(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBoolean()) throwArgumentError("startProfiling(cuda): cuda must be a boolean");
  if (profiling) throwArgumentError("startProfiling: already profiling; call stopProfiling first");
  std::set<ActivityType> activities{ActivityType::CPU};
  if (info[0].As<Napi::Boolean>().Value()) activities.insert(ActivityType::CUDA);
  const ProfilerConfig config(ProfilerState::KINETO);
  profiler::prepareProfiler(config, activities);
  profiler::enableProfiler(config, activities);
  profiling = true;
  return info.Env().Undefined();
}

// stopProfiling() -> [{name, device, threadId, startMicros, durationMicros}]
// in libtorch's order. startMicros counts from the session's first event, so
// that it stays exact as a double. The session ends before anything can throw.
Napi::Value stopProfiling(const Napi::CallbackInfo& info) {
  if (!profiling) throwArgumentError("stopProfiling: not profiling; call startProfiling first");
  profiling = false;
  const std::unique_ptr<profiler::ProfilerResult> result = profiler::disableProfiler();
  const auto& events = result->events();
  int64_t origin = std::numeric_limits<int64_t>::max();
  for (const auto& e : events) origin = std::min(origin, startNanos(e, 0));
  Napi::Env env = info.Env();
  auto rows = Napi::Array::New(env, events.size());
  uint32_t index = 0;
  for (const auto& e : events) {
    auto row = Napi::Object::New(env);
    row.Set("name", e.name());
    row.Set("device", c10::DeviceTypeName(e.deviceType(), /*lower_case=*/true));
    row.Set("threadId", static_cast<double>(e.startThreadId()));
    row.Set("startMicros", static_cast<double>(startNanos(e, 0) - origin) / 1000.0);
    row.Set("durationMicros", static_cast<double>(durationNanos(e, 0)) / 1000.0);
    rows.Set(index++, row);
  }
  return rows;
}

}  // namespace

void registerProfiler(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, "startProfiling", startProfiling);
  exportFunction(env, exports, "stopProfiling", stopProfiling);
}

}  // namespace noiselab
