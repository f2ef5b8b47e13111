#include "seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "napi_error.h"

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
  ~Filter() {
    if (ctx != nullptr) seccomp_release(ctx);
  }
};

// runc's -ENOSYS stub (libcontainer/seccomp/patchbpf): a syscall newer than
// every syscall the profile names for an architecture gets ENOSYS instead of
// the default action, so that a C library falls back from a syscall the
// profile predates (glibc: clone3 -> clone) instead of failing with EPERM.
// The stub runs before libseccomp's program; per architecture in the
// profile:
//
//   ld [arch]; jeq AUDIT_ARCH, 0, next-architecture
//   ld [nr];   (x86_64: jset X32 bit to tell the x86_64 and x32 ABIs apart)
//              (s390, s390x: jeq 0, ENOSYS: unknown large syscalls arrive as 0)
//              jgt LAST-NAMED, ENOSYS, filter
//   ...
//   ja filter; ENOSYS: ret ERRNO(ENOSYS); filter: libseccomp's program
constexpr uint32_t kX32SyscallBit = 0x40000000;
constexpr uint32_t kSeccompDataNr = 0;
constexpr uint32_t kSeccompDataArch = 4;

enum class Target { kNextInsn,
                    kSkipOne,
                    kEnosys,
                    kFilter,
                    kNextSection };
struct StubInsn {
  uint16_t code;
  Target jt;
  Target jf;
  uint32_t k;
};

StubInsn Load(uint32_t offset) { return {BPF_LD | BPF_W | BPF_ABS, Target::kNextInsn, Target::kNextInsn, offset}; }
StubInsn Jump(uint16_t op, uint32_t k, Target jt, Target jf) { return {static_cast<uint16_t>(BPF_JMP | op | BPF_K), jt, jf, k}; }

// The highest syscall number the rules name for a libseccomp architecture, or -1.
int LastNamedSyscall(uint32_t arch, const std::vector<std::string>& names) {
  int last = -1;
  for (const std::string& name : names) {
    int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
    if (nr < 0) continue;                             // unknown, or a pseudo-syscall libseccomp made up for this architecture
    if (arch == SCMP_ARCH_X32) nr |= kX32SyscallBit;  // the number as the x32 ABI passes it
    if (nr > last) last = nr;
  }
  return last;
}

std::vector<struct sock_filter> EnosysStub(const std::vector<uint32_t>& arches, const std::vector<std::string>& names) {
  // AUDIT_ARCH_* -> {x86_64 or native ABI's last syscall, x32's}; libseccomp's
  // SCMP_ARCH_* are the AUDIT_ARCH_* values except its made-up x32 token.
  struct Lasts {
    int native = -1;
    int x32 = -1;
  };
  std::vector<std::pair<uint32_t, Lasts>> by_audit_arch;
  for (uint32_t arch : arches) {
    int last = LastNamedSyscall(arch, names);
    if (last < 0) continue;
    uint32_t audit = arch == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : arch;
    auto it = by_audit_arch.begin();
    while (it != by_audit_arch.end() && it->first != audit) ++it;
    if (it == by_audit_arch.end()) it = by_audit_arch.insert(it, {audit, Lasts {}});
    (arch == SCMP_ARCH_X32 ? it->second.x32 : it->second.native) = last;
  }

  std::vector<std::vector<StubInsn>> sections;
  for (const auto& [audit, lasts] : by_audit_arch) {
    std::vector<StubInsn> s = {Load(kSeccompDataArch), Jump(BPF_JEQ, audit, Target::kNextInsn, Target::kNextSection), Load(kSeccompDataNr)};
    if (audit == SCMP_ARCH_S390 || audit == SCMP_ARCH_S390X) s.push_back(Jump(BPF_JEQ, 0, Target::kEnosys, Target::kNextInsn));
    if (audit == SCMP_ARCH_X86_64) {
      if (lasts.native >= 0 && lasts.x32 >= 0) {
        s.push_back(Jump(BPF_JSET, kX32SyscallBit, Target::kSkipOne, Target::kNextInsn));
        s.push_back(Jump(BPF_JGT, static_cast<uint32_t>(lasts.native), Target::kEnosys, Target::kFilter));
        s.push_back(Jump(BPF_JGT, static_cast<uint32_t>(lasts.x32), Target::kEnosys, Target::kFilter));
      } else if (lasts.native >= 0) {
        s.push_back(Jump(BPF_JSET, kX32SyscallBit, Target::kFilter, Target::kNextInsn));
        s.push_back(Jump(BPF_JGT, static_cast<uint32_t>(lasts.native), Target::kEnosys, Target::kFilter));
      } else {
        s.push_back(Jump(BPF_JSET, kX32SyscallBit, Target::kNextInsn, Target::kFilter));
        s.push_back(Jump(BPF_JGT, static_cast<uint32_t>(lasts.x32), Target::kEnosys, Target::kFilter));
      }
    } else {
      s.push_back(Jump(BPF_JGT, static_cast<uint32_t>(lasts.native), Target::kEnosys, Target::kFilter));
    }
    sections.push_back(s);
  }
  if (sections.empty()) return {};

  // Layout: the sections, then "ja filter", "ret ERRNO(ENOSYS)", then the filter.
  std::vector<size_t> starts;
  size_t length = 0;
  for (const auto& s : sections) {
    starts.push_back(length);
    length += s.size();
  }
  const size_t fallthrough = length, enosys = length + 1, filter = length + 2;
  std::vector<struct sock_filter> out;
  for (size_t i = 0; i < sections.size(); i++) {
    const size_t next_section = i + 1 < sections.size() ? starts[i + 1] : fallthrough;
    for (const StubInsn& insn : sections[i]) {
      const size_t pc = out.size();
      auto offset = [&](Target t) -> uint8_t {
        size_t to = t == Target::kNextInsn ? pc + 1 : t == Target::kSkipOne ? pc + 2
                                                  : t == Target::kEnosys    ? enosys
                                                  : t == Target::kFilter    ? filter
                                                                            : next_section;
        // At most a few instructions per architecture: always within a short jump.
        return static_cast<uint8_t>(to - (pc + 1));
      };
      bool jump = BPF_CLASS(insn.code) == BPF_JMP;
      out.push_back({insn.code, jump ? offset(insn.jt) : uint8_t {0}, jump ? offset(insn.jf) : uint8_t {0}, insn.k});
    }
  }
  out.push_back({BPF_JMP | BPF_JA, 0, 0, 1});
  out.push_back({BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS});
  return out;
}

}  // namespace

Napi::Value CompileSeccomp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object req = info[0].As<Napi::Object>();
  Filter filter(req.Get("defaultAction").As<Napi::Number>().Uint32Value());
  if (filter.ctx == nullptr) throw Napi::Error::New(env, "seccomp: invalid default action");
  // We load the program ourselves, after setting no_new_privs as the config says.
  seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_NNP, 0);

  Napi::Array arches = req.Get("architectures").As<Napi::Array>();
  std::vector<uint32_t> arch_tokens;
  for (uint32_t i = 0; i < arches.Length(); i++) {
    std::string name = arches.Get(i).As<Napi::String>().Utf8Value();
    uint32_t arch = seccomp_arch_resolve_name(name.c_str());
    if (arch == 0) throw Napi::Error::New(env, "seccomp: libseccomp does not know architecture " + name);
    arch_tokens.push_back(arch);
    int rc = seccomp_arch_add(filter.ctx, arch);
    if (rc != 0 && rc != -EEXIST) throw ErrnoError(env, ("seccomp: adding architecture " + name).c_str(), -rc);
  }

  Napi::Array unknown = Napi::Array::New(env);
  Napi::Array rules = req.Get("rules").As<Napi::Array>();
  std::vector<std::string> names;
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object rule = rules.Get(i).As<Napi::Object>();
    std::string name = rule.Get("syscall").As<Napi::String>().Utf8Value();
    names.push_back(name);
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
  if (rc != 0) {
    close(fd);
    throw ErrnoError(env, "seccomp: export", -rc);
  }
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<struct sock_filter> stub;
  if (req.Get("enosysStub").ToBoolean().Value()) stub = EnosysStub(arch_tokens, names);
  const size_t stub_bytes = stub.size() * sizeof(struct sock_filter);
  std::vector<uint8_t> program(stub_bytes + static_cast<size_t>(size));
  if (stub_bytes > 0) memcpy(program.data(), stub.data(), stub_bytes);
  ssize_t got = pread(fd, program.data() + stub_bytes, static_cast<size_t>(size), 0);
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
