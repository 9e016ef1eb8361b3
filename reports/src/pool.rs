//! Runs independent simulated worlds on a few threads. Each world is single-threaded and
//! seeded, so running several at once changes no figure: only the wall time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `run(item)` for every item on up to `jobs` threads, results in the order of `items`; the
/// first error (in item order) wins. `done` is called after each item finishes.
pub fn run_all<T, R, F>(
    items: &[T],
    jobs: usize,
    done: &(dyn Fn() + Sync),
    run: F,
) -> Result<Vec<R>, String>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> Result<R, String> + Sync,
{
    assert!(jobs >= 1, "run_all needs at least one thread");
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Result<R, String>>>> =
        Mutex::new((0..items.len()).map(|_| None).collect());
    let threads = jobs.min(items.len());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                // Bounded: each pass takes a fresh index, and indices end at `items.len()`.
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    let result = run(item);
                    let mut slots = slots
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    assert!(slots[index].is_none(), "item {index} ran twice");
                    slots[index] = Some(result);
                    drop(slots);
                    done();
                }
            });
        }
    });
    let slots = slots
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    slots
        .into_iter()
        .map(|slot| slot.expect("every item ran: the threads drain the index"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::run_all;

    #[test]
    fn results_keep_the_order_of_the_items_on_any_number_of_threads() {
        let items: Vec<u64> = (0..37).collect();
        for jobs in [1, 2, 5, 64] {
            let squares = run_all(&items, jobs, &|| {}, |n| Ok(n * n)).unwrap();
            assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_first_error_in_item_order_is_returned() {
        let items: Vec<u64> = (0..10).collect();
        let result = run_all(&items, 3, &|| {}, |n| {
            if *n % 4 == 3 {
                Err(format!("item {n}"))
            } else {
                Ok(*n)
            }
        });
        assert_eq!(result, Err("item 3".to_string()));
    }
}
