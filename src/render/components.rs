//! Cluster components (reference §4.1): the charts a berth cluster runs — cert-manager, Longhorn,
//! the ingress controller (Traefik or ingress-nginx), KEDA and its HTTP add-on, Vector — as k3s
//! `HelmChart` objects, installed by the Helm controller embedded in k3s (rust-deps guide §5).
//!
//! Pure: the catalogue, the base values (data files in `chart_values/`) and the HelmChart for
//! each chart. [`super::components_apply`] puts them on the cluster.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::crds::helm::{HelmChart, HelmChartSpec};
use crate::model::scheduler_k3s::ChartOverrides;

/// Where the HelmChart objects live (k3s's Helm controller watches this namespace).
pub const COMPONENT_NAMESPACE: &str = "kube-system";

/// `helm --timeout` of every install/upgrade job (Dokku's 300 s).
pub const INSTALL_TIMEOUT: &str = "300s";

/// One component chart: the Helm release name (also the HelmChart's name), where the chart comes
/// from, the pinned version, and the namespace the release goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentChart {
    pub release: &'static str,
    pub repo: &'static str,
    pub chart: &'static str,
    pub version: &'static str,
    pub namespace: &'static str,
}

/// The catalogue, in install order (reference §4.1).
pub const COMPONENT_CHARTS: &[ComponentChart] = &[
    ComponentChart {
        release: "cert-manager",
        repo: "https://charts.jetstack.io",
        chart: "cert-manager",
        version: "v1.13.3",
        namespace: "cert-manager",
    },
    ComponentChart {
        release: "longhorn",
        repo: "https://charts.longhorn.io",
        chart: "longhorn",
        version: "1.5.3",
        namespace: "longhorn-system",
    },
    ComponentChart {
        release: "traefik",
        repo: "https://helm.traefik.io/traefik",
        chart: "traefik",
        version: "26.0.0",
        namespace: "traefik",
    },
    ComponentChart {
        release: "ingress-nginx",
        repo: "https://kubernetes.github.io/ingress-nginx",
        chart: "ingress-nginx",
        version: "4.15.1",
        namespace: "ingress-nginx",
    },
    ComponentChart {
        release: "keda",
        repo: "https://kedacore.github.io/charts",
        chart: "keda",
        version: "2.19.0",
        namespace: "keda",
    },
    ComponentChart {
        release: "keda-add-ons-http",
        repo: "https://kedacore.github.io/charts",
        chart: "keda-add-ons-http",
        version: "0.12.2",
        namespace: "keda",
    },
    ComponentChart {
        release: "vector",
        repo: "https://helm.vector.dev",
        chart: "vector",
        version: "0.52.0",
        namespace: "vector",
    },
];

/// Label and annotation on everything berth creates for the components (Dokku's marker).
pub const DOKKU_MANAGED: &str = "dokku.com/managed";
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
const MANAGED_BY_VALUE: &str = "berth";

/// The catalogue entry named `release`.
pub fn component(release: &str) -> Option<&'static ComponentChart> {
    COMPONENT_CHARTS.iter().find(|c| c.release == release)
}

/// The chart's base values (YAML), embedded from `chart_values/<release>.yaml`.
pub fn base_values(release: &str) -> &'static str {
    match release {
        "cert-manager" => include_str!("chart_values/cert-manager.yaml"),
        "longhorn" => include_str!("chart_values/longhorn.yaml"),
        "traefik" => include_str!("chart_values/traefik.yaml"),
        "ingress-nginx" => include_str!("chart_values/ingress-nginx.yaml"),
        "keda" => include_str!("chart_values/keda.yaml"),
        "keda-add-ons-http" => include_str!("chart_values/keda-add-ons-http.yaml"),
        "vector" => include_str!("chart_values/vector.yaml"),
        _ => "",
    }
}

/// True for the ingress chart the cluster's `ingress-class` does not use (`traefik` unless the
/// class is `traefik`, `ingress-nginx` unless it is `nginx`). Such a chart is never installed.
pub fn ingress_mismatch(release: &str, ingress_class: &str) -> bool {
    match release {
        "traefik" => ingress_class != "traefik",
        "ingress-nginx" => ingress_class != "nginx",
        _ => false,
    }
}

/// An override value as Helm's `--set` would type it: integers (no leading zero), `true`,
/// `false` and `null` keep their type, everything else is a string. k3s passes `Int` and
/// `true`/`false`/`null` with `--set` and other strings with `--set-string`, so the chart sees
/// what Dokku's `helm --set key=value` gave it. Integers beyond 32 bits stay strings.
fn set_value(value: &str) -> IntOrString {
    let integer = value == "0"
        || value
            .strip_prefix('-')
            .unwrap_or(value)
            .bytes()
            .next()
            .is_some_and(|b| (b'1'..=b'9').contains(&b));
    match value.parse::<i32>() {
        Ok(n) if integer => IntOrString::Int(n),
        _ => IntOrString::String(value.to_owned()),
    }
}

/// The HelmChart for one catalogue entry, with `overrides` (chart → values key → value, from
/// `scheduler-k3s:charts:set`) as `spec.set`.
pub fn helm_chart(chart: &ComponentChart, overrides: &ChartOverrides) -> HelmChart {
    let set: BTreeMap<String, IntOrString> = overrides
        .get(chart.release)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), set_value(v))).collect())
        .unwrap_or_default();
    let labels = BTreeMap::from([
        (MANAGED_BY.to_owned(), MANAGED_BY_VALUE.to_owned()),
        (DOKKU_MANAGED.to_owned(), "true".to_owned()),
    ]);
    let annotations = BTreeMap::from([(DOKKU_MANAGED.to_owned(), "true".to_owned())]);
    HelmChart {
        metadata: ObjectMeta {
            name: Some(chart.release.to_owned()),
            namespace: Some(COMPONENT_NAMESPACE.to_owned()),
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: HelmChartSpec {
            repo: chart.repo.to_owned(),
            chart: chart.chart.to_owned(),
            version: chart.version.to_owned(),
            target_namespace: chart.namespace.to_owned(),
            create_namespace: true,
            values_content: base_values(chart.release).to_owned(),
            set,
            values_secrets: Vec::new(),
            timeout: Some(INSTALL_TIMEOUT.to_owned()),
            // A failed install or upgrade is left as it is and reported (`Failed=True`) instead
            // of the controller's default `reinstall`, which uninstalls the release first:
            // for cert-manager or Longhorn that would delete every Certificate or volume.
            failure_policy: Some("abort".to_owned()),
        },
        status: None,
    }
}

/// Every HelmChart for the cluster, in install order; the ingress chart not matching
/// `ingress_class` ("nginx"|"traefik") is left out (reference §3 step 15).
pub fn component_charts(ingress_class: &str, overrides: &ChartOverrides) -> Vec<HelmChart> {
    COMPONENT_CHARTS
        .iter()
        .filter(|c| !ingress_mismatch(c.release, ingress_class))
        .map(|c| helm_chart(c, overrides))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scheduler_k3s::CHART_NAMES;

    #[test]
    fn catalogue_matches_the_overridable_chart_names() {
        let releases: Vec<&str> = COMPONENT_CHARTS.iter().map(|c| c.release).collect();
        assert_eq!(releases, CHART_NAMES);
    }

    #[test]
    fn every_base_values_file_is_a_yaml_mapping() {
        for c in COMPONENT_CHARTS {
            let text = base_values(c.release);
            assert!(!text.is_empty(), "{} has no values file", c.release);
            let parsed: serde_json::Value = serde_saphyr::from_str(text)
                .unwrap_or_else(|e| panic!("{}: values do not parse: {e}", c.release));
            assert!(
                parsed.is_object(),
                "{}: values are not a mapping",
                c.release
            );
        }
    }

    #[test]
    fn ingress_chart_follows_the_class() {
        let names = |class: &str| -> Vec<String> {
            component_charts(class, &ChartOverrides::new())
                .iter()
                .map(|c| c.metadata.name.clone().unwrap_or_default())
                .collect()
        };
        assert!(names("nginx").contains(&"ingress-nginx".to_owned()));
        assert!(!names("nginx").contains(&"traefik".to_owned()));
        assert!(names("traefik").contains(&"traefik".to_owned()));
        assert!(!names("traefik").contains(&"ingress-nginx".to_owned()));
        assert_eq!(names("nginx").len(), COMPONENT_CHARTS.len() - 1);
    }

    #[test]
    fn override_values_are_typed_like_helm_set() {
        assert_eq!(set_value("2"), IntOrString::Int(2));
        assert_eq!(set_value("-3"), IntOrString::Int(-3));
        assert_eq!(set_value("0"), IntOrString::Int(0));
        for s in [
            "007",
            "1.5",
            "true",
            "",
            "abc",
            "-",
            "99999999999",
            "1e3",
            "+1",
        ] {
            assert_eq!(set_value(s), IntOrString::String(s.to_owned()), "{s:?}");
        }
    }
}
