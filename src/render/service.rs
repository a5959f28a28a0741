//! Service `<app>-<process>` for every process with ports: `web`, or one with
//! `formation.<p>.service.exposed` (reference §5.5). ClusterIP; ingress routes to it.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{self, fixed_labels, layer, object_meta};
use super::naming::service_name;
use super::process_name;
use crate::model::release::{Process, Release};

pub fn name(r: &Release, p: &Process) -> String {
    service_name(&process_name(r, p.proc_type.as_str()))
}

pub fn render(r: &Release, p: &Process) -> Option<Service> {
    let web = p.web.as_ref()?;
    let app = r.app.object_name();
    let proc_type = p.proc_type.as_str();
    let instance = process_name(r, proc_type);
    let selector = fixed_labels(&instance, proc_type, app);
    let labels = layer(
        selector.clone(),
        meta::user_labels(r, Some(proc_type), "service"),
    );
    let annotations = meta::user_annotations(r, Some(proc_type), "service");
    let ports = web
        .port_maps
        .iter()
        .map(|m| ServicePort {
            name: Some(m.name()),
            port: i32::from(m.host_port),
            target_port: Some(IntOrString::Int(i32::from(m.container_port))),
            protocol: Some("TCP".into()),
            ..ServicePort::default()
        })
        .collect();
    Some(Service {
        metadata: object_meta(
            r,
            &name(r, p),
            Some(&r.namespace),
            app,
            Some(proc_type),
            labels,
            annotations,
        ),
        spec: Some(ServiceSpec {
            ports: Some(ports),
            selector: Some(selector),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}
