//! Benchmark (prints figures; asserts nothing): how long the pure core takes for each of the
//! snapshot example apps — `Release::build` (validation and defaults), `render` (typed objects)
//! and `to_yaml` (the `deploy --dry-run` text). Run with `cargo bench --bench render`.
//! `BERTH_BENCH_ITERATIONS` sets the iterations per app (default 200).

#[path = "../tests/support/render.rs"]
mod render_support;

use std::hint::black_box;
use std::time::{Duration, Instant};

fn per_iteration(iterations: u32, mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed() / iterations
}

fn main() {
    let iterations: u32 = std::env::var("BERTH_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(200);
    println!(
        "{:<32} {:>8} {:>12} {:>12} {:>12} {:>10}",
        "app", "objects", "build µs", "render µs", "yaml µs", "yaml KiB"
    );
    let mut total = Duration::ZERO;
    for example in render_support::examples() {
        let inputs = example.inputs.clone();
        let build = per_iteration(iterations, || {
            black_box(berth::model::release::Release::build(black_box(inputs.clone())).unwrap());
        });
        let release = example.release();
        let render = per_iteration(iterations, || {
            black_box(berth::render::render(black_box(&release)));
        });
        let manifests = example.manifests();
        let yaml = per_iteration(iterations, || {
            black_box(berth::render::to_yaml(black_box(&manifests)));
        });
        let text = berth::render::to_yaml(&manifests);
        total += build + render + yaml;
        println!(
            "{:<32} {:>8} {:>12.1} {:>12.1} {:>12.1} {:>10.1}",
            example.name,
            manifests.len(),
            build.as_secs_f64() * 1e6,
            render.as_secs_f64() * 1e6,
            yaml.as_secs_f64() * 1e6,
            text.len() as f64 / 1024.0
        );
    }
    println!(
        "all {} apps, build + render + yaml: {:.1} µs ({iterations} iterations each)",
        render_support::examples().len(),
        total.as_secs_f64() * 1e6
    );
}
