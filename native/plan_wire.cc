#include "plan_wire.h"

#include <cstring>
#include <type_traits>

namespace ocirt {
namespace {

constexpr uint32_t kMagic = 0x6f637374;  // "ocst": a plan, not stray bytes

class Writer {
 public:
  std::string out;
  template <typename T>
  void Raw(T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void Str(std::string& s) {
    uint64_t n = s.size();
    Raw(n);
    out.append(s);
  }
  template <typename T, typename Each>
  void List(std::vector<T>& v, Each each) {
    uint64_t n = v.size();
    Raw(n);
    for (auto& item : v) each(item);
  }
  bool ok = true;
};

class Reader {
 public:
  Reader(const char* data, size_t size) : data_(data), left_(size) {}
  template <typename T>
  void Raw(T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!Take(sizeof(T))) return;
    memcpy(&v, data_ - sizeof(T), sizeof(T));
  }
  void Str(std::string& s) {
    uint64_t n = 0;
    Raw(n);
    if (!ok || n > left_ || !Take(n)) {
      ok = false;
      return;
    }
    s.assign(data_ - n, n);
  }
  template <typename T, typename Each>
  void List(std::vector<T>& v, Each each) {
    uint64_t n = 0;
    Raw(n);
    // Every element takes at least one byte: a count beyond what is left is corrupt.
    if (!ok || n > left_) {
      ok = false;
      return;
    }
    v.resize(n);
    for (auto& item : v) {
      if (!ok) return;
      each(item);
    }
  }
  bool ok = true;
  size_t left() const { return left_; }

 private:
  bool Take(size_t n) {
    if (!ok || n > left_) {
      ok = false;
      return false;
    }
    data_ += n;
    left_ -= n;
    return true;
  }
  const char* data_;
  size_t left_;
};

// Every field once, in one order, for both directions.
template <typename Io>
void VisitStep(Io& io, MountStep& s) {
  io.Raw(s.op);
  io.Str(s.target);
  io.Str(s.source);
  io.Str(s.fstype);
  io.Str(s.data);
  io.Raw(s.has_source);
  io.Raw(s.has_fstype);
  io.Raw(s.has_data);
  io.Raw(s.flags);
  io.Raw(s.create);
  io.Raw(s.mode);
  io.Raw(s.major);
  io.Raw(s.minor);
  io.Raw(s.uid);
  io.Raw(s.gid);
  io.Raw(s.attr_set);
  io.Raw(s.attr_clr);
  io.Raw(s.recursive);
  io.Raw(s.no_symlinks);
  io.Str(s.idmap_userns);
  io.Str(s.idmap_uid_map);
  io.Str(s.idmap_gid_map);
  io.Raw(s.tree_fd);
  io.Raw(s.copy_up);
}

template <typename Io>
void VisitStrings(Io& io, std::vector<std::string>& v) {
  io.List(v, [&](std::string& s) { io.Str(s); });
}

template <typename Io>
void VisitProcess(Io& io, ProcessPlan& p) {
  VisitStrings(io, p.args);
  VisitStrings(io, p.env);
  VisitStrings(io, p.search_path);
  io.Str(p.cwd);
  io.Raw(p.uid);
  io.Raw(p.gid);
  io.List(p.additional_gids, [&](uint32_t& g) { io.Raw(g); });
  io.Raw(p.umask);
  io.Raw(p.no_new_privileges);
  io.Raw(p.caps);
  io.Raw(p.last_cap);
  io.Raw(p.has_personality);
  io.Raw(p.personality);
  io.Raw(p.has_scheduler);
  io.Raw(p.scheduler);
  io.Raw(p.has_io_priority);
  io.Raw(p.io_priority);
  io.Raw(p.has_initial_cpus);
  io.Raw(p.has_final_cpus);
  io.Raw(p.initial_cpus);
  io.Raw(p.final_cpus);
  VisitStrings(io, p.exec_label_files);
  io.Str(p.exec_label);
}

template <typename Io>
void VisitPlan(Io& io, InitPlan& p, StageFds& fds) {
  uint32_t magic = kMagic;
  io.Raw(magic);
  if (magic != kMagic) io.ok = false;
  io.Raw(fds);
  io.Raw(p.clone_flags);
  io.Raw(p.unshare_flags);
  io.List(p.joins, [&](NamespaceJoin& j) { io.Raw(j.type); io.Str(j.path); io.Raw(j.fd); });
  io.Str(p.join_pid_namespace);
  io.Raw(p.join_pid_fd);
  io.Raw(p.fork_after_unshare);
  io.Str(p.time_offsets);
  io.Str(p.uid_map);
  io.Str(p.gid_map);
  VisitStrings(io, p.uid_map_helper);
  VisitStrings(io, p.gid_map_helper);
  io.Raw(p.setgroups_deny);
  io.Raw(p.dumpable_until);
  io.Raw(p.has_oom_score_adj);
  io.Raw(p.oom_score_adj);
  VisitStrings(io, p.cgroup_procs);
  io.Str(p.clone_into_cgroup);
  VisitStrings(io, p.self_place_tasks);
  io.Raw(p.has_hostname);
  io.Raw(p.has_domainname);
  io.Str(p.hostname);
  io.Str(p.domainname);
  io.Str(p.rootfs);
  io.Raw(p.root_propagation);
  io.List(p.mount_steps, [&](MountStep& s) { VisitStep(io, s); });
  io.Raw(p.no_pivot);
  io.Raw(p.inherit_mount_namespace);
  io.Raw(p.runtime_mnt_ns_fd);
  io.Str(p.chroot_to);
  VisitStrings(io, p.no_pivot_detach);
  io.List(p.post_pivot_steps, [&](MountStep& s) { VisitStep(io, s); });
  io.List(p.sysctls, [&](std::pair<std::string, std::string>& kv) { io.Str(kv.first); io.Str(kv.second); });
  io.List(p.rlimits, [&](Rlimit& r) { io.Raw(r); });
  VisitProcess(io, p.process);
  io.Raw(p.preserve_fds);
  io.Str(p.state_dir);
  io.Str(p.session_keyring);
  io.Raw(p.pause_before_pivot);
  io.Raw(p.terminal);
  io.Str(p.console_socket);
  io.Raw(p.console_rows);
  io.Raw(p.console_cols);
  io.Raw(p.join_only);
  io.Raw(p.exec_immediately);
  io.List(p.seccomp_filter, [&](uint8_t& b) { io.Raw(b); });
  io.Raw(p.seccomp_flags);
  io.List(p.start_container_hooks, [&](HookPlan& h) {
    io.Str(h.path);
    VisitStrings(io, h.args);
    VisitStrings(io, h.env);
    io.Raw(h.timeout_s);
  });
  io.Str(p.hook_state_before_pid);
  io.Str(p.hook_state_after_pid);
}

}  // namespace

std::string EncodePlan(const InitPlan& plan, const StageFds& fds) {
  Writer w;
  StageFds copy = fds;
  VisitPlan(w, const_cast<InitPlan&>(plan), copy);
  return std::move(w.out);
}

bool DecodePlan(const char* data, size_t size, InitPlan* plan, StageFds* fds) {
  Reader r(data, size);
  VisitPlan(r, *plan, *fds);
  return r.ok && r.left() == 0;
}

}  // namespace ocirt
