// Every exported function runs inside `guarded`, the one place where C++
// exceptions (c10::Error from libtorch, std::exception from us) become JS
// errors. Nothing thrown in native code may reach Node's event loop.
#pragma once

#include <napi.h>

#include <c10/util/Exception.h>

#include <exception>
#include <string>

namespace noiselab {

template <typename Fn>
Napi::Value guarded(const Napi::CallbackInfo& info, Fn&& fn) {
  Napi::Env env = info.Env();
  try {
    return fn(info);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const c10::Error& e) {
    Napi::Error::New(env, e.what_without_backtrace()).ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error::New(env, e.what()).ThrowAsJavaScriptException();
  } catch (...) {
    Napi::Error::New(env, "unknown native error").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// Registers `fn` under `name`, wrapped in `guarded`.
template <typename Fn>
void exportFunction(Napi::Env env, Napi::Object exports, const char* name, Fn fn) {
  exports.Set(name, Napi::Function::New(env, [fn](const Napi::CallbackInfo& info) {
                return guarded(info, fn);
              }, name));
}

// Throws a JS TypeError-style message for bad arguments from JS.
[[noreturn]] inline void throwArgumentError(const std::string& message) {
  throw std::invalid_argument(message);
}

}  // namespace noiselab
