# shellcheck shell=bash
# The image registries of the real node (sourced by scripts/test-cluster): two CNCF distribution
# registries on 127.0.0.1 with filesystem storage in the work dir — `registry.berth.test` (open)
# and `private.berth.test` (htpasswd basic auth, for the pull-secret path) — and the test images
# pushed into them. containerd maps those names, and every other name (`_default`), to them, so no
# pull leaves this machine.

REGISTRY_PORT=$((PORT_BASE + 500))
PRIVATE_REGISTRY_PORT=$((PORT_BASE + 501))
REGISTRY_HOST=registry.berth.test
PRIVATE_REGISTRY_HOST=private.berth.test
PRIVATE_REGISTRY_USER=berth
# Test images (tags :1 and :2 differ only in TESTAPP_VERSION).
TESTAPP_IMAGES=(testapp:1 testapp:2 testapp-herokuish:1 testapp-cnb:1)

write_registry_config() { # NAME PORT [HTPASSWD]
  local name=$1 port=$2 htpasswd=${3:-} dir="$WORK/registry/$1"
  mkdir -p "$dir/data"
  {
    printf 'version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n'
    printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$dir/data"
    printf 'http:\n  addr: 127.0.0.1:%s\n  secret: %s\n' "$port" "$(openssl rand -hex 16)"
    if [ -n "$htpasswd" ]; then
      printf 'auth:\n  htpasswd:\n    realm: %s\n    path: %s\n' "$name" "$htpasswd"
    fi
  } >"$dir/config.yml"
}

start_registries() {
  mkdir -p "$WORK/registry"
  local images; images=$(images_dir)
  openssl rand -hex 12 >"$WORK/registry/private-password"
  "$images/htpasswd" "$PRIVATE_REGISTRY_USER" "$WORK/registry/private-password" >"$WORK/registry/htpasswd"
  write_registry_config open "$REGISTRY_PORT"
  write_registry_config private "$PRIVATE_REGISTRY_PORT" "$WORK/registry/htpasswd"
  start_component_env registry "OTEL_TRACES_EXPORTER=none" "$(registry_bin)" serve "$WORK/registry/open/config.yml"
  start_component_env registry-private "OTEL_TRACES_EXPORTER=none" "$(registry_bin)" serve "$WORK/registry/private/config.yml"
  wait_ready registry 30 "/v2/" curl -fsS "http://127.0.0.1:$REGISTRY_PORT/v2/"
  wait_ready registry-private 30 "/v2/ (401)" sh -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PRIVATE_REGISTRY_PORT/v2/)\" = 401 ]"
  push_test_images
}

# push_image REGISTRY-PORT REPO:TAG imgpush-args...
push_image() {
  local port=$1 image=$2; shift 2
  "$(images_dir)/imgpush" -registry "http://127.0.0.1:$port" -image "$image" "$@" >/dev/null
}

push_test_images() {
  local images; images=$(images_dir)
  local app="$images/testapp" busybox=/bin/busybox applet
  [ -x "$busybox" ] || die "$busybox is missing (Debian package busybox-static)"
  # A shell and the usual tools in every app image, for `run`, `enter` and Procfile commands.
  local tools=(-file "/bin/busybox=$busybox:0755")
  for applet in sh ls cat echo env sleep true false id ps grep printf touch rm; do
    tools+=(-link "/bin/$applet=busybox")
  done
  local v
  for v in 1 2; do
    push_image "$REGISTRY_PORT" "testapp:$v" -file "/usr/local/bin/testapp=$app:0755" "${tools[@]}" \
      -entrypoint /usr/local/bin/testapp -cmd web -env "TESTAPP_VERSION=$v"
  done
  # herokuish: no entrypoint; `/start <process>` and `/exec <command>`.
  push_image "$REGISTRY_PORT" testapp-herokuish:1 -file "/usr/local/bin/testapp=$app:0755" "${tools[@]}" \
    -file "/start=$app:0755" -file "/exec=$app:0755" -cmd /start -cmd web -env TESTAPP_VERSION=1 \
    -env BUILDER=herokuish
  # Cloud Native Buildpacks: `launcher <command>` on PATH (/cnb/lifecycle).
  push_image "$REGISTRY_PORT" testapp-cnb:1 -file "/usr/local/bin/testapp=$app:0755" "${tools[@]}" \
    -file "/cnb/lifecycle/launcher=$app:0755" -entrypoint /cnb/lifecycle/launcher -cmd testapp -cmd web \
    -env TESTAPP_VERSION=1 -env BUILDER=cnb
  # The private registry needs the password.
  push_image "$PRIVATE_REGISTRY_PORT" testapp:1 -user "$PRIVATE_REGISTRY_USER" \
    -password-file "$WORK/registry/private-password" -file "/usr/local/bin/testapp=$app:0755" "${tools[@]}" \
    -entrypoint /usr/local/bin/testapp -cmd web -env TESTAPP_VERSION=1
  # The pod sandbox image, pinned in containerd's config.
  push_image "$REGISTRY_PORT" pause:1 -file "/pause=$images/pause:0755" -entrypoint /pause
}

# containerd's hosts directory: every registry name goes to the loopback registries.
write_registry_hosts() {
  local dir=$1 name
  for name in "$REGISTRY_HOST" _default; do
    mkdir -p "$dir/$name"
    printf 'server = "http://127.0.0.1:%s"\n\n[host."http://127.0.0.1:%s"]\n  capabilities = ["pull", "resolve"]\n' \
      "$REGISTRY_PORT" "$REGISTRY_PORT" >"$dir/$name/hosts.toml"
  done
  mkdir -p "$dir/$PRIVATE_REGISTRY_HOST"
  printf 'server = "http://127.0.0.1:%s"\n\n[host."http://127.0.0.1:%s"]\n  capabilities = ["pull", "resolve"]\n' \
    "$PRIVATE_REGISTRY_PORT" "$PRIVATE_REGISTRY_PORT" >"$dir/$PRIVATE_REGISTRY_HOST/hosts.toml"
}
