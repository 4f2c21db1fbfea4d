#pragma once
#include <napi.h>
namespace noiselab {
void registerPrecision(Napi::Env env, Napi::Object exports);
}
