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

// The visitors of every plan struct (VisitStruct: every field once, in one
// order, for both directions), generated from scripts/wire/plan-definition.mjs
// by scripts/build-wire.mjs.
#include "generated/plan_visit.inc"

template <typename Io>
void VisitPlan(Io& io, InitPlan& p, StageFds& fds) {
  uint32_t magic = kMagic;
  io.Raw(magic);
  if (magic != kMagic) io.ok = false;
  io.Raw(fds);
  VisitInitPlan(io, p);
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
