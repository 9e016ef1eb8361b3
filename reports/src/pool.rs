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
    let order: Vec<usize> = (0..items.len()).collect();
    run_in_order(items, &order, jobs, done, run)
}

/// [`run_all`], the threads starting the items in `order` (a permutation of their
/// indices): the longest first, so that none starts last and runs alone.
pub fn run_in_order<T, R, F>(
    items: &[T],
    order: &[usize],
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
    assert_eq!(order.len(), items.len(), "the order names every item");
    let mut sorted = order.to_vec();
    sorted.sort_unstable();
    assert!(
        sorted.iter().enumerate().all(|(at, index)| at == *index),
        "the order is a permutation of the items' indices"
    );
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Result<R, String>>>> =
        Mutex::new((0..items.len()).map(|_| None).collect());
    let threads = jobs.min(items.len());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                // Bounded: each pass takes a fresh position, and positions end at the length.
                loop {
                    let position = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&index) = order.get(position) else {
                        break;
                    };
                    let result = run(&items[index]);
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
        .map(|slot| slot.expect("every item ran: the threads drain the order"))
        .collect()
}

/// The indices of `items` sorted by `rank` (lowest first; ties keep item order): the order
/// [`run_in_order`] starts them in.
pub fn order_by<T, K: Ord>(items: &[T], rank: impl Fn(&T) -> K) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|index| rank(&items[*index]));
    order
}

#[cfg(test)]
mod tests {
    use super::{run_all, run_in_order};
    use std::sync::Mutex;

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

    #[test]
    fn one_thread_starts_the_items_in_the_order_given_and_results_stay_in_item_order() {
        let items: Vec<u64> = (0..6).collect();
        let order = [4, 0, 5, 2, 1, 3];
        let started = Mutex::new(Vec::new());
        let doubled = run_in_order(&items, &order, 1, &|| {}, |n| {
            started.lock().unwrap().push(*n as usize);
            Ok(n * 2)
        })
        .unwrap();
        assert_eq!(started.into_inner().unwrap(), order);
        assert_eq!(doubled, vec![0, 2, 4, 6, 8, 10]);
    }

    #[test]
    #[should_panic(expected = "permutation")]
    fn an_order_naming_an_item_twice_is_a_programmer_error() {
        let items: Vec<u64> = (0..3).collect();
        let _ = run_in_order(&items, &[0, 1, 1], 2, &|| {}, |n| Ok(*n));
    }
}
