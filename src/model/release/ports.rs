//! The web Service's port maps (reference §5.5).

use std::collections::{BTreeMap, BTreeSet};

use super::build::{ReleaseError, fail};
use super::inputs::*;
use super::*;
use crate::model::ports::{PortMapping, PortScheme as Configured};

/// The web Service's port maps (reference §5.5) and the primary (container) port; mappings the
/// ingress does not route are dropped with a warning.
pub(super) fn web_ports(
    i: &ReleaseInputs,
    tls: &Tls,
    warnings: &mut Vec<String>,
) -> Result<(Vec<PortMap>, u16), ReleaseError> {
    let configured: Vec<PortMapping> = if i.ports.is_empty() {
        vec![PortMapping::DEFAULT]
    } else {
        i.ports.clone()
    };
    let mut kept: BTreeSet<PortMap> = BTreeSet::new();
    for p in &configured {
        let scheme = match p.scheme {
            Configured::Http => PortScheme::Http,
            Configured::Https => PortScheme::Https,
            _ if p.container_port == 80 => PortScheme::Http,
            _ if p.container_port == 443 => PortScheme::Https,
            other => {
                warnings.push(format!(
                    "port mapping {other}:{}:{} is not routed through the ingress and is ignored",
                    p.host_port, p.container_port
                ));
                continue;
            }
        };
        if p.host_port == 0 || p.container_port == 0 {
            return fail(format!(
                "port mapping {}:{}:{}: ports must be 1-65535",
                p.scheme, p.host_port, p.container_port
            ));
        }
        kept.insert(PortMap {
            scheme,
            host_port: p.host_port,
            container_port: p.container_port,
        });
    }
    let mut expanded = kept.clone();
    for m in &kept {
        if m.scheme == PortScheme::Http && tls.enabled() {
            expanded.insert(PortMap {
                scheme: PortScheme::Https,
                host_port: 443,
                container_port: m.container_port,
            });
        }
        if m.scheme == PortScheme::Https {
            expanded.insert(PortMap {
                scheme: PortScheme::Http,
                host_port: 80,
                container_port: m.container_port,
            });
        }
    }
    let mut web_maps: Vec<PortMap> = expanded.into_iter().collect();
    web_maps.sort_by_key(PortMap::name);
    let mut by_host: BTreeMap<u16, &PortMap> = BTreeMap::new();
    for m in &web_maps {
        if let Some(other) = by_host.insert(m.host_port, m) {
            return fail(format!(
                "port mappings {} and {} both claim port {} on the web Service{}; map them to one container port or use different ports",
                other.name(),
                m.name(),
                m.host_port,
                if tls.enabled() {
                    " (https:443 is added for every http mapping when TLS is enabled)"
                } else {
                    ""
                }
            ));
        }
    }
    // Primary port: the http:80 mapping's container port, else the first mapping's (sorted).
    let primary_port = web_maps
        .iter()
        .find(|m| m.scheme == PortScheme::Http && m.host_port == 80)
        .or_else(|| web_maps.first())
        .map_or(5000, |m| m.container_port);

    Ok((web_maps, primary_port))
}
