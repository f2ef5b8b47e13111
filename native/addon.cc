// Module entry: the functions of NativeAddon (src/native.ts).
#include <napi.h>

#include "bpf.h"
#include "file_io.h"
#include "hook.h"
#include "init.h"
#include "marshal.h"
#include "preserved_fds.h"
#include "process.h"
#include "seccomp.h"

namespace ocirt {
namespace {

Napi::Value SpawnInitJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  InitPlan plan = PlanFromJs(info[0].As<Napi::Object>());
  Napi::Function on_pause = info.Length() > 1 && info[1].IsFunction() ? info[1].As<Napi::Function>() : Napi::Function();
  Napi::Function on_listener = info.Length() > 2 && info[2].IsFunction() ? info[2].As<Napi::Function>() : Napi::Function();
  SpawnResult r = SpawnInit(
      plan, [&](int pid) {
    if (!on_pause.IsEmpty()) on_pause.Call({Napi::Number::New(env, pid)}); }, [&](int pid, int fd) {
    if (!on_listener.IsEmpty()) on_listener.Call({Napi::Number::New(env, pid), Napi::Number::New(env, fd)}); });
  if (r.failed) {
    Napi::Error e = Napi::Error::New(env, "container init failed");
    Napi::Object failure = Napi::Object::New(env);
    failure.Set("phase", r.report.phase);
    failure.Set("step", r.report.step);
    failure.Set("errno", r.report.err);
    r.report.message[sizeof(r.report.message) - 1] = '\0';
    failure.Set("message", Napi::String::New(env, r.report.message));
    e.Set("failure", failure);
    throw e;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", r.pid);
  out.Set("recordedFd", r.recorded_fd);
  return out;
}

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  exports.Set("setChildSubreaper", Napi::Function::New(env, SetChildSubreaper));
  exports.Set("waitPid", Napi::Function::New(env, WaitPid));
  exports.Set("waitPidAsync", Napi::Function::New(env, WaitPidAsync));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("pidfdWait", Napi::Function::New(env, PidfdWait));
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInitJs));
  exports.Set("releaseInit", Napi::Function::New(env, ReleaseInit));
  exports.Set("sendSeccompListener", Napi::Function::New(env, SendSeccompListener));
  exports.Set("seccompSupported", Napi::Function::New(env, SeccompSupported));
  exports.Set("compileSeccomp", Napi::Function::New(env, CompileSeccomp));
  exports.Set("runHook", Napi::Function::New(env, RunHook));
  exports.Set("readFileInRoot", Napi::Function::New(env, ReadFileInRoot));
  exports.Set("listenUnix", Napi::Function::New(env, ListenUnix));
  exports.Set("receiveFd", Napi::Function::New(env, ReceiveFd));
  exports.Set("strerror", Napi::Function::New(env, StrError));
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter));
  exports.Set("preservedFdProblem", Napi::Function::New(env, PreservedFdProblem));
  exports.Set("checkPlanWire", Napi::Function::New(env, CheckPlanWire));
  exports.Set("fileOpen", Napi::Function::New(env, FileOpen));
  exports.Set("fileClose", Napi::Function::New(env, FileClose));
  exports.Set("fileReadAll", Napi::Function::New(env, FileReadAll));
  exports.Set("fileWrite", Napi::Function::New(env, FileWrite));
  exports.Set("fileStat", Napi::Function::New(env, FileStat));
  exports.Set("fileReaddir", Napi::Function::New(env, FileReaddir));
  exports.Set("fileMkdir", Napi::Function::New(env, FileMkdir));
  exports.Set("fileRmdir", Napi::Function::New(env, FileRmdir));
  exports.Set("fileUnlink", Napi::Function::New(env, FileUnlink));
  exports.Set("fileRename", Napi::Function::New(env, FileRename));
  exports.Set("fileReadlink", Napi::Function::New(env, FileReadlink));
  exports.Set("fileRead", Napi::Function::New(env, FileRead));
  exports.Set("fileRealpath", Napi::Function::New(env, FileRealpath));
  exports.Set("fileAccess", Napi::Function::New(env, FileAccess));
  return exports;
}

}  // namespace
}  // namespace ocirt

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return ocirt::Register(env, exports); }

NODE_API_MODULE(ocirt, InitModule)
