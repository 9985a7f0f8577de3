#!/usr/bin/env bash
# Start what the tests need from outside Node: a Docker engine (Debian's docker.io, started by
# hand: no systemd here, and the init script fails on ulimit) and two local registries
# (127.0.0.1:5000 open, 127.0.0.1:5001 with htpasswd auth), plus a busybox base image since
# nothing can be pulled (recipe: shared/reference/containers.md §5), and a Debian 12 image with
# Debian's CPU PyTorch for the real training tests (containers.md §9).
#
#   source .ci/services.sh   # start (idempotent) and export PIXI_CONDOR_TEST_* variables
#   ci_services_stop         # stop what this script started, each by its PID
#
# Needs root. Installs its apt packages when missing.
set -uo pipefail

CI_WORK=${CI_WORK:-/tmp/pixi-condor-ci}
mkdir -p "$CI_WORK"

ci_services_install() {
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
  [ -x /bin/busybox ] || need+=(busybox-static)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  # build-image --sif writes the SIF's squashfs with sqfstar; the SIF tests read it back with
  # unsquashfs and cross-check the container with siftool (sylabs' own reader).
  command -v sqfstar >/dev/null 2>&1 || need+=(squashfs-tools)
  command -v siftool >/dev/null 2>&1 || need+=(siftool)
  # results --html's report is opened in a real headless browser (test/results-view/).
  command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-dejavu-core)
  if [ ${#need[@]} -gt 0 ]; then
    echo "ci: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
}

ci_services_start() {
  ci_services_install || return 1
  # (a) the engine, without a bridge or iptables rules (no private network on this machine)
  if ! docker version >/dev/null 2>&1; then
    # A daemon killed without its shutdown (a session that ended hard) leaves pid files that
    # make the next dockerd refuse to start: drop them when their process is gone.
    local pidfile
    for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
      if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then rm -f "$pidfile"; fi
    done
    dockerd --iptables=false --ip6tables=false --bridge=none >"$CI_WORK/dockerd.log" 2>&1 &
    echo $! >"$CI_WORK/dockerd.pid"
    for _ in $(seq 1 150); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
    docker version >/dev/null 2>&1 || { echo "ci: dockerd did not start:"; tail -20 "$CI_WORK/dockerd.log"; return 1; }
  fi
  # (b) registries
  htpasswd -Bbn ciuser cipass >"$CI_WORK/htpasswd"
  local kind port
  for kind in open auth; do
    port=5000; [ $kind = auth ] && port=5001
    if curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then continue; fi
    {
      echo "version: 0.1"; echo "log: {level: warn}"
      echo "storage:"; echo "  filesystem: {rootdirectory: $CI_WORK/registry-$kind}"
      echo "  delete: {enabled: true}"
      echo "http: {addr: 127.0.0.1:$port}"
      if [ $kind = auth ]; then echo "auth:"; echo "  htpasswd: {realm: ci-realm, path: $CI_WORK/htpasswd}"; fi
    } >"$CI_WORK/registry-$kind.yml"
    docker-registry serve "$CI_WORK/registry-$kind.yml" >"$CI_WORK/registry-$kind.log" 2>&1 &
    echo $! >"$CI_WORK/registry-$kind.pid"
  done
  local code
  for port in 5000 5001; do
    for _ in $(seq 1 50); do
      code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
      { [ "$code" = 200 ] || [ "$code" = 401 ]; } && break
      sleep 0.1
    done
  done
  # (c) a local busybox base image (nothing can be pulled)
  if ! docker image inspect localhost/ci-busybox:latest >/dev/null 2>&1; then
    local ctx="$CI_WORK/busybox"; mkdir -p "$ctx"; cp /bin/busybox "$ctx/"
    printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n' >"$ctx/Dockerfile"
    docker build -q -t localhost/ci-busybox:latest "$ctx" >/dev/null 2>&1 || { echo "ci: busybox base image failed"; return 1; }
  fi
  # (d) Debian's PyTorch (CPU) from scratch: the job's real training tests run in it
  ci_services_torch_image || return 1
  export PIXI_CONDOR_TEST_DOCKER=1
  export PIXI_CONDOR_TEST_REGISTRY=127.0.0.1:5000
  export PIXI_CONDOR_TEST_AUTH_REGISTRY=127.0.0.1:5001
  export PIXI_CONDOR_TEST_AUTH_USER=ciuser
  export PIXI_CONDOR_TEST_AUTH_PASSWORD=cipass
  export PIXI_CONDOR_TEST_BUSYBOX=localhost/ci-busybox:latest
  export PIXI_CONDOR_TEST_REGISTRY_CONFIG_DIR=$CI_WORK
  echo "ci: dockerd and registries up (127.0.0.1:5000 open, 127.0.0.1:5001 auth)"
}

# Debian 12 with python3-torch 1.13.1 and python3-torchvision 0.14.1, made with mmdebstrap and
# `docker import` because nothing can be pulled (about 60 s + 10 s on a fresh machine with a
# fast mirror; 14 min seen on a busy one, mostly downloads). The tarball lives in $CI_WORK, never
# in the repository, and is removed once imported. A failed build fails CI loudly: the
# real-PyTorch run is part of what CI proves.
# Cached across CI runs on one machine: the image itself while its recipe label matches the
# recipe below (a changed recipe rebuilds it), and the .deb files mmdebstrap downloaded, in
# $CI_APT_CACHE (synced into the chroot's apt cache before, out after: mmdebstrap's own recipe,
# man mmdebstrap, "sync-in"), so a rebuild downloads only what changed in the archive.
CI_TORCH_IMAGE=${CI_TORCH_IMAGE:-localhost/debian-torch:bookworm}
CI_APT_CACHE=${CI_APT_CACHE:-/var/cache/pixi-condor-ci/debian-torch-debs}
CI_TORCH_PACKAGES=python3-torch,python3-torchvision,python-is-python3
CI_TORCH_RECIPE="mmdebstrap --variant=apt --include=$CI_TORCH_PACKAGES bookworm"
ci_services_torch_recipe_id() { printf '%s' "$CI_TORCH_RECIPE" | sha256sum | cut -c1-16; }
# Add the recipe label to the image in place (docker commit of a created, never started container: no pull, no build).
ci_services_torch_label() {
  local cid ok=0
  cid=$(docker create "$CI_TORCH_IMAGE" true 2>/dev/null) || return 1
  docker commit --change "LABEL org.pixi-condor.recipe=$1" "$cid" "$CI_TORCH_IMAGE" >/dev/null 2>&1 || ok=1
  docker rm "$cid" >/dev/null 2>&1
  return $ok
}
ci_services_torch_image() {
  local recipe have
  recipe=$(ci_services_torch_recipe_id)
  have=$(docker image inspect -f '{{index .Config.Labels "org.pixi-condor.recipe"}}' "$CI_TORCH_IMAGE" 2>/dev/null || true)
  if [ "$have" = "$recipe" ]; then
    echo "ci: $CI_TORCH_IMAGE present and current (recipe $recipe), not rebuilt"
  elif [ -z "$have" ] && docker image inspect "$CI_TORCH_IMAGE" >/dev/null 2>&1 && ci_services_torch_label "$recipe"; then
    # Made before the label existed, by this same recipe (unchanged since c2159d7): labelled, not rebuilt.
    echo "ci: $CI_TORCH_IMAGE present (made before recipe labels), labelled with recipe $recipe, not rebuilt"
  else
    [ -n "$have" ] && echo "ci: $CI_TORCH_IMAGE was made by another recipe ($have): rebuilding it"
    local tarball="$CI_WORK/debian-torch-$$.tar" log="$CI_WORK/debian-torch.log" started=$SECONDS
    if ! command -v mmdebstrap >/dev/null 2>&1; then
      echo "ci: installing mmdebstrap"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >"$log" 2>&1 ||
        { apt-get update -qq >>"$log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >>"$log" 2>&1; } ||
        { echo "ci: could not install mmdebstrap:"; tail -25 "$log"; return 1; }
    fi
    mkdir -p "$CI_APT_CACHE"
    echo "ci: building $CI_TORCH_IMAGE with mmdebstrap ($(find "$CI_APT_CACHE" -name '*.deb' | wc -l) packages cached in $CI_APT_CACHE)"
    rm -f "$tarball"
    # essential/unlink: keep the essential packages' .debs too, so sync-out saves them.
    if ! timeout 1800 mmdebstrap --variant=apt --mode=root --include="$CI_TORCH_PACKAGES" \
      --skip=essential/unlink \
      --setup-hook="mkdir -p \"\$1\"/var/cache/apt/archives/" \
      --setup-hook="sync-in $CI_APT_CACHE /var/cache/apt/archives/" \
      --customize-hook="sync-out /var/cache/apt/archives $CI_APT_CACHE" \
      bookworm "$tarball" >"$log" 2>&1; then
      echo "ci: mmdebstrap failed building $CI_TORCH_IMAGE; the last lines of $log:"
      tail -25 "$log"
      rm -f "$tarball"
      return 1
    fi
    if ! docker import --change "LABEL org.pixi-condor.recipe=$recipe" "$tarball" "$CI_TORCH_IMAGE" >>"$log" 2>&1; then
      echo "ci: docker import of $tarball failed; the last lines of $log:"
      tail -25 "$log"
      rm -f "$tarball"
      return 1
    fi
    rm -f "$tarball"
    echo "ci: built $CI_TORCH_IMAGE in $((SECONDS - started)) s"
  fi
  export PIXI_CONDOR_TEST_TORCH_IMAGE=$CI_TORCH_IMAGE
}

ci_services_stop() {
  local f pid
  for f in registry-open registry-auth dockerd; do
    if [ -f "$CI_WORK/$f.pid" ]; then
      pid=$(cat "$CI_WORK/$f.pid")
      kill "$pid" 2>/dev/null || true
      # Wait (bounded) for a clean shutdown, so no pid file or mount is left for the next start.
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$CI_WORK/$f.pid"
    fi
  done
  umount /var/run/docker/netns/default 2>/dev/null || true
}

ci_services_start
