{
  "targets": [
    {
      "target_name": "ocirt",
      "sources": [
        "native/addon.cc",
        "native/process.cc",
        "native/napi_error.cc",
        "native/parent.cc",
        "native/exec_stage.cc",
        "native/sync_protocol.cc",
        "native/sys.cc",
        "native/idmap.cc",
        "native/marshal.cc",
        "native/hook.cc",
        "native/hook_child.cc",
        "native/child_steps.cc",
        "native/seccomp.cc",
        "native/unix_socket.cc",
        "native/fd_passing.cc",
        "native/bpf.cc",
        "native/preserved_fds.cc",
        "native/plan_wire.cc",
        "native/stage_image.cc",
        "native/hook_pump.cc",
        "native/file_io.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++20", "-O2", "-Wall", "-Wextra", "-Werror", "-fno-strict-aliasing", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2"],
      # libstdc++ and libgcc linked in, their symbols hidden (issue 11, docs/performance.md "Start-up"):
      # with the shared libstdc++, the dynamic linker's symbol lookups and relocations made loading the
      # addon cost 2.67 M instructions on every kill, start and delete; linked in, it costs 0.45 M.
      "ldflags": ["-static-libstdc++", "-static-libgcc", "-Wl,--exclude-libs,ALL", "-Wl,-z,relro,-z,now"],
      "libraries": ["-lseccomp"]
    },
    {
      "target_name": "ocirt-stage",
      "type": "executable",
      "sources": [
        "native/stage_main.cc",
        "native/child.cc",
        "native/child_steps.cc",
        "native/rootfs.cc",
        "native/console.cc",
        "native/identity.cc",
        "native/exec.cc",
        "native/start_hooks.cc",
        "native/sync_protocol.cc",
        "native/sys.cc",
        "native/plan_wire.cc",
        "native/hook_pump.cc",
        "native/fd_passing.cc"
      ],
      # Stripped, and without the sections nothing calls (the plan encoder, for one): every create
      # copies the stage into a sealed memfd (native/stage_image.cc), and that copy costs in
      # proportion to its size (issue 11, docs/performance.md "The init's syscalls").
      "cflags_cc": ["-fno-exceptions", "-std=c++20", "-O2", "-Wall", "-Wextra", "-Werror", "-fno-strict-aliasing", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2", "-ffunction-sections", "-fdata-sections"],
      "ldflags": ["-static", "-Wl,-z,relro,-z,now", "-Wl,--gc-sections", "-s"]
    }
  ]
}
