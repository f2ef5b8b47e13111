#include "seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "process.h"

namespace ocirt {
namespace {

uint64_t BigUint(const Napi::Object& o, const char* key) {
  bool lossless = true;
  return o.Get(key).As<Napi::BigInt>().Uint64Value(&lossless);
}

// Owns a libseccomp context.
struct Filter {
  scmp_filter_ctx ctx;
  explicit Filter(uint32_t default_action) : ctx(seccomp_init(default_action)) {}
  ~Filter() { if (ctx != nullptr) seccomp_release(ctx); }
};

}  // namespace

Napi::Value CompileSeccomp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object req = info[0].As<Napi::Object>();
  Filter filter(req.Get("defaultAction").As<Napi::Number>().Uint32Value());
  if (filter.ctx == nullptr) throw Napi::Error::New(env, "seccomp: invalid default action");
  // We load the program ourselves, after setting no_new_privs as the config says.
  seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_NNP, 0);

  Napi::Array arches = req.Get("architectures").As<Napi::Array>();
  for (uint32_t i = 0; i < arches.Length(); i++) {
    std::string name = arches.Get(i).As<Napi::String>().Utf8Value();
    uint32_t arch = seccomp_arch_resolve_name(name.c_str());
    if (arch == 0) throw Napi::Error::New(env, "seccomp: libseccomp does not know architecture " + name);
    int rc = seccomp_arch_add(filter.ctx, arch);
    if (rc != 0 && rc != -EEXIST) throw ErrnoError(env, ("seccomp: adding architecture " + name).c_str(), -rc);
  }

  Napi::Array unknown = Napi::Array::New(env);
  Napi::Array rules = req.Get("rules").As<Napi::Array>();
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object rule = rules.Get(i).As<Napi::Object>();
    std::string name = rule.Get("syscall").As<Napi::String>().Utf8Value();
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      // A syscall this kernel's architecture does not have: nothing to filter (runc skips it too).
      unknown.Set(unknown.Length(), name);
      continue;
    }
    Napi::Array args = rule.Get("args").As<Napi::Array>();
    std::vector<struct scmp_arg_cmp> cmps;
    for (uint32_t k = 0; k < args.Length(); k++) {
      Napi::Object a = args.Get(k).As<Napi::Object>();
      struct scmp_arg_cmp cmp {};
      cmp.arg = a.Get("index").As<Napi::Number>().Uint32Value();
      cmp.op = static_cast<enum scmp_compare>(a.Get("op").As<Napi::Number>().Uint32Value());
      cmp.datum_a = BigUint(a, "value");
      cmp.datum_b = BigUint(a, "valueTwo");
      cmps.push_back(cmp);
    }
    uint32_t action = rule.Get("action").As<Napi::Number>().Uint32Value();
    int rc = seccomp_rule_add_array(filter.ctx, action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
    // -EACCES: the rule's action is the default action, so the rule changes nothing.
    if (rc != 0 && rc != -EACCES) throw ErrnoError(env, ("seccomp: rule for " + name).c_str(), -rc);
  }

  int fd = memfd_create("ocirt-seccomp", MFD_CLOEXEC);
  if (fd < 0) throw ErrnoError(env, "seccomp: memfd_create", errno);
  int rc = seccomp_export_bpf(filter.ctx, fd);
  if (rc != 0) { close(fd); throw ErrnoError(env, "seccomp: export", -rc); }
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<uint8_t> program(static_cast<size_t>(size));
  ssize_t got = pread(fd, program.data(), program.size(), 0);
  close(fd);
  if (got != size) throw Napi::Error::New(env, "seccomp: short read of the exported program");

  Napi::Object out = Napi::Object::New(env);
  out.Set("filter", Napi::Buffer<uint8_t>::Copy(env, program.data(), program.size()));
  out.Set("unknownSyscalls", unknown);
  return out;
}

// The kernel's own answer: SECCOMP_GET_ACTION_AVAIL for an action; for a
// flag, SECCOMP_SET_MODE_FILTER with no program fails with EFAULT if the flag
// is known and EINVAL if not (runc probes the same way).
Napi::Value SeccompSupported(const Napi::CallbackInfo& info) {
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  uint32_t value = info[1].As<Napi::Number>().Uint32Value();
  bool supported;
  if (kind == "action") {
    supported = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &value) == 0;
  } else {
    supported = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, value, nullptr) < 0 && errno == EFAULT;
  }
  return Napi::Boolean::New(info.Env(), supported);
}

}  // namespace ocirt
