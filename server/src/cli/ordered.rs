//! Work on many items in parallel, results delivered in input order as soon
//! as each one and all before it are done, so output streams and is stable.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Calls `work` on every item on up to `jobs` threads and `sink` on the
/// results in item order, on the calling thread. `sink` returns `false` to
/// stop early (e.g. stdout closed); the remaining items are then skipped.
pub fn for_each_ordered<T, R, W, S>(items: &[T], jobs: usize, work: W, mut sink: S)
where
    T: Sync,
    R: Send,
    W: Fn(&T) -> R + Sync,
    S: FnMut(R) -> bool,
{
    let jobs = jobs.clamp(1, items.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, R)>();
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() || stop.load(Ordering::Relaxed) {
                    break;
                }
                if tx.send((i, work(&items[i]))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut wanted = 0;
        for (i, result) in rx {
            pending.insert(i, result);
            while let Some(result) = pending.remove(&wanted) {
                wanted += 1;
                if !sink(result) {
                    stop.store(true, Ordering::Relaxed);
                    return;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_whatever_the_timing() {
        let items: Vec<u64> = (0..50).collect();
        let mut seen = Vec::new();
        for_each_ordered(
            &items,
            4,
            |&n| {
                std::thread::sleep(std::time::Duration::from_micros((50 - n) * 20));
                n * 2
            },
            |r| {
                seen.push(r);
                true
            },
        );
        assert_eq!(seen, (0..50).map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn the_sink_can_stop_early() {
        let items: Vec<u32> = (0..100).collect();
        let mut seen = 0;
        for_each_ordered(
            &items,
            2,
            |&n| n,
            |_| {
                seen += 1;
                seen < 3
            },
        );
        assert_eq!(seen, 3);
    }

    #[test]
    fn no_items() {
        let items: Vec<u32> = Vec::new();
        for_each_ordered(&items, 4, |&n| n, |_| panic!("no results expected"));
    }
}
