//! The async runtime cluster operations run on, one per command.

use std::future::Future;
use std::time::Duration;

use anyhow::anyhow;

use super::error::Result;

/// Run `fut` to completion on a fresh multi-threaded runtime.
pub fn block_on<T>(fut: impl Future<Output = anyhow::Result<T>>) -> Result<T> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the async runtime: {e}"))?;
    let out = rt.block_on(fut);
    // A terminal session leaves a blocking stdin read behind; do not wait for it on exit.
    rt.shutdown_timeout(Duration::from_millis(200));
    Ok(out?)
}
