// File syscalls for src/linux/io.ts (see file_io.h). Every function returns a
// negative errno on failure instead of throwing: io.ts builds the same error
// node:fs would (code, syscall, path, message), and a throw across N-API would
// only be caught and rebuilt.
#include "file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

namespace ocirt {
namespace {

Napi::Number Failure(Napi::Env env, int err) { return Napi::Number::New(env, -err); }

std::string PathArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }

// A path with a NUL byte cannot reach the kernel whole; node refuses it (ERR_INVALID_ARG_VALUE), here ENOENT.
bool HasNul(const std::string& path) { return path.find('\0') != std::string::npos; }

// A syscall on the path in argument 0 that returns 0 or -1, as 0 or -errno;
// a path holding a NUL is ENOENT, as node reports it.
template <typename Syscall>
Napi::Value PathSyscall(const Napi::CallbackInfo& info, Syscall call) {
  std::string path = PathArg(info, 0);
  if (HasNul(path)) return Failure(info.Env(), ENOENT);
  int rc = call(path.c_str());
  return Napi::Number::New(info.Env(), rc < 0 ? -errno : 0);
}

// mode, uid, gid, size, ino, dev, nlink, rdev, mtime in ms: the fields of fs.Stats the callers read.
Napi::Value StatToJs(Napi::Env env, const struct stat& st) {
  Napi::Array out = Napi::Array::New(env, 9);
  out.Set(0u, static_cast<double>(st.st_mode));
  out.Set(1u, static_cast<double>(st.st_uid));
  out.Set(2u, static_cast<double>(st.st_gid));
  out.Set(3u, static_cast<double>(st.st_size));
  out.Set(4u, static_cast<double>(st.st_ino));
  out.Set(5u, static_cast<double>(st.st_dev));
  out.Set(6u, static_cast<double>(st.st_nlink));
  out.Set(7u, static_cast<double>(st.st_rdev));
  out.Set(8u, static_cast<double>(st.st_mtim.tv_sec) * 1000 + static_cast<double>(st.st_mtim.tv_nsec) / 1e6);
  return out;
}

}  // namespace

// open(path, flags, mode) → fd; O_CLOEXEC always, as node and bun open every fd.
Napi::Value FileOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  if (HasNul(path)) return Failure(env, ENOENT);
  int flags = info[1].As<Napi::Number>().Int32Value();
  mode_t mode = info[2].As<Napi::Number>().Uint32Value();
  int fd;
  do fd = open(path.c_str(), flags | O_CLOEXEC, mode);
  while (fd < 0 && errno == EINTR);
  return Napi::Number::New(env, fd < 0 ? -errno : fd);
}

Napi::Value FileClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Not retried on EINTR: Linux has closed the fd already.
  return Napi::Number::New(env, close(info[0].As<Napi::Number>().Int32Value()) < 0 ? -errno : 0);
}

// Reads fd from its offset to end of file (procfs and cgroupfs report size 0, so no fstat first)
// as UTF-8 text, invalid sequences replaced as node's readFileSync(fd, 'utf8') does.
Napi::Value FileReadAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Failure(env, errno);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return Napi::String::New(env, text);
}

// write(fd, data + offset): one write(2) of a string's UTF-8 bytes or of a Uint8Array's, from byte
// `offset`; returns how many were written, as node's writeSync. EAGAIN is the caller's to handle.
Napi::Value FileWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t offset = info[2].As<Napi::Number>().Uint32Value();
  std::string text;
  const char* data;
  size_t length;
  if (info[1].IsString()) {
    text = info[1].As<Napi::String>().Utf8Value();
    data = text.data();
    length = text.size();
  } else {
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    data = reinterpret_cast<const char*>(bytes.Data());
    length = bytes.ByteLength();
  }
  if (offset > length) offset = length;
  ssize_t n;
  do n = write(fd, data + offset, length - offset);
  while (n < 0 && errno == EINTR);
  return Napi::Number::New(env, n < 0 ? -errno : static_cast<double>(n));
}

// stat(path), lstat(path) (follow false) or fstat(fd) (a number instead of a path).
Napi::Value FileStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct stat st {};
  int r;
  if (info[0].IsNumber()) {
    r = fstat(info[0].As<Napi::Number>().Int32Value(), &st);
  } else {
    std::string path = PathArg(info, 0);
    if (HasNul(path)) return Failure(env, ENOENT);
    r = info[1].As<Napi::Boolean>().Value() ? stat(path.c_str(), &st) : lstat(path.c_str(), &st);
  }
  if (r < 0) return Failure(env, errno);
  return StatToJs(env, st);
}

// The entries of a directory but . and .., in the kernel's order, as [name, d_type, name, d_type, ...].
Napi::Value FileReaddir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  if (HasNul(path)) return Failure(env, ENOENT);
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Failure(env, errno);
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    close(fd);
    return Failure(env, err);
  }
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (;;) {
    errno = 0;
    struct dirent* d = readdir(dir);
    if (d == nullptr) break;
    if (d->d_name[0] == '.' && (d->d_name[1] == '\0' || (d->d_name[1] == '.' && d->d_name[2] == '\0'))) continue;
    out.Set(i++, Napi::String::New(env, d->d_name));
    out.Set(i++, Napi::Number::New(env, d->d_type));
  }
  int err = errno;
  closedir(dir);
  if (err != 0) return Failure(env, err);
  return out;
}

Napi::Value FileMkdir(const Napi::CallbackInfo& info) {
  mode_t mode = info[1].As<Napi::Number>().Uint32Value();
  return PathSyscall(info, [mode](const char* path) { return mkdir(path, mode); });
}

Napi::Value FileRmdir(const Napi::CallbackInfo& info) {
  return PathSyscall(info, [](const char* path) { return rmdir(path); });
}

Napi::Value FileUnlink(const Napi::CallbackInfo& info) {
  return PathSyscall(info, [](const char* path) { return unlink(path); });
}

Napi::Value FileRename(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string from = PathArg(info, 0);
  std::string to = PathArg(info, 1);
  if (HasNul(from) || HasNul(to)) return Failure(env, ENOENT);
  return Napi::Number::New(env, rename(from.c_str(), to.c_str()) < 0 ? -errno : 0);
}

Napi::Value FileReadlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  if (HasNul(path)) return Failure(env, ENOENT);
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  if (n < 0) return Failure(env, errno);
  return Napi::String::New(env, buf, static_cast<size_t>(n));
}

Napi::Value FileAccess(const Napi::CallbackInfo& info) {
  int mode = info[1].As<Napi::Number>().Int32Value();
  return PathSyscall(info, [mode](const char* path) { return access(path, mode); });
}

// read(fd, bytes + offset, length) → how many were read, as node's readSync(fd, buffer, offset, length, null):
// from the fd's offset, once. EAGAIN is the caller's to handle (a non-blocking stdin).
Napi::Value FileRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
  size_t offset = info[2].As<Napi::Number>().Uint32Value();
  size_t length = info[3].As<Napi::Number>().Uint32Value();
  if (offset > bytes.ByteLength()) offset = bytes.ByteLength();
  if (length > bytes.ByteLength() - offset) length = bytes.ByteLength() - offset;
  ssize_t n;
  do n = read(fd, bytes.Data() + offset, length);
  while (n < 0 && errno == EINTR);
  return Napi::Number::New(env, n < 0 ? -errno : static_cast<double>(n));
}

// realpath(3): the path with every symlink, '.' and '..' resolved, as node's realpathSync.native.
Napi::Value FileRealpath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  if (HasNul(path)) return Failure(env, ENOENT);
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) return Failure(env, errno);
  return Napi::String::New(env, resolved);
}

}  // namespace ocirt
