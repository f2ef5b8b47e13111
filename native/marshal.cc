#include "marshal.h"

#include <initializer_list>

#include "plan_wire.h"

namespace ocirt {
namespace {

struct Key {
  const char* name;
  bool required;
};

// The plan is built by TypeScript and read here by name. Both sides' names are
// generated from scripts/wire/plan-definition.mjs, but an object can still stray
// from its type at run time (a spread of a wider object, a cast), and a key read
// as "absent" would silently switch a guard off (noSymlinks is the
// CVE-2019-16884 one). So every key the object has must be one this side reads,
// and every key TypeScript always sets must be there. A mismatch is a
// programming error: an exception naming struct and key.
void CheckKeys(const Napi::Object& o, const char* structName, std::initializer_list<Key> keys) {
  Napi::Array names = o.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    bool known = false;
    for (const Key& k : keys)
      if (name == k.name) {
        known = true;
        break;
      }
    if (!known) throw Napi::Error::New(o.Env(), std::string(structName) + ": unknown key \"" + name + "\"");
  }
  for (const Key& k : keys) {
    if (k.required && !o.Has(k.name)) throw Napi::Error::New(o.Env(), std::string(structName) + ": missing key \"" + k.name + "\"");
  }
}

bool Has(const Napi::Object& o, const char* key) {
  if (!o.Has(key)) return false;
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

std::string String(const Napi::Object& o, const char* key) {
  return Has(o, key) ? o.Get(key).As<Napi::String>().Utf8Value() : std::string();
}

int64_t Int(const Napi::Object& o, const char* key, int64_t fallback = 0) {
  return Has(o, key) ? o.Get(key).As<Napi::Number>().Int64Value() : fallback;
}

bool Bool(const Napi::Object& o, const char* key) {
  return Has(o, key) && o.Get(key).As<Napi::Boolean>().Value();
}

uint64_t BigUint(const Napi::Object& o, const char* key) {
  if (!Has(o, key)) return 0;
  bool lossless = true;
  return o.Get(key).As<Napi::BigInt>().Uint64Value(&lossless);
}

// o[key] (an array, possibly absent) converted element by element.
template <typename T, typename Convert>
std::vector<T> ArrayOf(const Napi::Object& o, const char* key, Convert convert) {
  std::vector<T> out;
  if (!Has(o, key)) return out;
  Napi::Array a = o.Get(key).As<Napi::Array>();
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(convert(a.Get(i)));
  return out;
}

std::vector<std::string> Strings(const Napi::Object& o, const char* key) {
  return ArrayOf<std::string>(o, key, [](Napi::Value v) { return v.As<Napi::String>().Utf8Value(); });
}

std::vector<uint32_t> Uint32s(const Napi::Object& o, const char* key) {
  return ArrayOf<uint32_t>(o, key, [](Napi::Value v) { return v.As<Napi::Number>().Uint32Value(); });
}

// [string, string] pairs (sysctls).
std::vector<std::pair<std::string, std::string>> StringPairs(const Napi::Object& o, const char* key) {
  return ArrayOf<std::pair<std::string, std::string>>(o, key, [](Napi::Value v) {
    Napi::Array kv = v.As<Napi::Array>();
    return std::make_pair(kv.Get(0u).As<Napi::String>().Utf8Value(), kv.Get(1u).As<Napi::String>().Utf8Value());
  });
}

// A Buffer's bytes (the seccomp filter); empty when absent.
std::vector<uint8_t> Bytes(const Napi::Object& o, const char* key) {
  if (!Has(o, key)) return {};
  Napi::Buffer<uint8_t> buffer = o.Get(key).As<Napi::Buffer<uint8_t>>();
  return std::vector<uint8_t>(buffer.Data(), buffer.Data() + buffer.Length());
}

// A list of CPU numbers as a cpu_set_t for sched_setaffinity(2); empty when absent.
cpu_set_t CpuSet(const Napi::Object& o, const char* key) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t cpu : Uint32s(o, key)) {
    if (cpu >= CPU_SETSIZE) throw Napi::Error::New(o.Env(), "CPU number out of range");
    CPU_SET(cpu, &set);
  }
  return set;
}

// The readers of every plan struct (StructFromJs), generated from
// scripts/wire/plan-definition.mjs by scripts/build-wire.mjs.
#include "generated/plan_marshal.inc"

}  // namespace

InitPlan PlanFromJs(const Napi::Object& js) { return InitPlanFromJs(js); }

// The plan through the same path spawnInit takes (JS -> C++ structs -> stage
// bytes -> C++ structs), re-encoded: returns the bytes' length when decoding
// gives back the same structs and re-encoding reproduces the bytes, and throws otherwise.
Napi::Value CheckPlanWire(const Napi::CallbackInfo& info) {
  InitPlan plan = PlanFromJs(info[0].As<Napi::Object>());
  StageFds fds {3, 4, 5, 6, 7};
  std::string bytes = EncodePlan(plan, fds);
  InitPlan decoded;
  StageFds decodedFds;
  if (!DecodePlan(bytes.data(), bytes.size(), &decoded, &decodedFds)) throw Napi::Error::New(info.Env(), "plan_wire: the encoded plan does not decode");
  // Compared as structs, not only as bytes: a field the visitor leaves out would re-encode identically.
  if (!(decoded == plan)) throw Napi::Error::New(info.Env(), "plan_wire: the decoded plan differs from the encoded one");
  if (EncodePlan(decoded, decodedFds) != bytes) throw Napi::Error::New(info.Env(), "plan_wire: the decoded plan encodes differently");
  return Napi::Number::New(info.Env(), static_cast<double>(bytes.size()));
}

}  // namespace ocirt
