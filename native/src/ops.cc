// Calls any ATen operator through the c10 dispatcher, boxed, by its schema
// name. This keeps the native layer free of per-op glue: the TypeScript op
// wrappers name the schema and pass arguments in schema order. Autograd,
// device dispatch and defaults all come from libtorch itself.
#include "ops.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>
#include <ATen/core/stack.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "convert.h"
#include "guard.h"
#include "handles.h"

namespace noiselab {
namespace {

enum class Kind {
  Tensor,
  Int,
  ScalarType,
  Layout,
  MemoryFormat,
  Float,
  Bool,
  Scalar,
  String,
  Generator,
  Device,
  TensorList,
  OptionalTensorList,
  IntList,
  FloatList,
  BoolList,
};

struct ArgumentInfo {
  std::string name;
  Kind kind;
  bool optional;
  c10::optional<int64_t> fixedLength;  // int[2] lets one int stand for both
  c10::optional<c10::IValue> defaultValue;
};

struct OpEntry {
  std::string name;
  c10::OperatorHandle handle;
  std::vector<ArgumentInfo> arguments;
};

std::vector<OpEntry>& registry() {
  static std::vector<OpEntry> entries;
  return entries;
}

Kind kindOf(const c10::TypePtr& type, const std::string& opName, const std::string& argName) {
  using c10::TypeKind;
  switch (type->kind()) {
    case TypeKind::TensorType: return Kind::Tensor;
    case TypeKind::IntType:
    case TypeKind::SymIntType: return Kind::Int;
    case TypeKind::ScalarTypeType: return Kind::ScalarType;
    case TypeKind::LayoutType: return Kind::Layout;
    case TypeKind::MemoryFormatType: return Kind::MemoryFormat;
    case TypeKind::FloatType: return Kind::Float;
    case TypeKind::BoolType: return Kind::Bool;
    case TypeKind::NumberType: return Kind::Scalar;
    case TypeKind::StringType: return Kind::String;
    case TypeKind::GeneratorType: return Kind::Generator;
    case TypeKind::DeviceObjType: return Kind::Device;
    case TypeKind::ListType: {
      const auto& elem = type->castRaw<c10::ListType>()->getElementType();
      switch (elem->kind()) {
        case TypeKind::TensorType: return Kind::TensorList;
        case TypeKind::OptionalType:
          if (elem->castRaw<c10::OptionalType>()->getElementType()->kind() == TypeKind::TensorType) {
            return Kind::OptionalTensorList;
          }
          break;
        case TypeKind::IntType:
        case TypeKind::SymIntType: return Kind::IntList;
        case TypeKind::FloatType: return Kind::FloatList;
        case TypeKind::BoolType: return Kind::BoolList;
        default: break;
      }
      break;
    }
    default: break;
  }
  throwArgumentError(opName + ": argument '" + argName + "' has unsupported type " + type->str());
}

ArgumentInfo describe(const c10::Argument& arg, const std::string& opName) {
  c10::TypePtr type = arg.real_type();  // ScalarType, Layout, MemoryFormat; type() says int
  bool optional = false;
  if (type->kind() == c10::TypeKind::OptionalType) {
    optional = true;
    type = type->castRaw<c10::OptionalType>()->getElementType();
  }
  c10::optional<int64_t> fixedLength;
  if (arg.N()) fixedLength = static_cast<int64_t>(*arg.N());
  return {arg.name(), kindOf(type, opName, arg.name()), optional, fixedLength, arg.default_value()};
}

c10::IValue toIValue(const Napi::Value& v, const ArgumentInfo& arg, const std::string& where) {
  switch (arg.kind) {
    case Kind::Tensor: return unwrapTensor(v, where.c_str());
    case Kind::Int: return toInt64(v, where);
    case Kind::ScalarType: return toScalarType(v, where);
    case Kind::Layout: return toLayout(v, where);
    case Kind::MemoryFormat: return toMemoryFormat(v, where);
    case Kind::Float: return toDouble(v, where);
    case Kind::Bool: return toBool(v, where);
    case Kind::Scalar: {
      if (v.IsBoolean()) return c10::Scalar(v.As<Napi::Boolean>().Value());
      double d = toDouble(v, where);
      // Integral numbers act like Python int literals, so int tensors stay int.
      if (std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) return c10::Scalar(static_cast<int64_t>(d));
      return c10::Scalar(d);
    }
    case Kind::String:
      if (!v.IsString()) throwArgumentError(where + ": expected a string");
      return v.As<Napi::String>().Utf8Value();
    case Kind::Generator: return unwrapGenerator(v, where.c_str());
    case Kind::Device: return toDevice(v, where);
    case Kind::TensorList: {
      auto array = toArray(v, where);
      c10::List<at::Tensor> list;
      list.reserve(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) list.push_back(unwrapTensor(array.Get(i), where.c_str()));
      return list;
    }
    case Kind::OptionalTensorList: {
      auto array = toArray(v, where);
      c10::List<c10::optional<at::Tensor>> list;
      list.reserve(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) {
        Napi::Value item = array.Get(i);
        if (item.IsNull() || item.IsUndefined()) {
          list.push_back(c10::nullopt);
        } else {
          list.push_back(unwrapTensor(item, where.c_str()));
        }
      }
      return list;
    }
    case Kind::IntList: {
      if (v.IsNumber() && arg.fixedLength) {
        return c10::List<int64_t>(std::vector<int64_t>(*arg.fixedLength, toInt64(v, where)));
      }
      auto array = toArray(v, where);
      std::vector<int64_t> values(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) values[i] = toInt64(array.Get(i), where);
      return c10::List<int64_t>(values);
    }
    case Kind::FloatList: {
      auto array = toArray(v, where);
      std::vector<double> values(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) values[i] = toDouble(array.Get(i), where);
      return c10::List<double>(values);
    }
    case Kind::BoolList: {
      auto array = toArray(v, where);
      c10::List<bool> list;
      list.reserve(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) list.push_back(toBool(array.Get(i), where));
      return list;
    }
  }
  throwArgumentError(where + ": unreachable argument kind");
}

Napi::Value fromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return wrapTensor(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isScalar()) return Napi::Number::New(env, v.toScalar().toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    auto array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) array.Set(static_cast<uint32_t>(i), wrapTensor(env, list.get(i)));
    return array;
  }
  if (v.isTuple()) {
    const auto& elements = v.toTupleRef().elements();
    auto array = Napi::Array::New(env, elements.size());
    for (size_t i = 0; i < elements.size(); ++i) array.Set(static_cast<uint32_t>(i), fromIValue(env, elements[i]));
    return array;
  }
  if (v.isList()) {
    auto list = v.toListRef();
    auto array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) array.Set(static_cast<uint32_t>(i), fromIValue(env, list[i]));
    return array;
  }
  throwArgumentError("operator returned an unsupported value of type " + v.tagKind());
}

const OpEntry& entryAt(const Napi::Value& id) {
  auto& entries = registry();
  int64_t index = toInt64(id, "op id");
  if (index < 0 || index >= static_cast<int64_t>(entries.size())) throwArgumentError("unknown op id");
  return entries[static_cast<size_t>(index)];
}

// Pushes the JS arguments onto a stack in schema order, filling defaults.
torch::jit::Stack buildStack(const OpEntry& op, const Napi::Array& args) {
  if (args.Length() > op.arguments.size()) {
    throwArgumentError(op.name + ": takes " + std::to_string(op.arguments.size()) + " arguments, got " +
                       std::to_string(args.Length()));
  }
  torch::jit::Stack stack;
  stack.reserve(op.arguments.size());
  for (size_t i = 0; i < op.arguments.size(); ++i) {
    const ArgumentInfo& arg = op.arguments[i];
    Napi::Value v = i < args.Length() ? args.Get(static_cast<uint32_t>(i)) : Napi::Value();
    bool missing = i >= args.Length() || v.IsUndefined();
    if (missing) {
      if (!arg.defaultValue) throwArgumentError(op.name + ": missing argument '" + arg.name + "'");
      stack.push_back(*arg.defaultValue);
    } else if (v.IsNull()) {
      if (!arg.optional) throwArgumentError(op.name + ": argument '" + arg.name + "' may not be null");
      stack.emplace_back();
    } else {
      stack.push_back(toIValue(v, arg, op.name + ": argument '" + arg.name + "'"));
    }
  }
  return stack;
}

// resolveOp(name, overload) -> id. Throws if the schema does not exist.
Napi::Value resolveOp(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throwArgumentError("resolveOp: expected an operator name");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  std::string qualified = name.find("::") == std::string::npos ? "aten::" + name : name;
  auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(qualified.c_str(), overload.c_str());
  OpEntry entry{qualified + (overload.empty() ? "" : "." + overload), handle, {}};
  for (const auto& arg : handle.schema().arguments()) entry.arguments.push_back(describe(arg, entry.name));
  registry().push_back(std::move(entry));
  return Napi::Number::New(info.Env(), static_cast<double>(registry().size() - 1));
}

// opSchema(id) -> the schema string, for error messages and debugging.
Napi::Value opSchema(const Napi::CallbackInfo& info) {
  const OpEntry& op = entryAt(info[0]);
  std::ostringstream out;
  out << op.handle.schema();
  return Napi::String::New(info.Env(), out.str());
}

// callOp(id, args) -> result; one result is returned bare, several as an array.
Napi::Value callOp(const Napi::CallbackInfo& info) {
  const OpEntry& op = entryAt(info[0]);
  torch::jit::Stack stack = buildStack(op, toArray(info[1], op.name));
  op.handle.callBoxed(&stack);
  if (stack.size() == 1) return fromIValue(info.Env(), stack[0]);
  auto array = Napi::Array::New(info.Env(), stack.size());
  for (size_t i = 0; i < stack.size(); ++i) array.Set(static_cast<uint32_t>(i), fromIValue(info.Env(), stack[i]));
  return array;
}

// callOpInPlace(id, args): for ops that mutate their first argument; no handle is made for the result.
Napi::Value callOpInPlace(const Napi::CallbackInfo& info) {
  const OpEntry& op = entryAt(info[0]);
  torch::jit::Stack stack = buildStack(op, toArray(info[1], op.name));
  op.handle.callBoxed(&stack);
  return info.Env().Undefined();
}

}  // namespace

void registerOps(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, "resolveOp", resolveOp);
  exportFunction(env, exports, "opSchema", opSchema);
  exportFunction(env, exports, "callOp", callOp);
  exportFunction(env, exports, "callOpInPlace", callOpInPlace);
}

}  // namespace noiselab
