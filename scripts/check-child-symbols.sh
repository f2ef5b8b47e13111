#!/usr/bin/env bash
# The child calls no allocator and throws nothing (docs/design.md "Native").
# After clone3 the child of ocirt (and the init the stage clones) runs with
# raw syscalls and the plan only: a copy of one thread of a multi-threaded
# process must not take the allocator's locks, and an exception there would
# unwind into code that is not running. The child's code sits in objects of
# its own, so this is checkable: `nm -u` on each of them must name none of
# the symbols below. Needs a build (npm run build:native); fails naming each
# object and symbol.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/Release/obj.target}

# Child objects of ocirt.node: ocirt's own cloned child (exec_stage), the
# runtime hooks' child (hook_child) and what they call.
addon_child=(exec_stage hook_child child_steps sync_protocol sys fd_passing)
# Objects of the stage that run before it clones the init, and may allocate:
# it is a fresh single-threaded process while it decodes the plan. Every
# other object of the stage is child code and is checked.
stage_parent=(stage_main plan_wire)
# Allowed here despite the patterns below, with the reason: none today.
allowed=()

# Mangled names (nm without -C): the C allocator and the libc calls that
# allocate behind it, operator new/delete, the exception runtime (throw,
# catch, unwinding through a frame), the std::__throw_* helpers that
# std::string and std::vector operations call, and those classes' own
# out-of-line members.
forbidden='^(malloc|calloc|realloc|reallocarray|free|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|strdup|strndup|asprintf|vasprintf|opendir|fdopendir|fopen|fdopen|getpwnam|getpwuid|getgrnam|getgrgid|_Zn[wa].*|_Zd[la].*|__cxa_allocate_exception|__cxa_throw|__cxa_rethrow|__cxa_begin_catch|__gxx_personality_v0|_Unwind_Resume|_ZSt[0-9]+__throw_.*|_ZNSt7__cxx1112basic_string.*|_ZNSs.*|_ZNSt6vector.*|_ZNSt3__1.*)$'

objects=()
for name in "${addon_child[@]}"; do objects+=("$build/ocirt/native/$name.o"); done
for object in "$build"/ocirt-stage/native/*.o; do
  name=$(basename "$object" .o)
  [[ " ${stage_parent[*]} " == *" $name "* ]] || objects+=("$object")
done

status=0
for object in "${objects[@]}"; do
  if [ ! -f "$object" ]; then
    echo "check-child-symbols: $object is missing (run npm run build:native first)" >&2
    status=1
    continue
  fi
  while read -r symbol; do
    [[ " ${allowed[*]} " == *" $symbol "* ]] && continue
    echo "check-child-symbols: $object (child code) uses $symbol ($(echo "$symbol" | c++filt))" >&2
    status=1
  done < <(nm -u --format=just-symbols "$object" | grep -E "$forbidden" || true)
done
[ $status -eq 0 ] && echo "check-child-symbols: ${#objects[@]} child objects call no allocator and throw nothing"
exit $status
