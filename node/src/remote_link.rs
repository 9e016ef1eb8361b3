//! The primary's side of the workers' connections: workers connect to `[remote] listen`;
//! each connection carries jobs to its worker and that worker's results back. Results of
//! every connection go to one queue the writer drains between requests. A job sent to a
//! worker that dies is simply never answered: the primary's job timeout covers it (core's
//! `RemotePrimary` owns every job's fate, the transport owns none).

use crate::frame::{read_frame, write_frames};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// The workers connected now, each with the queue of frames to send it.
#[derive(Default)]
pub struct WorkerPool {
    inner: Mutex<PoolInner>,
}

#[derive(Default)]
struct PoolInner {
    next_id: u64,
    links: BTreeMap<u64, mpsc::UnboundedSender<Bytes>>,
    /// Round-robin position among the connected workers.
    cursor: u64,
}

impl WorkerPool {
    fn lock(&self) -> std::sync::MutexGuard<'_, PoolInner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn add(&self, link: mpsc::UnboundedSender<Bytes>) -> u64 {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.links.insert(id, link);
        id
    }

    fn remove(&self, id: u64) {
        self.lock().links.remove(&id);
    }

    pub fn connected(&self) -> usize {
        self.lock().links.len()
    }

    /// Queues `job` for the next worker in turn; the worker's id, or `None` when no worker
    /// is connected (the job then times out like one sent to a worker that died).
    pub fn send_round_robin(&self, job: Bytes) -> Option<u64> {
        let mut inner = self.lock();
        let after = inner.cursor;
        let id = inner
            .links
            .range(after + 1..)
            .chain(inner.links.range(..=after))
            .map(|(id, _)| *id)
            .next()?;
        inner.cursor = id;
        let sent = inner
            .links
            .get(&id)
            .is_some_and(|link| link.send(job).is_ok());
        sent.then_some(id)
    }
}

/// Accepts workers for the life of the process; their results go to `results`.
pub async fn accept_workers(
    listener: TcpListener,
    pool: Arc<WorkerPool>,
    results: mpsc::UnboundedSender<Bytes>,
) -> std::io::Result<()> {
    loop {
        let (stream, from) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        eprintln!("sediment: remote worker connected from {from}");
        tokio::spawn(serve_worker(stream, pool.clone(), results.clone()));
    }
}

async fn serve_worker(
    stream: TcpStream,
    pool: Arc<WorkerPool>,
    results: mpsc::UnboundedSender<Bytes>,
) {
    let (mut reader, writer) = stream.into_split();
    let (link, frames) = mpsc::unbounded_channel();
    let id = pool.add(link);
    let sending = tokio::spawn(write_frames(writer, frames));
    while let Ok(Some(result)) = read_frame(&mut reader).await {
        if results.send(result).is_err() {
            break;
        }
    }
    pool.remove(id);
    sending.abort();
    eprintln!("sediment: remote worker {id} disconnected");
}
