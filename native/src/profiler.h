#pragma once
#include <napi.h>
namespace noiselab {
void registerProfiler(Napi::Env env, Napi::Object exports);
}
