//! Restart stamps: the pod-template annotation `kubectl rollout restart` sets, written into the
//! Deployments of a release so that exactly the restarted process types roll their pods.

use anyhow::{Result, anyhow};
use k8s_openapi::api::apps::v1::Deployment;
use serde_json::Value;

use super::recorded;

/// Pod-template annotation whose change makes a Deployment roll (what `kubectl rollout restart`
/// sets).
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

fn process_of(d: &Deployment) -> Option<&str> {
    d.metadata
        .labels
        .as_ref()?
        .get(super::meta::NAME)
        .map(String::as_str)
}

/// The restart stamp on `d`'s pod template.
fn stamp_of(d: &Deployment) -> Option<&str> {
    let template = d.spec.as_ref()?.template.metadata.as_ref()?;
    template
        .annotations
        .as_ref()?
        .get(RESTARTED_AT)
        .map(String::as_str)
}

fn set_stamp(d: &mut Deployment, stamp: &str) {
    let spec = d.spec.get_or_insert_default();
    spec.template
        .metadata
        .get_or_insert_default()
        .annotations
        .get_or_insert_default()
        .insert(RESTARTED_AT.to_owned(), stamp.to_owned());
}

/// Objects with the pod template of `process` (all process types when `None`) stamped with
/// `stamp`, so those Deployments roll their pods and the others stay as they are (§5.13).
pub fn with_restart(
    mut objects: Vec<Value>,
    process: Option<&str>,
    stamp: &str,
) -> Result<Vec<Value>> {
    let hit = recorded::update::<Deployment>(&mut objects, |d| {
        if process.is_some_and(|p| process_of(d) != Some(p)) {
            return false;
        }
        set_stamp(d, stamp);
        true
    })?;
    if hit == 0 {
        return Err(match process {
            Some(p) => anyhow!("process type {p} is not in the deployed release"),
            None => anyhow!("the deployed release has no Deployment to restart"),
        });
    }
    Ok(objects)
}

/// Objects with the restart stamps of the deployed release carried over: a Deployment whose pod
/// template in `deployed` has a [`RESTARTED_AT`] annotation keeps it, so re-rendering the app
/// from the store (a scale, a start) does not change the template and so does not replace pods
/// an earlier restart (`config:set`, `ps:restart`) already replaced.
pub fn keep_restart_stamps(mut objects: Vec<Value>, deployed: &[Value]) -> Result<Vec<Value>> {
    let deployed: Vec<Deployment> = recorded::all(deployed);
    recorded::update::<Deployment>(&mut objects, |d| {
        let stamp = deployed
            .iter()
            .find(|old| old.metadata.name == d.metadata.name)
            .and_then(stamp_of)
            .map(str::to_owned);
        match stamp {
            Some(stamp) => {
                set_stamp(d, &stamp);
                true
            }
            None => false,
        }
    })?;
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn objs() -> Vec<Value> {
        vec![
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a-web"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "a-web", "labels": {"app.kubernetes.io/name": "web"}},
                   "spec": {"replicas": 1, "selector": {}, "template": {"metadata": {"labels": {}}}}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "a-worker", "labels": {"app.kubernetes.io/name": "worker"}},
                   "spec": {"replicas": 1, "selector": {}, "template": {}}}),
        ]
    }

    fn stamp(obj: &Value) -> Option<String> {
        recorded::decode::<Deployment>(obj).and_then(|d| stamp_of(&d).map(str::to_owned))
    }

    #[test]
    fn a_rerender_keeps_the_deployed_restart_stamps() {
        let deployed = with_restart(objs(), Some("web"), "2026-01-01T00:00:00Z").unwrap();
        let kept = keep_restart_stamps(objs(), &deployed).unwrap();
        assert_eq!(
            kept[1], deployed[1],
            "web keeps its stamp: same template, no new pods"
        );
        assert_eq!(kept[2], objs()[2], "worker had none");
        // A new restart still wins over the carried stamp.
        let restarted = with_restart(kept, Some("web"), "later").unwrap();
        assert_eq!(stamp(&restarted[1]).as_deref(), Some("later"));
    }

    #[test]
    fn targeted_restart_only_touches_one_process() {
        let out = with_restart(objs(), Some("worker"), "2026-01-01T00:00:00Z").unwrap();
        assert_eq!(stamp(&out[2]).as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(stamp(&out[1]), None);
        assert_eq!(out[1], objs()[1], "web is untouched");
        let all = with_restart(objs(), None, "t").unwrap();
        assert_eq!(stamp(&all[1]).as_deref(), Some("t"));
        assert!(with_restart(objs(), Some("nope"), "t").is_err());
    }
}
