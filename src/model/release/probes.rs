//! app.json healthchecks → the three probe slots of a process (reference §5.4.3).

use std::collections::BTreeSet;

use super::build::{ReleaseError, fail};
use super::{Probes, WebSection};
use crate::model::app_json::{AppJson, HealthcheckKind};
use crate::model::names::ProcessType;

pub(crate) fn build_probes(
    app_json: &AppJson,
    proc_type: &ProcessType,
    web: Option<&WebSection>,
) -> Result<Probes, ReleaseError> {
    let mut probes = Probes::default();
    let Some(checks) = app_json.healthchecks.get(proc_type) else {
        return Ok(probes);
    };
    for (idx, check) in checks.iter().enumerate() {
        if let (Some(port), Some(web)) = (check.port, web)
            && !web
                .port_maps
                .iter()
                .any(|m| u32::from(m.container_port) == port)
        {
            let mapped: BTreeSet<String> = web
                .port_maps
                .iter()
                .map(|m| m.container_port.to_string())
                .collect();
            return fail(format!(
                "app.json healthchecks.{proc_type}[{idx}].port {port} is not a mapped container port (mapped: {})",
                mapped.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        let slot = match check.kind {
            HealthcheckKind::Startup => &mut probes.startup,
            HealthcheckKind::Liveness => &mut probes.liveness,
            HealthcheckKind::Readiness => &mut probes.readiness,
        };
        // Only the first check of each kind is used, as in the original.
        if slot.is_none() {
            *slot = Some(check.clone());
        }
    }
    Ok(probes)
}
