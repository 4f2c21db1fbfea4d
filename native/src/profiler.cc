// Per-operator timing from libtorch's RecordFunction hooks: every dispatcher
// call (aten::conv2d, aten::mm, …) and every autograd node run in backward
// (ConvolutionBackward0, …) opens a RecordFunction scope, and a callback pair
// registered here sees its start and end. We keep, per operator name, the
// call count, the inclusive time and the self time (inclusive minus the time
// of the scopes nested directly inside it on the same thread).
//
// This is not torch.profiler: it does not need Kineto and works the same on
// every libtorch since 1.10 (the RecordFunctionCallback API used here is the
// same in 1.13 and 2.x). On CUDA it measures host-side time only: an op's
// scope ends when its kernels are queued, not when they finish, so the
// numbers show launch and dispatch cost, not GPU kernel time. Kernel time
// would need CUPTI (through Kineto); that is a known gap.
#include "profiler.h"

#include <ATen/record_function.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "guard.h"

namespace noiselab {
namespace {

using Clock = std::chrono::steady_clock;

struct OperatorTotals {
  uint64_t calls = 0;
  int64_t totalNanos = 0;
  int64_t selfNanos = 0;
};

// One open scope. Scopes nest strictly on one thread, so the frames of a
// thread form a stack linked through `parent`, with `innermost` as its top.
struct Frame : at::ObserverContext {
  Clock::time_point start;
  int64_t childNanos = 0;
  Frame* parent = nullptr;
  uint64_t session = 0;
};

thread_local Frame* innermost = nullptr;

// The callback is global (not thread-local) so that scopes on libtorch's own
// threads count too: on CUDA the autograd engine runs backward on a device
// thread. A session number ties each scope to the session it started in, so
// a scope still open when a session stops is not counted in a later one.
std::atomic<uint64_t> activeSession{0};  // 0 while not profiling
uint64_t lastSession = 0;                // start/stop run on the JS thread only
at::CallbackHandle callbackHandle = at::INVALID_CALLBACK_HANDLE;

std::mutex totalsMutex;
std::unordered_map<std::string, OperatorTotals> totals;  // guarded by totalsMutex

std::unique_ptr<at::ObserverContext> onScopeStart(const at::RecordFunction&) {
  auto frame = std::make_unique<Frame>();
  frame->session = activeSession.load(std::memory_order_relaxed);
  frame->parent = innermost;
  innermost = frame.get();
  // Read the clock last, so that our bookkeeping is not charged to the op.
  frame->start = Clock::now();
  return frame;
}

void onScopeEnd(const at::RecordFunction& fn, at::ObserverContext* context) {
  const auto end = Clock::now();
  auto* frame = static_cast<Frame*>(context);
  const int64_t total = std::chrono::duration_cast<std::chrono::nanoseconds>(end - frame->start).count();
  // An async scope may end on another thread or out of order; it then leaves
  // this thread's stack alone and is charged to no parent.
  if (innermost == frame) {
    innermost = frame->parent;
    if (frame->parent != nullptr) frame->parent->childNanos += total;
  }
  if (frame->session == 0 || frame->session != activeSession.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(totalsMutex);
  OperatorTotals& op = totals[fn.name()];
  op.calls += 1;
  op.totalNanos += total;
  op.selfNanos += total - frame->childNanos;
}

// startProfiling(): clears the totals and starts counting.
Napi::Value startProfiling(const Napi::CallbackInfo& info) {
  if (callbackHandle != at::INVALID_CALLBACK_HANDLE) throwArgumentError("startProfiling: already profiling; call stopProfiling first");
  {
    std::lock_guard<std::mutex> lock(totalsMutex);
    totals.clear();
  }
  activeSession.store(++lastSession, std::memory_order_relaxed);
  try {
    callbackHandle = at::addGlobalCallback(at::RecordFunctionCallback(onScopeStart, onScopeEnd)
                                               .needsInputs(false)
                                               .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION}));
  } catch (...) {
    activeSession.store(0, std::memory_order_relaxed);
    throw;
  }
  return info.Env().Undefined();
}

// stopProfiling() -> [{name, calls, totalMicros, selfMicros}], unsorted.
// The callback is removed before anything else can throw.
Napi::Value stopProfiling(const Napi::CallbackInfo& info) {
  if (callbackHandle == at::INVALID_CALLBACK_HANDLE) throwArgumentError("stopProfiling: not profiling; call startProfiling first");
  activeSession.store(0, std::memory_order_relaxed);
  at::removeCallback(std::exchange(callbackHandle, at::INVALID_CALLBACK_HANDLE));
  std::unordered_map<std::string, OperatorTotals> collected;
  {
    std::lock_guard<std::mutex> lock(totalsMutex);
    collected.swap(totals);
  }
  Napi::Env env = info.Env();
  auto result = Napi::Array::New(env, collected.size());
  uint32_t index = 0;
  for (const auto& [name, op] : collected) {
    auto row = Napi::Object::New(env);
    row.Set("name", name);
    row.Set("calls", static_cast<double>(op.calls));
    row.Set("totalMicros", static_cast<double>(op.totalNanos) / 1000.0);
    row.Set("selfMicros", static_cast<double>(op.selfNanos) / 1000.0);
    result.Set(index++, row);
  }
  return result;
}

}  // namespace

void registerProfiler(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, "startProfiling", startProfiling);
  exportFunction(env, exports, "stopProfiling", stopProfiling);
}

}  // namespace noiselab
