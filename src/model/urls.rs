//! `url` / `urls`: the addresses an app answers on, Dokku's way (domains × the http/https port
//! mappings; port 80 and https on 443 are left out of the URL; https only when TLS is on).

use super::domain::Domain;
use super::ports::PortMapping;

/// Every URL of an app, sorted and without duplicates. `tls` is whether its ingress serves
/// TLS (an imported certificate, letsencrypt or a named issuer); the k3s ingress then answers
/// https on 443 whatever the mappings say.
pub fn app_urls(domains: &[Domain], ports: &[PortMapping], tls: bool) -> Vec<String> {
    let ports: Vec<PortMapping> = if ports.is_empty() {
        vec![PortMapping::DEFAULT]
    } else {
        ports.to_vec()
    };
    let mut urls = Vec::new();
    for domain in domains {
        let host = domain.to_string();
        for p in &ports {
            let scheme = p.scheme.to_string();
            if scheme != "http" && scheme != "https" {
                continue;
            }
            if scheme == "https" && !tls {
                continue;
            }
            urls.push(url(&scheme, &host, p.host_port));
        }
        if tls {
            urls.push(url("https", &host, 443));
        }
    }
    urls.sort();
    urls.dedup();
    urls
}

/// `url`: the first URL of the default scheme (https with TLS, else http).
pub fn first_url(urls: &[String], tls: bool) -> Option<&String> {
    let scheme = if tls { "https://" } else { "http://" };
    urls.iter().find(|u| u.starts_with(scheme)).or(urls.first())
}

fn url(scheme: &str, host: &str, port: u16) -> String {
    match (scheme, port) {
        (_, 80) => format!("http://{host}"),
        ("https", 443) => format!("https://{host}"),
        _ => format!("{scheme}://{host}:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Domain {
        s.parse().unwrap()
    }
    fn p(s: &str) -> PortMapping {
        s.parse().unwrap()
    }

    #[test]
    fn dokku_forms() {
        let domains = [d("b.example.com"), d("a.example.com")];
        assert_eq!(
            app_urls(&domains, &[], false),
            vec!["http://a.example.com", "http://b.example.com"]
        );
        let ports = [p("http:80:5000"), p("http:8080:5000"), p("https:443:5000")];
        let urls = app_urls(&domains[..1], &ports, false);
        assert_eq!(
            urls,
            vec!["http://b.example.com", "http://b.example.com:8080"]
        );
        let urls = app_urls(&domains[..1], &ports, true);
        assert_eq!(
            urls,
            vec![
                "http://b.example.com",
                "http://b.example.com:8080",
                "https://b.example.com"
            ]
        );
        assert_eq!(first_url(&urls, true).unwrap(), "https://b.example.com");
        assert_eq!(first_url(&urls, false).unwrap(), "http://b.example.com");
    }
}
