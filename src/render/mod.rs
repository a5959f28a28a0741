//! Release → Kubernetes objects. Pure: no IO. One module per resource kind; labels and
//! annotations policy in `meta`; names (and their shortening) in `naming`.

pub mod components;
pub mod meta;
pub mod naming;
pub mod node_sysctls;
pub mod recorded;
pub mod restart;
pub mod run_job;
pub mod selectors;
pub mod vector_sinks;

mod certificate;
mod cluster_issuer;
mod cron_job;
mod deployment;
mod ingress;
mod job;
mod keda;
mod manifest;
mod pod;
mod secret;
mod service;
mod service_account;
mod traefik;
mod values;

pub use cluster_issuer::{CLUSTER_ISSUERS_NAMESPACE, CLUSTER_ISSUERS_RELEASE, cluster_issuers};
pub use job::TASK_RUNS;
pub use keda::cluster_trigger_authentications;
pub use manifest::{Manifest, to_json, to_yaml};
pub use secret::config_name_for;
pub use values::values;

use crate::model::release::{IngressClass, Release};

/// Every object of a release, in apply order: ServiceAccount, Secrets, release-task Jobs,
/// Deployments, CronJobs, Services, then ingress (Middlewares before IngressRoutes), issuers
/// before certificates, trigger authentications before scaled objects.
pub fn render(r: &Release) -> Vec<Manifest> {
    let mut out = vec![Manifest::ServiceAccount(service_account::render(r))];
    out.extend(secret::render(r).into_iter().map(Manifest::Secret));
    out.extend(job::render(r).into_iter().map(Manifest::Job));
    out.extend(
        r.processes
            .iter()
            .map(|p| Manifest::Deployment(deployment::render(r, p))),
    );
    out.extend(
        r.cron_tasks
            .iter()
            .map(|c| Manifest::CronJob(cron_job::render(r, c))),
    );
    out.extend(
        r.processes
            .iter()
            .filter_map(|p| service::render(r, p))
            .map(Manifest::Service),
    );
    out.extend(
        r.processes
            .iter()
            .filter_map(|p| keda::interceptor_service(r, p))
            .map(Manifest::Service),
    );
    for p in &r.processes {
        match r.ingress_class {
            IngressClass::Nginx => {
                out.extend(ingress::render(r, p).into_iter().map(Manifest::Ingress))
            }
            IngressClass::Traefik => {
                let (middlewares, routes) = traefik::render(r, p);
                out.extend(middlewares.into_iter().map(Manifest::Middleware));
                out.extend(routes.into_iter().map(Manifest::IngressRoute));
            }
        }
    }
    if let Some(issuer) = certificate::issuer(r) {
        out.push(Manifest::Issuer(issuer));
    }
    out.extend(
        r.processes
            .iter()
            .filter_map(|p| certificate::render(r, p))
            .map(Manifest::Certificate),
    );
    out.extend(
        keda::trigger_authentications(r)
            .into_iter()
            .map(Manifest::TriggerAuthentication),
    );
    out.extend(
        r.processes
            .iter()
            .filter_map(|p| keda::scaled_object(r, p))
            .map(Manifest::ScaledObject),
    );
    out.extend(
        r.processes
            .iter()
            .filter_map(|p| keda::http_scaled_object(r, p))
            .map(Manifest::HTTPScaledObject),
    );
    out
}

/// `<app>-<process>` shortened to a label value: the name of the Deployment, the container and
/// the `app.kubernetes.io/instance` label (and, with `service_name`, the Service).
pub fn process_name(r: &Release, process: &str) -> String {
    naming::fit(
        &format!("{}-{process}", r.app.object_name()),
        naming::LABEL_MAX,
    )
}
