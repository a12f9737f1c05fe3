#!/usr/bin/env bash
# Installs and configures podman to build and run the pipeline image on this project's machines (and in CI, as
# root): Debian's podman, runc and mmdebstrap, with the settings these machines need (no systemd, no overlay
# support in the kernel's nested setup): runc as the OCI runtime, cgroupfs as the cgroup manager, bounded
# ulimits, and the vfs storage driver. Idempotent: running it again changes nothing.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/setup-podman.sh: run as root (it installs packages and writes /etc/containers/)" >&2
  exit 2
fi

missing=()
for tool in podman runc mmdebstrap; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends podman runc mmdebstrap >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends podman runc mmdebstrap >/dev/null; }
fi

mkdir -p /etc/containers
write_if_changed() {  # FILE CONTENT
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
    printf '%s\n' "$2" > "$1"
    echo "wrote $1"
  fi
}
write_if_changed /etc/containers/containers.conf '# kratix-lab (scripts/setup-podman.sh)
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
write_if_changed /etc/containers/storage.conf '# kratix-lab (scripts/setup-podman.sh)
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"'
if [ ! -f /etc/containers/policy.json ]; then
  write_if_changed /etc/containers/policy.json '{"default": [{"type": "insecureAcceptAnything"}]}'
fi

podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' >/dev/null
echo "podman ready: $(podman --version), runtime runc, storage vfs"
