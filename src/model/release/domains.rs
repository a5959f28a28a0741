//! The web process's domains.

use std::collections::BTreeSet;

use super::build::{ReleaseError, fail};
use super::inputs::*;
use super::network::{is_domain, slug};
use super::*;

/// The web process's domains: trimmed, lowercased, unique, valid hostnames.
pub(super) fn domains(i: &ReleaseInputs, has_web: bool) -> Result<Vec<Host>, ReleaseError> {
    let mut domains: Vec<Host> = Vec::new();
    if has_web {
        let mut seen = BTreeSet::new();
        for d in &i.domains {
            let d = d.trim().to_ascii_lowercase();
            if d.is_empty() || !seen.insert(d.clone()) {
                continue;
            }
            if !is_domain(&d) {
                return fail(format!(
                    "domain {d:?} is not a valid hostname (lowercase DNS labels, optionally starting with *.)"
                ));
            }
            domains.push(Host {
                slug: slug(&d),
                name: d,
            });
        }
        domains.sort();
    }

    Ok(domains)
}
