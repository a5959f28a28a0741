//! `logs`: the app's pod logs, merged, each line prefixed with its pod.

use futures::StreamExt;

use super::Ctx;
use super::connect::connect;
use super::error::Result;
use super::runtime::block_on;
use crate::kube::logs::{self, LogsRequest};
use crate::model::AppName;

/// Which logs, and how they are shown.
#[derive(Debug, Clone)]
pub struct LogsOpts {
    pub process_type: Option<String>,
    /// 1-based pod index within the process type.
    pub index: Option<usize>,
    pub follow: bool,
    /// Lines per pod (0: all).
    pub lines: i64,
    /// No `app[pod]: ` prefix.
    pub quiet: bool,
    pub color: bool,
}

/// Stream the logs `opts` ask for to `line`, until they end or `line` returns false.
pub fn logs(
    ctx: &Ctx,
    app: &AppName,
    opts: LogsOpts,
    mut line: impl FnMut(&str) -> bool,
) -> Result<()> {
    ctx.store.require_app(app)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        let req = LogsRequest {
            app: app.to_string(),
            namespace: cluster.namespace.clone(),
            process_type: opts.process_type,
            index: opts.index,
            follow: opts.follow,
            lines: opts.lines,
            quiet: opts.quiet,
            color: opts.color,
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
