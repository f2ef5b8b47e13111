#include "marshal.h"

#include <initializer_list>

#include "plan_wire.h"

namespace ocirt {
namespace {

struct Key {
  const char* name;
  bool required;
};

// The plan is built by TypeScript (src/native.ts) and read here by name: a key
// renamed on one side only would otherwise read as "absent" and silently switch
// a guard off (noSymlinks is the CVE-2019-16884 one). So every key the object
// has must be one this side reads, and every key TypeScript always sets must be
// there. A mismatch is a programming error: an exception naming struct and key.
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

MountStep Step(const Napi::Object& js) {
  CheckKeys(js, "MountStep", {
                                 {"op", true},
                                 {"target", true},
                                 {"source", false},
                                 {"fstype", false},
                                 {"flags", false},
                                 {"data", false},
                                 {"create", false},
                                 {"mode", false},
                                 {"major", false},
                                 {"minor", false},
                                 {"uid", false},
                                 {"gid", false},
                                 {"attrSet", false},
                                 {"attrClr", false},
                                 {"recursive", false},
                                 {"noSymlinks", false},
                                 {"idmapUserns", false},
                                 {"idmapUidMap", false},
                                 {"idmapGidMap", false},
                                 {"copyUp", false},
                             });
  MountStep s;
  s.op = static_cast<int32_t>(Int(js, "op"));
  s.target = String(js, "target");
  s.has_source = Has(js, "source");
  s.source = String(js, "source");
  s.has_fstype = Has(js, "fstype");
  s.fstype = String(js, "fstype");
  s.has_data = Has(js, "data");
  s.data = String(js, "data");
  s.flags = static_cast<uint64_t>(Int(js, "flags"));
  s.create = static_cast<int32_t>(Int(js, "create"));
  s.mode = static_cast<uint32_t>(Int(js, "mode"));
  s.major = static_cast<uint32_t>(Int(js, "major"));
  s.minor = static_cast<uint32_t>(Int(js, "minor"));
  s.uid = static_cast<uint32_t>(Int(js, "uid"));
  s.gid = static_cast<uint32_t>(Int(js, "gid"));
  s.attr_set = static_cast<uint64_t>(Int(js, "attrSet"));
  s.attr_clr = static_cast<uint64_t>(Int(js, "attrClr"));
  s.recursive = Bool(js, "recursive");
  s.no_symlinks = Bool(js, "noSymlinks");
  s.idmap_userns = String(js, "idmapUserns");
  s.idmap_uid_map = String(js, "idmapUidMap");
  s.idmap_gid_map = String(js, "idmapGidMap");
  s.copy_up = Bool(js, "copyUp");
  return s;
}

std::vector<MountStep> Steps(const Napi::Object& o, const char* key) {
  return ArrayOf<MountStep>(o, key, [](Napi::Value v) { return Step(v.As<Napi::Object>()); });
}

ProcessPlan Process(const Napi::Object& js) {
  CheckKeys(js, "ProcessPlan", {
                                   {"args", true},
                                   {"env", true},
                                   {"cwd", true},
                                   {"searchPath", true},
                                   {"uid", true},
                                   {"gid", true},
                                   {"additionalGids", true},
                                   {"umask", true},
                                   {"noNewPrivileges", true},
                                   {"capabilities", true},
                                   {"lastCap", true},
                                   {"personality", false},
                                   {"scheduler", false},
                                   {"ioPriority", false},
                                   {"initialCpus", false},
                                   {"finalCpus", false},
                                   {"execLabelFiles", false},
                                   {"execLabel", false},
                               });
  ProcessPlan p;
  p.args = Strings(js, "args");
  p.env = Strings(js, "env");
  p.search_path = Strings(js, "searchPath");
  p.cwd = String(js, "cwd");
  p.uid = static_cast<uint32_t>(Int(js, "uid"));
  p.gid = static_cast<uint32_t>(Int(js, "gid"));
  p.additional_gids = ArrayOf<uint32_t>(js, "additionalGids", [](Napi::Value v) { return v.As<Napi::Number>().Uint32Value(); });
  p.umask = static_cast<int32_t>(Int(js, "umask", -1));
  p.no_new_privileges = Bool(js, "noNewPrivileges");
  p.last_cap = static_cast<int32_t>(Int(js, "lastCap", 40));
  if (Has(js, "capabilities")) {
    Napi::Object c = js.Get("capabilities").As<Napi::Object>();
    CheckKeys(c, "Capabilities", {{"bounding", true}, {"effective", true}, {"inheritable", true}, {"permitted", true}, {"ambient", true}});
    p.caps.present = true;
    p.caps.bounding = BigUint(c, "bounding");
    p.caps.effective = BigUint(c, "effective");
    p.caps.inheritable = BigUint(c, "inheritable");
    p.caps.permitted = BigUint(c, "permitted");
    p.caps.ambient = BigUint(c, "ambient");
  }
  p.has_personality = Has(js, "personality");
  p.personality = static_cast<uint32_t>(Int(js, "personality"));
  if (Has(js, "scheduler")) {
    Napi::Object s = js.Get("scheduler").As<Napi::Object>();
    CheckKeys(s, "ProcessPlan.scheduler", {
                                              {"policy", true},
                                              {"flags", true},
                                              {"nice", true},
                                              {"priority", true},
                                              {"runtime", true},
                                              {"deadline", true},
                                              {"period", true},
                                          });
    p.has_scheduler = true;
    p.scheduler.size = sizeof(SchedAttr);
    p.scheduler.sched_policy = static_cast<uint32_t>(Int(s, "policy"));
    p.scheduler.sched_flags = static_cast<uint64_t>(Int(s, "flags"));
    p.scheduler.sched_nice = static_cast<int32_t>(Int(s, "nice"));
    p.scheduler.sched_priority = static_cast<uint32_t>(Int(s, "priority"));
    p.scheduler.sched_runtime = BigUint(s, "runtime");
    p.scheduler.sched_deadline = BigUint(s, "deadline");
    p.scheduler.sched_period = BigUint(s, "period");
  }
  p.has_io_priority = Has(js, "ioPriority");
  p.io_priority = static_cast<int32_t>(Int(js, "ioPriority"));
  auto cpus = [&](const char* key, bool& has, cpu_set_t& set) {
    has = Has(js, key);
    CPU_ZERO(&set);
    for (uint32_t cpu : ArrayOf<uint32_t>(js, key, [](Napi::Value v) { return v.As<Napi::Number>().Uint32Value(); })) {
      if (cpu >= CPU_SETSIZE) throw Napi::Error::New(js.Env(), "CPU number out of range");
      CPU_SET(cpu, &set);
    }
  };
  cpus("initialCpus", p.has_initial_cpus, p.initial_cpus);
  cpus("finalCpus", p.has_final_cpus, p.final_cpus);
  p.exec_label_files = Strings(js, "execLabelFiles");
  p.exec_label = String(js, "execLabel");
  if (p.args.empty()) throw Napi::Error::New(js.Env(), "plan.process.args is empty");
  return p;
}

}  // namespace

InitPlan PlanFromJs(const Napi::Object& js) {
  CheckKeys(js, "InitPlan", {
                                {"cloneFlags", true},
                                {"unshareFlags", true},
                                {"joinNamespaces", true},
                                {"joinPidNamespace", true},
                                {"forkAfterUnshare", true},
                                {"timeOffsets", true},
                                {"uidMap", true},
                                {"gidMap", true},
                                {"uidMapHelper", false},
                                {"gidMapHelper", false},
                                {"dumpableUntil", false},
                                {"setgroupsDeny", true},
                                {"cgroupProcs", false},
                                {"cloneIntoCgroup", false},
                                {"selfPlaceTasks", false},
                                {"oomScoreAdj", true},
                                {"hostname", true},
                                {"domainname", true},
                                {"rootfs", true},
                                {"rootPropagation", true},
                                {"mountSteps", true},
                                {"noPivot", true},
                                {"inheritMountNamespace", false},
                                {"chrootTo", false},
                                {"noPivotDetach", false},
                                {"postPivotSteps", true},
                                {"sysctls", true},
                                {"rlimits", true},
                                {"process", true},
                                {"preserveFds", true},
                                {"stateDir", true},
                                {"sessionKeyring", true},
                                {"pauseBeforePivot", true},
                                {"terminal", false},
                                {"consoleSocket", false},
                                {"consoleRows", false},
                                {"consoleCols", false},
                                {"joinOnly", false},
                                {"execImmediately", false},
                                {"seccompFilter", false},
                                {"seccompFlags", false},
                                {"startContainerHooks", false},
                                {"hookStateBeforePid", false},
                                {"hookStateAfterPid", false},
                            });
  InitPlan plan;
  plan.clone_flags = static_cast<uint64_t>(Int(js, "cloneFlags"));
  plan.unshare_flags = static_cast<uint64_t>(Int(js, "unshareFlags"));
  plan.joins = ArrayOf<NamespaceJoin>(js, "joinNamespaces", [](Napi::Value v) {
    Napi::Object j = v.As<Napi::Object>();
    CheckKeys(j, "NamespaceJoin", {{"type", true}, {"path", true}});
    return NamespaceJoin {static_cast<int32_t>(Int(j, "type")), String(j, "path")};
  });
  plan.join_pid_namespace = String(js, "joinPidNamespace");
  plan.fork_after_unshare = Bool(js, "forkAfterUnshare");
  plan.time_offsets = String(js, "timeOffsets");
  plan.uid_map = String(js, "uidMap");
  plan.gid_map = String(js, "gidMap");
  plan.uid_map_helper = Strings(js, "uidMapHelper");
  plan.gid_map_helper = Strings(js, "gidMapHelper");
  plan.setgroups_deny = Bool(js, "setgroupsDeny");
  plan.dumpable_until = static_cast<int32_t>(Int(js, "dumpableUntil"));
  plan.has_oom_score_adj = Has(js, "oomScoreAdj");
  plan.oom_score_adj = static_cast<int32_t>(Int(js, "oomScoreAdj"));
  plan.cgroup_procs = Strings(js, "cgroupProcs");
  plan.clone_into_cgroup = String(js, "cloneIntoCgroup");
  plan.self_place_tasks = Strings(js, "selfPlaceTasks");
  plan.has_hostname = Has(js, "hostname");
  plan.hostname = String(js, "hostname");
  plan.has_domainname = Has(js, "domainname");
  plan.domainname = String(js, "domainname");
  plan.rootfs = String(js, "rootfs");
  plan.root_propagation = static_cast<uint64_t>(Int(js, "rootPropagation"));
  plan.mount_steps = Steps(js, "mountSteps");
  plan.no_pivot = Bool(js, "noPivot");
  plan.inherit_mount_namespace = Bool(js, "inheritMountNamespace");
  plan.chroot_to = String(js, "chrootTo");
  plan.no_pivot_detach = Strings(js, "noPivotDetach");
  plan.post_pivot_steps = Steps(js, "postPivotSteps");
  plan.sysctls = ArrayOf<std::pair<std::string, std::string>>(js, "sysctls", [](Napi::Value v) {
    Napi::Array kv = v.As<Napi::Array>();
    return std::make_pair(kv.Get(0u).As<Napi::String>().Utf8Value(), kv.Get(1u).As<Napi::String>().Utf8Value());
  });
  plan.rlimits = ArrayOf<Rlimit>(js, "rlimits", [](Napi::Value v) {
    Napi::Object r = v.As<Napi::Object>();
    CheckKeys(r, "Rlimit", {{"resource", true}, {"soft", true}, {"hard", true}});
    return Rlimit {static_cast<int32_t>(Int(r, "resource")), BigUint(r, "soft"), BigUint(r, "hard")};
  });
  plan.process = Process(js.Get("process").As<Napi::Object>());
  plan.preserve_fds = static_cast<int32_t>(Int(js, "preserveFds"));
  plan.state_dir = String(js, "stateDir");
  plan.session_keyring = String(js, "sessionKeyring");
  plan.pause_before_pivot = Bool(js, "pauseBeforePivot");
  plan.join_only = Bool(js, "joinOnly");
  plan.terminal = Bool(js, "terminal");
  plan.console_socket = String(js, "consoleSocket");
  plan.console_rows = static_cast<uint16_t>(Int(js, "consoleRows"));
  plan.console_cols = static_cast<uint16_t>(Int(js, "consoleCols"));
  plan.exec_immediately = Bool(js, "execImmediately");
  plan.start_container_hooks = ArrayOf<HookPlan>(js, "startContainerHooks", [](Napi::Value v) {
    Napi::Object h = v.As<Napi::Object>();
    CheckKeys(h, "HookPlan", {{"path", true}, {"args", true}, {"env", true}, {"timeout", true}});
    HookPlan hook;
    hook.path = String(h, "path");
    hook.args = Strings(h, "args");
    hook.env = Strings(h, "env");
    hook.timeout_s = static_cast<int32_t>(Int(h, "timeout"));
    return hook;
  });
  plan.hook_state_before_pid = String(js, "hookStateBeforePid");
  plan.hook_state_after_pid = String(js, "hookStateAfterPid");
  if (Has(js, "seccompFilter")) {
    Napi::Buffer<uint8_t> filter = js.Get("seccompFilter").As<Napi::Buffer<uint8_t>>();
    plan.seccomp_filter.assign(filter.Data(), filter.Data() + filter.Length());
    plan.seccomp_flags = static_cast<uint32_t>(Int(js, "seccompFlags"));
  }
  return plan;
}

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
