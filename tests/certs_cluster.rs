//! Imported certificates against the real control plane: `certs:add` makes Secret `tls-<app>`
//! (type `kubernetes.io/tls`, the files' bytes) and the deploy's Ingress serves it instead of
//! the letsencrypt Certificate; `certs:remove` prunes it and letsencrypt takes over again;
//! `apps:destroy` leaves no Secret behind. Bad pairs are refused before anything is stored.

mod support;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use support::{BerthEnv, TestNamespace, client, fail, ok};

fn self_signed(names: &[&str], expired: bool) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

async fn ingress_tls_secret(client: &kube::Client, ns: &str, app: &str) -> Vec<String> {
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), ns);
    let list = ingresses
        .list(&kube::api::ListParams::default().labels(&format!("app.kubernetes.io/part-of={app}")))
        .await
        .unwrap();
    let mut names: Vec<String> = list
        .items
        .iter()
        .flat_map(|i| i.spec.clone().unwrap().tls.unwrap_or_default())
        .filter_map(|t| t.secret_name)
        .collect();
    names.sort();
    names.dedup();
    names
}

async fn certificate_exists(client: &kube::Client, ns: &str, name: &str) -> bool {
    let ar = ApiResource {
        group: "cert-manager.io".into(),
        version: "v1".into(),
        api_version: "cert-manager.io/v1".into(),
        kind: "Certificate".into(),
        plural: "certificates".into(),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
    api.get_opt(name).await.unwrap().is_some()
}

#[tokio::test]
async fn imported_certificate_replaces_letsencrypt_and_is_removed_with_the_app() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "certs").await;
    let n = ns.name().to_owned();
    let app = "sec";
    let env = BerthEnv::new();
    env.use_test_cluster();
    ok(&env, &["apps:create", app]);
    ok(&env, &["scheduler-k3s:set", app, "namespace", &n]);
    ok(&env, &["domains:set", app, "secure.example.com"]);
    ok(
        &env,
        &[
            "scheduler-k3s:set",
            app,
            "letsencrypt-email-prod",
            "ops@example.com",
        ],
    );
    ok(
        &env,
        &["deploy", app, "--image", "registry.example.com/sec:1", "-q"],
    );
    assert_eq!(
        ingress_tls_secret(&client, &n, app).await,
        vec!["tls-sec-web"]
    );
    assert!(certificate_exists(&client, &n, "sec-web").await);

    // A bad pair is refused before anything is stored or applied.
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let (crt, key) = self_signed(&["secure.example.com"], false);
    let (_, other_key) = self_signed(&["other.example.com"], false);
    let (old_crt, old_key) = self_signed(&["secure.example.com"], true);
    let crt_path = write("server.crt", &crt);
    let key_path = write("server.key", &key);
    let before = env.state_hash();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &n);
    for (c, k, want) in [
        (
            crt_path.clone(),
            write("other.key", &other_key),
            "Invalid key: it does not match the certificate",
        ),
        (
            write("old.crt", &old_crt),
            write("old.key", &old_key),
            "Invalid certificate: it expired at 2021-01-01T00:00:00Z",
        ),
        (
            write("junk.crt", "hello"),
            key_path.clone(),
            "Invalid certificate: no PEM CERTIFICATE block",
        ),
        (
            crt_path.clone(),
            write("junk.key", "hello"),
            "Invalid key: no PEM private key block",
        ),
    ] {
        let (code, msg) = fail(&env, &["certs:add", app, &c, &k]);
        let msg = msg.trim().trim_start_matches("!").trim();
        assert_eq!(code, 1);
        assert!(msg.starts_with(want), "{msg}");
        let key_body = key.lines().nth(1).unwrap();
        assert!(!msg.contains(key_body), "key material printed: {msg}");
    }
    assert_eq!(env.state_hash(), before, "a refused pair changed the state");
    assert!(secrets.get_opt("tls-sec").await.unwrap().is_none());

    // certs:add redeploys: Secret tls-sec holds the files and the Ingress serves it.
    let out = ok(&env, &["certs:add", app, &crt_path, &key_path]);
    assert!(!out.contains("PRIVATE KEY"), "{out}");
    let secret = secrets.get("tls-sec").await.expect("Secret tls-sec");
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
    let data = secret.data.unwrap();
    assert_eq!(data["tls.crt"].0, crt.as_bytes());
    assert_eq!(data["tls.key"].0, key.as_bytes());
    let labels = secret.metadata.labels.unwrap();
    assert_eq!(labels["dokku.com/cert-source"], "imported");
    assert_eq!(labels["app.kubernetes.io/part-of"], app);
    assert_eq!(ingress_tls_secret(&client, &n, app).await, vec!["tls-sec"]);
    assert!(
        !certificate_exists(&client, &n, "sec-web").await,
        "letsencrypt Certificate kept"
    );
    let report = ok(&env, &["certs:report", app, "--ssl-hostnames"]);
    assert_eq!(report.trim(), "secure.example.com");
    assert_eq!(
        ok(&env, &["certs:report", app, "--ssl-verified"]).trim(),
        "self signed"
    );

    // certs:remove prunes the Secret; letsencrypt takes over again.
    ok(&env, &["certs:remove", app]);
    assert!(
        secrets.get_opt("tls-sec").await.unwrap().is_none(),
        "tls-sec not pruned"
    );
    assert_eq!(
        ingress_tls_secret(&client, &n, app).await,
        vec!["tls-sec-web"]
    );
    assert!(certificate_exists(&client, &n, "sec-web").await);
    assert_eq!(
        fail(&env, &["certs:remove", app]).1,
        " !     An app-specific SSL endpoint is not defined\n"
    );

    // apps:destroy takes the Secret with it.
    ok(&env, &["certs:add", app, &crt_path, &key_path]);
    assert!(secrets.get_opt("tls-sec").await.unwrap().is_some());
    ok(&env, &["apps:destroy", app, "--force"]);
    assert!(
        secrets.get_opt("tls-sec").await.unwrap().is_none(),
        "tls-sec left behind"
    );
    ns.cleanup().await;
}
