/** Printed by --version, in runc's layout (podman reads the first line). */
export const OCIRT_VERSION = '0.1.0'
export const SPEC_VERSION = '1.3.0'
