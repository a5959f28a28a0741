//! The web process's domains.

use std::collections::BTreeSet;

use super::build::ReleaseError;
use super::inputs::*;
use super::*;
use crate::model::domain::Domain;

/// The web process's domains, unique and sorted (each already a valid hostname: a
/// [`Domain`]).
pub(super) fn domains(i: &ReleaseInputs, has_web: bool) -> Result<Vec<Host>, ReleaseError> {
    if !has_web {
        return Ok(Vec::new());
    }
    let unique: BTreeSet<&Domain> = i.domains.iter().collect();
    let mut domains: Vec<Host> = unique
        .into_iter()
        .map(|d| Host {
            slug: d.slug(),
            name: d.as_str().to_owned(),
        })
        .collect();
    domains.sort();
    Ok(domains)
}
