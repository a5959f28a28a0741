//! Object names. Names follow the reference (`<app>-<process>`, `<app>-cron-<suffix>`, ...); a name
//! longer than its kind allows is shortened deterministically: a prefix, a dash and 10 hex chars of
//! the SHA-256 of the full name, so two different long names never end up equal.

/// Names that are also label values or DNS labels (Deployment/Service/container/Job names).
pub const LABEL_MAX: usize = 63;
/// CronJob names: the controller appends 11 chars to make Job names.
pub const CRONJOB_MAX: usize = 52;
/// Other object names (DNS-1123 subdomains).
pub const SUBDOMAIN_MAX: usize = 253;

pub use crate::model::names::fit;

/// Service names must also start with a letter (DNS-1035); app names may start with a digit.
pub fn service_name(base: &str) -> String {
    if base.starts_with(|c: char| c.is_ascii_digit()) {
        fit(&format!("app-{base}"), LABEL_MAX)
    } else {
        base.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept() {
        assert_eq!(fit("my-app-web", LABEL_MAX), "my-app-web");
    }

    #[test]
    fn long_names_shrink_deterministically_and_distinctly() {
        let a = format!("{}-worker-one", "x".repeat(60));
        let b = format!("{}-worker-two", "x".repeat(60));
        let fa = fit(&a, LABEL_MAX);
        assert_eq!(fa, fit(&a, LABEL_MAX));
        assert!(fa.len() <= LABEL_MAX);
        assert_ne!(fa, fit(&b, LABEL_MAX));
        assert!(crate::model::names::is_dns1123_label(&fa));
    }

    #[test]
    fn service_names_start_with_a_letter() {
        assert_eq!(service_name("1app-web"), "app-1app-web");
        assert_eq!(service_name("a-web"), "a-web");
    }
}
