# shellcheck shell=bash
# A real Traefik v3 as the local cluster's ingress (sourced by scripts/test-cluster): a host process
# on 127.0.0.1 with the kubernetesCRD provider (berth's IngressRoutes for the traefik class) and the
# kubernetesIngress provider (berth's Ingress objects for the nginx class: the IngressClass `nginx`
# is handed to Traefik's controller). It reads the cluster through the admin kubeconfig and sends
# requests straight to pod IPs on the real node's bridge. Requests carry the app's domain in Host.

INGRESS_HTTP_PORT=$((PORT_BASE + 80))
INGRESS_HTTPS_PORT=$((PORT_BASE + 444))

start_traefik() {
  mkdir -p "$WORK/traefik"
  cat >"$WORK/traefik/traefik.yaml" <<YAML
global:
  checkNewVersion: false
  sendAnonymousUsage: false
log:
  level: WARN
entryPoints:
  web:
    address: "127.0.0.1:$INGRESS_HTTP_PORT"
  websecure:
    address: "127.0.0.1:$INGRESS_HTTPS_PORT"
    http:
      tls: {}
providers:
  kubernetesCRD:
    allowCrossNamespace: true
  kubernetesIngress: {}
YAML
  local class
  for class in traefik nginx; do
    kctl apply -f - >/dev/null <<YAML
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: $class
spec:
  controller: traefik.io/ingress-controller
YAML
  done
  start_component_env traefik "KUBECONFIG=$KUBECONFIG_FILE" "$(traefik_bin)" "--configFile=$WORK/traefik/traefik.yaml"
  # 404 for an unknown Host once the entrypoint is up.
  wait_ready traefik 60 "entrypoint web on 127.0.0.1:$INGRESS_HTTP_PORT" sh -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$INGRESS_HTTP_PORT/)\" = 404 ]"
}
