#pragma once
#include <napi.h>
namespace noiselab {
void registerOps(Napi::Env env, Napi::Object exports);
}
