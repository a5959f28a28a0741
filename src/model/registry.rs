//! Registry settings (`registry:*`): properties and stored logins.

use std::collections::BTreeMap;

use super::error::{InvalidValue, Valid, q};

/// `registry:set` properties: (name, default, description), in Dokku's order.
pub const REGISTRY_PROPERTIES: [(&str, &str, &str); 5] = [
    (
        "image-repo",
        "",
        "Repository the app image is pushed to (default: image-repo-template, else the app name)",
    ),
    (
        "image-repo-template",
        "",
        "Template for the image repo of apps without one: {{ .AppName }} is the app name",
    ),
    (
        "push-extra-tags",
        "",
        "Extra tags pushed with each release, comma-separated",
    ),
    (
        "push-on-release",
        "false",
        "Push the image to the registry on release: true or false",
    ),
    (
        "server",
        "",
        "Registry host[:port] images are pushed to and pulled from",
    ),
];

/// Properties Dokku's registry plugin takes only per app.
pub const REGISTRY_APP_ONLY: [&str; 1] = ["image-repo"];

/// The unknown-property message, listing the valid ones.
pub fn invalid_registry_property(name: &str) -> InvalidValue {
    super::error::invalid_property(&REGISTRY_PROPERTIES.map(|p| p.0), name)
}

/// Validate a registry property value; returns the stored form.
pub fn validate_registry_property(name: &str, value: &str) -> Valid<String> {
    match name {
        "server" => validate_registry_server(value).map(|_| value.to_owned()),
        "image-repo" => validate_image_repo(value).map(|_| value.to_owned()),
        "image-repo-template" => {
            // Checked as it will be used: rendered for a sample app, it must be a repository.
            let sample = render_image_repo_template(value, "my-app")?;
            validate_image_repo(&sample).map_err(|_| {
                InvalidValue(format!(
                    "Invalid image-repo-template {}: it must render to lowercase path components such as team/{{{{ .AppName }}}} (got {} for app my-app)",
                    q(value),
                    q(&sample)
                ))
            })?;
            Ok(value.to_owned())
        }
        "push-extra-tags" => {
            for tag in value.split(',') {
                validate_image_tag(tag.trim())?;
            }
            Ok(value.to_owned())
        }
        "push-on-release" => match value {
            "true" | "false" => Ok(value.to_owned()),
            _ => Err(InvalidValue(format!(
                "Invalid push-on-release {}: valid values are true and false",
                q(value)
            ))),
        },
        _ => Err(invalid_registry_property(name)),
    }
}

/// Dokku renders `image-repo-template` as a Go template with one field, `.AppName`. berth
/// substitutes that field (`{{ .AppName }}`, `{{.AppName}}`, with any spacing) and refuses any
/// other action rather than render it differently.
pub fn render_image_repo_template(template: &str, app: &str) -> Valid<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(InvalidValue(format!(
                "Invalid image-repo-template {}: unclosed {{{{",
                q(template)
            )));
        };
        let action = after[..close].trim();
        if action != ".AppName" {
            return Err(InvalidValue(format!(
                "Invalid image-repo-template {}: only {{{{ .AppName }}}} is supported, not {}",
                q(template),
                q(&format!("{{{{{}}}}}", &after[..close]))
            )));
        }
        out.push_str(app);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out.trim().to_owned())
}

/// A Docker image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn validate_image_tag(tag: &str) -> Valid<()> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && (tag.as_bytes()[0].is_ascii_alphanumeric() || tag.as_bytes()[0] == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(InvalidValue(format!(
            "Invalid push-extra-tags entry {}: a tag is 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
            q(tag)
        )))
    }
}

/// The rows of `registry:report` for an app (`app` is `Some`) or `--global`, from the stored
/// properties (`get(scope_is_app, name)`), in Dokku's keys: `<name>`, `global-<name>`,
/// `computed-<name>` where Dokku has them, plus `tag-version` for an app.
pub fn report_rows(app: Option<&str>, get: impl Fn(bool, &str) -> String) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for (name, default, _) in REGISTRY_PROPERTIES {
        let global = if REGISTRY_APP_ONLY.contains(&name) {
            None
        } else {
            Some(get(false, name))
        };
        let own = app.map(|_| get(true, name));
        let first_set = [own.as_deref(), global.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .find(|v| !v.is_empty())
            .map(str::to_owned);
        let computed = match (name, app) {
            ("image-repo", Some(a)) => first_set.unwrap_or_else(|| {
                let template = get(true, "image-repo-template");
                let template = if template.trim().is_empty() {
                    get(false, "image-repo-template")
                } else {
                    template
                };
                render_image_repo_template(&template, a)
                    .ok()
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| a.to_owned())
            }),
            ("image-repo", None) => continue,
            ("server", _) => dokku_computed_server(first_set.as_deref().unwrap_or_default()),
            _ => first_set.unwrap_or_else(|| default.to_owned()),
        };
        if let Some(own) = own {
            rows.push((name.to_owned(), own));
        }
        if let Some(global) = global {
            rows.push((format!("global-{name}"), global));
        }
        rows.push((format!("computed-{name}"), computed));
    }
    if app.is_some() {
        rows.push(("tag-version".to_owned(), get(true, "tag-version")));
    }
    rows
}

/// Dokku's computed server is the image-name prefix: `ghcr.io/` (with the slash), and empty for
/// Docker Hub (`docker.io`, `hub.docker.com`) or no server.
pub fn dokku_computed_server(server: &str) -> String {
    let server = server.trim().trim_end_matches('/');
    match server {
        "" | "docker.io" | "hub.docker.com" => String::new(),
        s => format!("{s}/"),
    }
}

/// A registry host: `host[:port]` with DNS labels (or `localhost`), optionally a path-free URL
/// scheme-less form such as `ghcr.io` or `registry.example.com:5000`.
pub fn validate_registry_server(s: &str) -> Valid<()> {
    let err = || {
        InvalidValue(format!(
            "Invalid registry server {}: use host[:port] such as ghcr.io or registry.example.com:5000 (no scheme or path)",
            q(s)
        ))
    };
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    let port_ok = port.is_none_or(|p| {
        p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(err())
    }
}

/// An image repository path: lowercase components `[a-z0-9]+([._-][a-z0-9]+)*` joined by `/`.
pub fn validate_image_repo(s: &str) -> Valid<()> {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
            && c.as_bytes()[0].is_ascii_alphanumeric()
            && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
    };
    if s.len() <= 255 && s.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(InvalidValue(format!(
            "Invalid image-repo {}: use lowercase path components such as team/my-app",
            q(s)
        )))
    }
}

/// One stored registry login. The password is a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegistryLogin {
    pub username: String,
    pub password: String,
}

/// `registry-credentials.json` (0600): server → login.
pub type RegistryLogins = BTreeMap<String, RegistryLogin>;

/// Check a login's username and password.
pub fn validate_login(username: &str, password: &str) -> Valid<()> {
    if username.is_empty()
        || username.len() > 256
        || username.chars().any(|c| c.is_control() || c == ':')
    {
        return Err(InvalidValue(format!(
            "Invalid registry username {}: use 1-256 printable characters without ':'",
            q(username)
        )));
    }
    if password.is_empty() || password.len() > 4096 || password.chars().any(|c| c.is_control()) {
        return Err(InvalidValue::new(
            "Invalid registry password: must be 1-4096 printable characters (value not shown)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_repo_templates_render_like_dokku() {
        assert_eq!(
            render_image_repo_template("team/{{ .AppName }}", "web").unwrap(),
            "team/web"
        );
        assert_eq!(
            render_image_repo_template("{{.AppName}}-img", "a").unwrap(),
            "a-img"
        );
        assert!(render_image_repo_template("{{ .Other }}", "a").is_err());
        assert!(render_image_repo_template("x/{{ .AppName", "a").is_err());
        validate_registry_property("image-repo-template", "ghcr/{{ .AppName }}").unwrap();
        assert!(validate_registry_property("image-repo-template", "Bad/{{ .AppName }}").is_err());
        validate_registry_property("push-extra-tags", "latest, stable").unwrap();
        assert!(validate_registry_property("push-extra-tags", "latest,-x").is_err());
    }

    #[test]
    fn report_rows_compute_like_dokku() {
        let props = |app: bool, name: &str| match (app, name) {
            (false, "image-repo-template") => "team/{{ .AppName }}".to_owned(),
            (false, "server") => "ghcr.io".to_owned(),
            _ => String::new(),
        };
        let rows: BTreeMap<String, String> = report_rows(Some("web"), props).into_iter().collect();
        assert_eq!(rows["computed-image-repo"], "team/web");
        assert_eq!(rows["computed-server"], "ghcr.io/");
        assert_eq!(rows["computed-push-on-release"], "false");
        assert!(!rows.contains_key("global-image-repo"));
        assert_eq!(rows["tag-version"], "");
        let global: BTreeMap<String, String> = report_rows(None, props).into_iter().collect();
        assert!(!global.contains_key("computed-image-repo"));
        assert_eq!(
            global["computed-image-repo-template"],
            "team/{{ .AppName }}"
        );
    }

    #[test]
    fn servers_and_repos() {
        for ok in [
            "ghcr.io",
            "localhost:5000",
            "registry.example.com:443",
            "docker.io",
        ] {
            validate_registry_server(ok).unwrap();
        }
        for bad in ["", "https://ghcr.io", "ghcr.io/x", "a:0", "a:b", "-a.io"] {
            assert!(validate_registry_server(bad).is_err(), "{bad:?}");
        }
        validate_image_repo("team/my-app").unwrap();
        assert!(validate_image_repo("Team/app").is_err());
        assert!(validate_image_repo("a//b").is_err());
    }
}
