#pragma once
#include <napi.h>
namespace noiselab {
void registerTensor(Napi::Env env, Napi::Object exports);
}
