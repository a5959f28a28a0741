//! Version-specific steps around a cluster component's upgrade (reference §4.3): a hook fires
//! when the installed version is below its target and the configured version is at or above
//! it, in ascending target order. The chart is upgraded to each hook's target in turn (its
//! pre-upgrade step first), then to the configured version.

use super::InvalidValue;

/// What a hook does before the chart is upgraded to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreUpgrade {
    /// Delete the Deployments in the chart's namespace matching the label selector (foreground),
    /// so the chart can recreate them with selectors that changed (a selector is immutable).
    DeleteDeployments { selector: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartHook {
    pub release: &'static str,
    pub target_version: &'static str,
    pub pre_upgrade: PreUpgrade,
}

/// Every registered hook.
pub const CHART_HOOKS: &[ChartHook] = &[ChartHook {
    release: "keda-add-ons-http",
    target_version: "0.12.2",
    pre_upgrade: PreUpgrade::DeleteDeployments {
        selector: "app.kubernetes.io/instance=keda-add-ons-http",
    },
}];

fn version(v: &str) -> Option<semver::Version> {
    semver::Version::parse(v.trim().trim_start_matches('v')).ok()
}

/// The hooks of `release` to run when upgrading from `installed` to `target`, ascending. A
/// fresh install (`installed` empty) runs none.
pub fn select(
    release: &str,
    installed: &str,
    target: &str,
) -> Result<Vec<&'static ChartHook>, InvalidValue> {
    if installed.is_empty() {
        return Ok(Vec::new());
    }
    let hooks: Vec<&'static ChartHook> = CHART_HOOKS
        .iter()
        .filter(|h| h.release == release)
        .collect();
    if hooks.is_empty() {
        return Ok(Vec::new());
    }
    let from = version(installed).ok_or_else(|| {
        InvalidValue::new(format!(
            "Invalid installed version {installed:?} for chart {release}"
        ))
    })?;
    let to = version(target).ok_or_else(|| {
        InvalidValue::new(format!(
            "Invalid target version {target:?} for chart {release}"
        ))
    })?;
    let mut selected: Vec<(semver::Version, &'static ChartHook)> = hooks
        .into_iter()
        .filter_map(|h| version(h.target_version).map(|v| (v, h)))
        .filter(|(v, _)| *v > from && *v <= to)
        .collect();
    selected.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(selected.into_iter().map(|(_, h)| h).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_fire_only_when_the_upgrade_crosses_their_target() {
        let fired = |from: &str, to: &str| select("keda-add-ons-http", from, to).unwrap().len();
        assert_eq!(fired("0.11.0", "0.12.2"), 1);
        assert_eq!(fired("v0.8.0", "v0.13.0"), 1, "a v prefix is tolerated");
        assert_eq!(fired("0.12.2", "0.12.3"), 0, "already past the target");
        assert_eq!(fired("0.11.0", "0.12.1"), 0, "not reaching the target");
        assert_eq!(fired("", "0.12.2"), 0, "a fresh install");
        assert_eq!(select("traefik", "1.0.0", "99.0.0").unwrap().len(), 0);
        let e = select("keda-add-ons-http", "latest", "0.12.2").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid installed version \"latest\" for chart keda-add-ons-http"
        );
        let e = select("keda-add-ons-http", "0.11.0", "x").unwrap_err();
        assert!(e.to_string().starts_with("Invalid target version \"x\""));
    }
}
