//! `logs`: the app's pod logs, merged, each line prefixed with its pod.

use futures::StreamExt;

use super::Ctx;
use super::connect::connect;
use super::error::Result;
use super::runtime::block_on;
use crate::kube::logs;
/// Which logs and how they are shown; `app` and `namespace` are filled in by [`logs()`].
pub use crate::kube::logs::LogsRequest;
use crate::model::AppName;

/// Stream the logs `req` asks for to `line`, until they end or `line` returns false. The app
/// and its namespace come from `app` and its settings, whatever `req` says.
pub fn logs(
    ctx: &Ctx,
    app: &AppName,
    req: LogsRequest,
    mut line: impl FnMut(&str) -> bool,
) -> Result<()> {
    ctx.store.require_app(app)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        let req = LogsRequest {
            app: app.object_name().to_owned(),
            namespace: cluster.namespace.clone(),
            ..req
        };
        let mut lines = logs::stream_logs(&cluster.client, &req).await?;
        while let Some(next) = lines.next().await {
            if !line(&next?) {
                break;
            }
        }
        Ok(())
    })
}
