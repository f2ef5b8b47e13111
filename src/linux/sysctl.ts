/**
 * linux.sysctl → [path under /proc/sys, value] pairs for the init to write.
 * Which keys are allowed (only those of a namespace the container has of its
 * own) is checked with the config, in src/spec/semantic.ts.
 */
export function planSysctls (sysctl: Record<string, string> | undefined): Array<[string, string]> {
  // A dotted key maps dots to slashes; a key given with slashes is already a path (sysctl(8)).
  return Object.entries(sysctl ?? {}).map(([key, value]) => [key.includes('/') ? key : key.replace(/\./g, '/'), value])
}
