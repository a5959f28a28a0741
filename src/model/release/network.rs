//! Ingress-side inputs: nginx-derived annotations (reference §5.7) and domain slugs.

use std::collections::BTreeMap;

/// The nginx-derived Ingress annotations (reference §5.7).
pub(crate) fn nginx_annotations(
    app: &str,
    props: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let get = |k: &str, d: &str| -> String {
        props
            .get(k)
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| d.to_owned())
    };
    let digits = |v: String| -> String { v.chars().filter(char::is_ascii_digit).collect() };
    let page = "4k";
    let prefix = "nginx.ingress.kubernetes.io/";
    let mut a = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        a.insert(format!("{prefix}{k}"), v);
    };
    put("proxy-body-size", get("client-max-body-size", "1m"));
    put("proxy-buffer-size", get("proxy-buffer-size", page));
    put("proxy-buffering", get("proxy-buffering", "on"));
    let buffers = get("proxy-buffers", &format!("8 {page}"));
    let mut words = buffers.split_whitespace();
    put(
        "proxy-buffers-number",
        words.next().unwrap_or("8").to_owned(),
    );
    put(
        "proxy-buffers-size",
        words.next().unwrap_or(page).to_owned(),
    );
    put(
        "proxy-connect-timeout",
        digits(get("proxy-connect-timeout", "60s")),
    );
    put(
        "proxy-read-timeout",
        digits(get("proxy-read-timeout", "60s")),
    );
    put(
        "proxy-send-timeout",
        digits(get("proxy-send-timeout", "60s")),
    );
    let server_snippet = [
        format!(
            "access_log {};",
            get(
                "access-log-path",
                &format!("/var/log/nginx/{app}-access.log")
            )
        ),
        format!("client_body_timeout {};", get("client-body-timeout", "60s")),
        format!(
            "client_header_timeout {};",
            get("client-header-timeout", "60s")
        ),
        format!(
            "error_log {};",
            get("error-log-path", &format!("/var/log/nginx/{app}-error.log"))
        ),
        format!("keepalive_timeout {};", get("keepalive-timeout", "75s")),
        format!("lingering_timeout {};", get("lingering-timeout", "5s")),
        format!("send_timeout {};", get("send-timeout", "60s")),
        format!(
            "underscores_in_headers {};",
            get("underscore-in-headers", "off")
        ),
    ];
    put("server-snippet", server_snippet.join("\n"));
    let mut config = vec![format!(
        "proxy_busy_buffers_size {};",
        get("proxy-busy-buffers-size", "8k")
    )];
    if let Some(ssl) = props.get("x-forwarded-ssl").filter(|v| !v.is_empty()) {
        config.push(format!("proxy_set_header X-Forwarded-SSL {ssl};"));
    }
    put("configuration-snippet", config.join("\n"));
    a
}
