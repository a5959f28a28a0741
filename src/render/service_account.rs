//! ServiceAccount `<app>` (reference §5.12): every pod of the app runs as it. No RBAC objects.

use k8s_openapi::api::core::v1::ServiceAccount;

use super::meta::{self, fixed_labels, layer, object_meta};
use crate::model::release::Release;

pub fn render(r: &Release) -> ServiceAccount {
    let app = r.app.object_name();
    let labels = layer(
        fixed_labels("service-account", "service-account", app),
        meta::user_labels(r, None, "serviceaccount"),
    );
    let annotations = meta::user_annotations(r, None, "serviceaccount");
    ServiceAccount {
        metadata: object_meta(r, app, Some(&r.namespace), app, None, labels, annotations),
        ..ServiceAccount::default()
    }
}
