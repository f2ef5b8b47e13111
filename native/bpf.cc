// Loads a device filter (compiled in src/linux/cgroups/device-filter.ts) and
// attaches it to a cgroup v2 directory, then detaches the device programs that
// were attached there before, so that `update` swaps one filter for another.
// The new program is attached before the old ones go: in between, both apply
// (each can only take access away), so the cgroup is never left unfiltered.
#include "bpf.h"

#include "napi_error.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ocirt {
namespace {

long Bpf(int cmd, union bpf_attr* attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

// Closes an fd when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

int LoadProgram(const uint8_t* insns, size_t len, std::string& log) {
  static const char kLicense[] = "Apache";
  log.assign(16384, '\0');
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(insns);
  attr.insn_cnt = static_cast<uint32_t>(len / sizeof(struct bpf_insn));
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  attr.log_buf = reinterpret_cast<uint64_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  attr.log_level = 1;
  int fd = static_cast<int>(Bpf(BPF_PROG_LOAD, &attr));
  log.resize(strnlen(log.data(), log.size()));
  return fd;
}

// The ids of the BPF_CGROUP_DEVICE programs attached to the cgroup itself.
bool QueryDevicePrograms(int cgroup_fd, std::vector<uint32_t>& ids, int& err) {
  // 64 is the kernel's limit of programs per attach point (BPF_CGROUP_MAX_PROGS);
  // on ENOSPC the kernel reports how many there are.
  ids.assign(64, 0);
  for (int attempt = 0; attempt < 4; attempt++) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = reinterpret_cast<uint64_t>(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (Bpf(BPF_PROG_QUERY, &attr) == 0) {
      ids.resize(attr.query.prog_cnt);
      return true;
    }
    if (errno != ENOSPC) {
      err = errno;
      return false;
    }
    ids.assign(attr.query.prog_cnt, 0);
  }
  err = ENOSPC;
  return false;
}

}  // namespace

Napi::Value AttachDeviceFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  Napi::Buffer<uint8_t> program = info[1].As<Napi::Buffer<uint8_t>>();
  if (program.Length() == 0 || program.Length() % sizeof(struct bpf_insn) != 0) {
    throw Napi::Error::New(env, "attachDeviceFilter: the program is not a whole number of struct bpf_insn");
  }

  Fd cgroup(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (cgroup.fd < 0) throw ErrnoError(env, ("attachDeviceFilter: open " + dir).c_str(), errno);

  std::vector<uint32_t> old_ids;
  int err = 0;
  if (!QueryDevicePrograms(cgroup.fd, old_ids, err)) throw ErrnoError(env, "attachDeviceFilter: BPF_PROG_QUERY(BPF_CGROUP_DEVICE)", err);
  // Keep fds of the old programs before attaching: ids are looked up now, while
  // they name exactly the programs that were attached.
  std::vector<int> old_fds;
  struct Closer {
    std::vector<int>& fds;
    ~Closer() {
      for (int f : fds) close(f);
    }
  } closer {old_fds};
  for (uint32_t id : old_ids) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    int fd = static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, &attr));
    if (fd >= 0) {
      old_fds.push_back(fd);
      continue;
    }
    // Gone since the query (ENOENT), or hidden from us by an LSM (EPERM/EACCES):
    // another device program can only take access away, so leaving it is safe.
    if (errno == ENOENT || errno == EPERM || errno == EACCES) continue;
    throw ErrnoError(env, ("attachDeviceFilter: BPF_PROG_GET_FD_BY_ID " + std::to_string(id)).c_str(), errno);
  }

  std::string log;
  int prog = LoadProgram(program.Data(), program.Length(), log);
  if (prog < 0 && errno == EPERM) {
    // Kernels before 5.11 charge BPF programs to RLIMIT_MEMLOCK. Raise it for the
    // load only: the container's init inherits this process's limits.
    struct rlimit saved;
    if (getrlimit(RLIMIT_MEMLOCK, &saved) == 0) {
      struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
      if (setrlimit(RLIMIT_MEMLOCK, &unlimited) == 0) {
        prog = LoadProgram(program.Data(), program.Length(), log);
        int load_errno = errno;
        setrlimit(RLIMIT_MEMLOCK, &saved);
        errno = load_errno;
      }
    }
  }
  if (prog < 0) {
    int e = errno;
    std::string what = "attachDeviceFilter: BPF_PROG_LOAD(BPF_PROG_TYPE_CGROUP_DEVICE)";
    if (!log.empty()) what += " (verifier: " + log + ")";
    throw ErrnoError(env, what.c_str(), e);
  }
  Fd loaded(prog);

  union bpf_attr attach;
  memset(&attach, 0, sizeof(attach));
  attach.target_fd = static_cast<uint32_t>(cgroup.fd);
  attach.attach_bpf_fd = static_cast<uint32_t>(loaded.fd);
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attach) != 0) throw ErrnoError(env, "attachDeviceFilter: BPF_PROG_ATTACH(BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)", errno);

  for (int old : old_fds) {
    union bpf_attr detach;
    memset(&detach, 0, sizeof(detach));
    detach.target_fd = static_cast<uint32_t>(cgroup.fd);
    detach.attach_bpf_fd = static_cast<uint32_t>(old);
    detach.attach_type = BPF_CGROUP_DEVICE;
    // ENOENT: someone else detached it meanwhile, which is what we wanted.
    if (Bpf(BPF_PROG_DETACH, &detach) != 0 && errno != ENOENT) {
      throw ErrnoError(env, "attachDeviceFilter: BPF_PROG_DETACH of the previous device filter", errno);
    }
  }
  return env.Undefined();
}

}  // namespace ocirt
