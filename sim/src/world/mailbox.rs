//! A single-consumer queue with an async wait: the writer host's receive task pushes
//! requests, the serving loop takes them in batches (group commit). madsim has no channels;
//! this is a mutex-guarded queue plus the consumer's waker, deterministic because madsim
//! schedules woken tasks itself.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Requests queued beyond this are refused by the caller (a bound on memory).
pub const MAILBOX_CAPACITY: usize = 100_000;

pub struct Mailbox<T> {
    inner: Arc<Mutex<Inner<T>>>,
}

impl<T> Clone for Mailbox<T> {
    fn clone(&self) -> Self {
        Mailbox {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<T> {
    queue: VecDeque<T>,
    waiter: Option<Waker>,
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        Mailbox {
            inner: Arc::new(Mutex::new(Inner {
                queue: VecDeque::new(),
                waiter: None,
            })),
        }
    }
}

impl<T> Mailbox<T> {
    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `item`; returns it back when the mailbox is full.
    pub fn push(&self, item: T) -> Result<(), T> {
        let mut inner = self.lock();
        if inner.queue.len() >= MAILBOX_CAPACITY {
            return Err(item);
        }
        inner.queue.push_back(item);
        if let Some(waker) = inner.waiter.take() {
            waker.wake();
        }
        Ok(())
    }

    /// Takes up to `max` queued items without waiting.
    pub fn drain(&self, max: usize) -> Vec<T> {
        let mut inner = self.lock();
        let take = inner.queue.len().min(max);
        inner.queue.drain(..take).collect()
    }

    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Resolves once at least one item is queued.
    pub fn ready(&self) -> Ready<T> {
        Ready {
            mailbox: self.clone(),
        }
    }
}

/// The future of [`Mailbox::ready`].
pub struct Ready<T> {
    mailbox: Mailbox<T>,
}

impl<T> Future for Ready<T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.mailbox.lock();
        if inner.queue.is_empty() {
            inner.waiter = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}
