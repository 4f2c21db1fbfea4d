#include "handles.h"

#include "guard.h"

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace noiselab {
namespace {

// Random 128-bit tags that mark our Externals.
constexpr napi_type_tag kTensorTag = {0x5a1c0e3f9b7d4c21ULL, 0x8e2f6a0b3c9d7e15ULL};
constexpr napi_type_tag kGeneratorTag = {0x2b8d4f6a1c3e5071ULL, 0x9f0e1d2c3b4a5968ULL};

// Live tensors and the distinct storages they hold, so that views are not
// counted twice. Finalizers may in principle run on another thread's env,
// hence the mutex.
struct Accounting {
  std::mutex mutex;
  int64_t tensors = 0;
  int64_t bytes = 0;
  std::unordered_map<const void*, std::pair<int64_t, int64_t>> storages;  // impl -> (refs, bytes)

  // Returns the bytes of the storage if this handle is its first.
  int64_t add(const at::Tensor& t) {
    std::lock_guard<std::mutex> lock(mutex);
    ++tensors;
    if (!t.has_storage()) return 0;
    auto& entry = storages[t.storage().unsafeGetStorageImpl()];
    if (entry.first++ != 0) return 0;
    entry.second = static_cast<int64_t>(t.storage().nbytes());
    bytes += entry.second;
    return entry.second;
  }

  // Returns the bytes of the storage if this handle was its last.
  int64_t remove(const at::Tensor& t) {
    std::lock_guard<std::mutex> lock(mutex);
    --tensors;
    if (!t.has_storage()) return 0;
    auto it = storages.find(t.storage().unsafeGetStorageImpl());
    if (it == storages.end() || --it->second.first != 0) return 0;
    int64_t freed = it->second.second;
    bytes -= freed;
    storages.erase(it);
    return freed;
  }
};

Accounting& accounting() {
  static Accounting instance;
  return instance;
}

// Tells V8 how much native memory JS handles keep alive, so that it collects
// unreachable handles (whose finalizers free tensors) under memory pressure.
// Also called from finalizers, so it never throws; the status is irrelevant.
void adjustExternalMemory(napi_env env, int64_t change) {
  int64_t total = 0;
  if (change != 0) napi_adjust_external_memory(env, change, &total);
}

struct TensorBox {
  at::Tensor tensor;     // undefined once disposed
  bool counted = false;  // added to the accounting (the last step of wrapTensor)
  void release(napi_env env) {
    if (tensor.defined()) {
      if (counted) adjustExternalMemory(env, -accounting().remove(tensor));
      tensor.reset();
    }
  }
};

template <typename Box>
Box* unwrapBox(const Napi::Value& value, const napi_type_tag& tag, const char* kind, const char* what) {
  if (!value.IsExternal()) {
    throwArgumentError(std::string(what) + ": expected a " + kind + " handle");
  }
  auto external = value.As<Napi::External<Box>>();
  if (!external.CheckTypeTag(&tag)) {
    throwArgumentError(std::string(what) + ": expected a " + kind + " handle");
  }
  return external.Data();
}

}  // namespace

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  auto box = std::make_unique<TensorBox>();
  box->tensor = std::move(tensor);
  // If creating the External throws, the unique_ptr frees the box; once it
  // exists, its finalizer owns the box, whatever happens next.
  auto external = Napi::External<TensorBox>::New(env, box.get(), [](Napi::Env finalizerEnv, TensorBox* b) {
    b->release(finalizerEnv);
    delete b;
  });
  TensorBox* owned = box.release();
  external.TypeTag(&kTensorTag);
  adjustExternalMemory(env, accounting().add(owned->tensor));
  owned->counted = true;
  return external;
}

const at::Tensor& unwrapTensor(const Napi::Value& value, const char* what) {
  auto* box = unwrapBox<TensorBox>(value, kTensorTag, "tensor", what);
  if (!box->tensor.defined()) {
    throwArgumentError(std::string(what) + ": tensor was disposed");
  }
  return box->tensor;
}

void disposeTensor(const Napi::Value& value) {
  unwrapBox<TensorBox>(value, kTensorTag, "tensor", "dispose")->release(value.Env());
}

namespace {
struct GeneratorBox {
  at::Generator generator;
};
}  // namespace

Napi::Value wrapGenerator(Napi::Env env, at::Generator generator) {
  auto box = std::make_unique<GeneratorBox>(GeneratorBox{std::move(generator)});
  auto external = Napi::External<GeneratorBox>::New(env, box.get(), [](Napi::Env, GeneratorBox* b) { delete b; });
  box.release();
  external.TypeTag(&kGeneratorTag);
  return external;
}

at::Generator& unwrapGenerator(const Napi::Value& value, const char* what) {
  return unwrapBox<GeneratorBox>(value, kGeneratorTag, "generator", what)->generator;
}

LiveMemory liveMemory() {
  auto& a = accounting();
  std::lock_guard<std::mutex> lock(a.mutex);
  return {a.tensors, static_cast<int64_t>(a.storages.size()), a.bytes};
}

}  // namespace noiselab
