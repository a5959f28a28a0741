//! Running one command against many apps (`ps:* --all [--parallel N]`): a fixed pool of worker
//! threads takes apps from a shared queue, each app runs on its own (the per-app lock keeps two
//! commands off one app), and every outcome comes back in the apps' order.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Run `one` for every item with `workers` threads (1: in order, on this thread). Outcomes are
/// returned in the items' order, whatever order they finished in.
pub fn run_each<I: Sync, T: Send>(
    items: &[I],
    workers: usize,
    one: impl Fn(&I) -> T + Sync,
) -> Vec<T> {
    if workers <= 1 || items.len() <= 1 {
        return items.iter().map(one).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|s| {
        for _ in 0..workers.min(items.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let outcome = one(item);
                    done.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, outcome));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_item_runs_once_in_parallel_and_outcomes_keep_the_order() {
        let items: Vec<u32> = (0..100).collect();
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        // The first two items wait for each other: they can only finish if they run at once.
        let both = std::sync::Barrier::new(2);
        let out = run_each(&items, 10, |i| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            if *i < 2 {
                both.wait();
            }
            running.fetch_sub(1, Ordering::SeqCst);
            i * 2
        });
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let peak = peak.load(Ordering::SeqCst);
        assert!((2..=10).contains(&peak), "{peak} ran at once");
        assert_eq!(run_each(&items[..3], 1, |i| *i), [0, 1, 2]);
    }
}
