#!/usr/bin/env bash
# make-client-image.sh [pause] [OUT.tar]: a busybox image as an OCI
# image-layout tar (image-spec v1.1 "image layout"), built locally from
# busybox-static because no registry is reachable; `ctr images import` and
# `podman load` read it. With `pause`: the pod sandbox ("pause") image the CRI
# tests give containerd's sandbox_image, whose only file is Debian's static
# catatonit, run as `catatonit -P` (pause mode: it sleeps, reaps the pod's
# orphans as pid 1 of a shared pid namespace, and exits on SIGTERM/SIGINT).
#
# Reproducible: every file has mtime 0, owner 0:0 and a fixed mode, entries
# are sorted, gzip stores no name or time, so the same busybox gives the same
# digests. The tar is cached: rebuilt only if busybox (or this script) changed.
# Prints the path of the tar.
#
# Beside it, OUT with .docker-archive.tar for .tar: the same blobs as a
# docker-archive (a manifest.json naming the config and layer files), which
# is what `docker load` of docker 20.10 reads; it does not read an OCI layout.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
kind=busybox
if [ "${1:-}" = pause ]; then kind=pause; shift; fi
busybox=${BUSYBOX:-/bin/busybox}
catatonit=${CATATONIT:-/usr/bin/catatonit}
if [ "$kind" = pause ]; then
  out=${1:-$repo/.cache/clients/pause-oci.tar}
  name=localhost/ocirt-pause:latest
  content=$catatonit
else
  out=${1:-${OCIRT_CLIENT_IMAGE:-$repo/.cache/clients/busybox-oci.tar}}
  # The name both clients give the image: ctr reads io.containerd.image.name,
  # podman org.opencontainers.image.ref.name.
  name=localhost/ocirt-busybox:latest
  content=$busybox
fi

docker_out=${out%.tar}.docker-archive.tar

key=$(cat "$content" "$0" | sha256sum | cut -c1-64)
if [ -f "$out" ] && [ -f "$docker_out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then echo "$out"; exit 0; fi

mkdir -p "$(dirname "$out")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
if [ "$kind" = pause ]; then
  mkdir -p "$root"/{proc,sys,dev}
  cp "$catatonit" "$root/pause"
  chmod 755 "$root" "$root"/{proc,sys,dev} "$root/pause"
  image_config='"Entrypoint":["/pause","-P"],"WorkingDir":"/"'
else
mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp,root,home/user,var/tmp}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
# uid 1000 "user" for the --user and exec-as-another-user workloads.
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\nnobody:x:65534:\n' > "$root/etc/group"
chmod 755 "$root" "$root"/{bin,etc,proc,sys,dev,root,home} && chmod 1777 "$root/tmp" "$root/var/tmp"
chown -R 1000:1000 "$root/home/user" && chmod 755 "$root/home/user"
image_config='"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"'
fi

blobs=$work/layout/blobs/sha256
mkdir -p "$blobs"
# A blob named by its digest; prints "sha256:<hex> <size>".
put_blob () {
  local digest size
  digest=$(sha256sum "$1" | cut -c1-64)
  size=$(stat -c %s "$1")
  mv "$1" "$blobs/$digest"
  echo "sha256:$digest $size"
}

# Owners as made above (root, and 1000 for home/user): we run as root.
tar --sort=name --mtime=@0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$root" -cf "$work/layer.tar" .
diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -c1-64)
gzip -n -9 < "$work/layer.tar" > "$work/layer.tar.gz"
read -r layer_digest layer_size < <(put_blob "$work/layer.tar.gz")

printf '{"architecture":"amd64","os":"linux","config":{%s},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created_by":"scripts/make-client-image.sh (%s)"}]}' \
  "$image_config" "$diff_id" "$kind" > "$work/config.json"
read -r config_digest config_size < <(put_blob "$work/config.json")

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" > "$work/manifest.json"
read -r manifest_digest manifest_size < <(put_blob "$work/manifest.json")

printf '{"imageLayoutVersion":"1.0.0"}' > "$work/layout/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest_digest" "$manifest_size" "$name" "$name" > "$work/layout/index.json"

tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$work/layout" -cf "$out.tmp" .

# docker-archive: manifest.json beside the blobs; docker load takes gzip layers.
mkdir "$work/docker"
printf '[{"Config":"blobs/sha256/%s","RepoTags":["%s"],"Layers":["blobs/sha256/%s"]}]' \
  "${config_digest#sha256:}" "$name" "${layer_digest#sha256:}" > "$work/docker/manifest.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -cf "$docker_out.tmp" -C "$work/docker" manifest.json -C "$work/layout" blobs
mv "$docker_out.tmp" "$docker_out"
mv "$out.tmp" "$out"
echo "$key" > "$out.key"
echo "$out"
