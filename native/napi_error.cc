#include "napi_error.h"

#include <cstring>
#include <string>

namespace ocirt {

Napi::Error ErrnoError(Napi::Env env, const char* what, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  const char* name = strerrorname_np(err);
  if (name != nullptr) e.Set("code", Napi::String::New(env, name));
  return e;
}

}  // namespace ocirt
