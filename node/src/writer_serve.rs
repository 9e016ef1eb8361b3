//! One writer incarnation's loop: take every queued request (group commit: all writes that
//! queued while the previous step ran form one WAL segment), serve reads, then flush,
//! compact (embedded compactor), checkpoint and re-read the manifest between batches.
//! While the stall state is `Stopped` (RocksDB's rules, computed by core) writes wait in
//! the queue and reads are still served.

use crate::info::info_text;
use crate::remote_primary::{PrimaryHost, REMOTE_POLL, RemoteLink};
use crate::request::Request;
use crate::writer_batch::{Batch, Terminal, commit_writes, serve_keys, serve_reads};
use crate::writer_host::{NodeWriter, WriterHost};
use lsm_core::compaction::StallState;
use lsm_core::roles::writer::{WRITER_CHECKPOINT_NAME, WriterError};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Why an incarnation stopped serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// A newer writer exists.
    Fenced,
    /// An outcome is unknown: only a new incarnation (recovery) learns the truth.
    Poisoned,
    /// Every sender is gone (the process is shutting down).
    Closed,
}

/// How often a stalled writer looks again (re-reading the manifest without a compactor).
const STALL_POLL: Duration = Duration::from_millis(100);
/// RocksDB's `Delayed` state slows writes down: each batch waits this long first.
const DELAYED_WRITE_PAUSE: Duration = Duration::from_millis(2);
/// Wait before retrying a failed flush or compaction.
const BACKGROUND_RETRY_DELAY: Duration = Duration::from_millis(100);

pub async fn serve(
    writer: &mut NodeWriter,
    host: &WriterHost,
    requests: &mut mpsc::Receiver<Request>,
    remote: Option<&mut RemoteLink>,
) -> Stop {
    let mut primary = remote.map(|link| PrimaryHost::new(link, writer));
    // Remote: the writer keeps its compactor epoch but its merges run on the workers.
    let embedded = !host.options.no_compactor && primary.is_none();
    let polls_manifest = host.options.no_compactor;
    let mut batch = Batch::default();
    let mut next_checkpoint = Instant::now() + host.schedule.checkpoint_interval;
    let mut next_poll = Instant::now() + host.schedule.manifest_poll;
    let mut compaction_due = embedded;
    let mut retry_at: Option<Instant> = None;
    let mut user_bytes = 0u64;
    loop {
        let stall = writer.stall_state();
        let stalled = matches!(stall, StallState::Stopped { .. });
        let background_due = (writer.needs_flush() || compaction_due)
            && retry_at.is_none_or(|at| Instant::now() >= at);
        let work_ready = (!stalled && !batch.writes.is_empty()) || background_due;
        if !work_ready {
            let remote = primary.is_some();
            let wake = wake_at(next_checkpoint, next_poll, stalled, retry_at, remote);
            if let Err(stop) = wait_for_request(requests, &mut batch, wake).await {
                return stop;
            }
        }
        while let Ok(request) = requests.try_recv() {
            batch.take(request);
        }
        for reply in batch.infos.drain(..) {
            let remote_info = primary.as_ref().map(PrimaryHost::info_section);
            let _ = reply.send(info_text(writer, user_bytes) + &remote_info.unwrap_or_default());
        }
        if let Err(stop) = serve_batch(writer, host, &mut batch, stall, &mut user_bytes).await {
            return stop;
        }
        match background_step(writer, &mut compaction_due).await {
            Ok(true) => retry_at = None,
            Ok(false) => retry_at = Some(Instant::now() + BACKGROUND_RETRY_DELAY),
            Err(stop) => return stop,
        }
        if let Some(primary) = primary.as_mut() {
            compaction_due = false;
            if let Err(stop) = remote_step(primary, writer).await {
                return stop;
            }
        }
        if stalled && embedded {
            // Only compaction ends a stall; no flush will re-arm it.
            compaction_due = true;
        }
        let now = Instant::now();
        if now >= next_checkpoint {
            next_checkpoint = now + host.schedule.checkpoint_interval;
            compaction_due = embedded;
            if let Err(stop) = take_checkpoint(writer).await {
                return stop;
            }
        }
        if polls_manifest && (now >= next_poll || stalled) {
            next_poll = now + host.schedule.manifest_poll;
            if let Err(error) = writer.refresh_manifest().await
                && let Err(stop) = note_or_stop(error, "manifest re-read")
            {
                return stop;
            }
        }
    }
}

/// When an idle loop wakes: the earliest of its timers.
fn wake_at(
    next_checkpoint: Instant,
    next_poll: Instant,
    stalled: bool,
    retry_at: Option<Instant>,
    remote: bool,
) -> Instant {
    let now = Instant::now();
    let stall_poll = stalled.then_some(now + STALL_POLL);
    let remote_poll = remote.then_some(now + REMOTE_POLL);
    [Some(next_poll), stall_poll, retry_at, remote_poll]
        .into_iter()
        .flatten()
        .fold(next_checkpoint, Instant::min)
}

/// Commits the queued writes (unless writes are stopped) and serves the reads and scans.
async fn serve_batch(
    writer: &mut NodeWriter,
    host: &WriterHost,
    batch: &mut Batch,
    stall: StallState,
    user_bytes: &mut u64,
) -> Result<(), Stop> {
    let stalled = matches!(stall, StallState::Stopped { .. });
    if !stalled && !batch.writes.is_empty() {
        if matches!(stall, StallState::Delayed { .. }) {
            tokio::time::sleep(DELAYED_WRITE_PAUSE).await;
        }
        let limit = host.options.commit_entries_max;
        *user_bytes += commit_writes(writer, batch, limit)
            .await
            .map_err(stop_for)?;
    }
    serve_reads(writer, batch).await.map_err(stop_for)?;
    serve_keys(writer, batch).await.map_err(stop_for)
}

/// Idle: waits for a request or until `wake`. `Err` once every sender is gone.
async fn wait_for_request(
    requests: &mut mpsc::Receiver<Request>,
    batch: &mut Batch,
    wake: Instant,
) -> Result<(), Stop> {
    tokio::select! {
        request = requests.recv() => match request {
            Some(request) => batch.take(request),
            None => return Err(Stop::Closed),
        },
        _ = tokio::time::sleep_until(wake) => {}
    }
    Ok(())
}

/// The primary's results, timeouts and dispatches (remote compaction).
async fn remote_step(primary: &mut PrimaryHost<'_>, writer: &mut NodeWriter) -> Result<(), Stop> {
    match primary.step(writer).await {
        Ok(()) => Ok(()),
        Err(error) => note_or_stop(error, "remote compaction"),
    }
}

fn stop_for(terminal: Terminal) -> Stop {
    match terminal {
        Terminal::Fenced => Stop::Fenced,
        Terminal::Poisoned => Stop::Poisoned,
    }
}

/// One flush, or else one embedded compaction. `Ok(false)`: it failed, retry later.
async fn background_step(writer: &mut NodeWriter, compaction_due: &mut bool) -> Result<bool, Stop> {
    if writer.needs_flush() {
        return match writer.flush().await {
            Ok(flushed) => {
                *compaction_due = *compaction_due || flushed.is_some();
                Ok(true)
            }
            Err(error) => note_or_stop(error, "flush").map(|()| false),
        };
    }
    if !*compaction_due {
        return Ok(true);
    }
    match writer.compact_once().await {
        Ok(Some(_)) => Ok(true),
        Ok(None) => {
            *compaction_due = false;
            Ok(true)
        }
        Err(error) => note_or_stop(error, "compaction").map(|()| false),
    }
}

/// A periodic checkpoint, unless nothing changed since the last one.
async fn take_checkpoint(writer: &mut NodeWriter) -> Result<(), Stop> {
    let manifest = writer.manifest();
    let unchanged = writer.memtable_size_bytes() == 0
        && manifest
            .checkpoints
            .iter()
            .any(|checkpoint| checkpoint.manifest_version == manifest.version);
    if unchanged {
        return Ok(());
    }
    match writer.checkpoint(WRITER_CHECKPOINT_NAME).await {
        Ok(_) => Ok(()),
        Err(error) => note_or_stop(error, "checkpoint"),
    }
}

/// A terminal error stops the incarnation; anything else is logged and retried later.
fn note_or_stop(error: WriterError, what: &str) -> Result<(), Stop> {
    eprintln!("sediment: writer {what} failed: {error}");
    match error {
        WriterError::Fenced { .. } => Err(Stop::Fenced),
        WriterError::Unresolved { .. } | WriterError::Poisoned => Err(Stop::Poisoned),
        _ => Ok(()),
    }
}
