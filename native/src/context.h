#pragma once
#include <napi.h>
namespace noiselab {
void registerContext(Napi::Env env, Napi::Object exports);
}
