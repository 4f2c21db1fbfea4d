// Entry point of the noiselab native addon: a thin layer over libtorch.
#include <napi.h>

#include "context.h"
#include "ops.h"
#include "precision.h"
#include "profiler.h"
#include "tensor.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  noiselab::registerTensor(env, exports);
  noiselab::registerOps(env, exports);
  noiselab::registerContext(env, exports);
  noiselab::registerProfiler(env, exports);
  noiselab::registerPrecision(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(noiselab, init)
