//! A writer host: the process that runs `lsm_core`'s `Writer` on its node, takes client
//! requests from the network and answers them. Requests are handled by one sequential loop
//! (group commit: everything that arrived during the previous step forms the next batch);
//! flushes and the embedded compactor run between batches.
//!
//! A host runs a writer only while it is the active one. Killed, it loses everything but
//! the store; restarted, it opens a new incarnation (which fences the old one and replays
//! the WAL). Paused past the failover timeout, the standby host takes over; when the paused
//! host resumes it runs on as a zombie until the store tells it it was fenced, after which
//! it answers `NotLeader` to everything. An active host whose writer was fenced anyway (a
//! zombie that finished opening after the failover fences the WAL too) opens again.

use super::config::Topology;
use super::host_store::HostStore;
use super::log_style;
use super::mailbox::Mailbox;
use super::options::writer_options;
use super::protocol::{
    CLIENT_REQUEST_TAG, ClientReply, ClientRequest, KvCommand, key_bytes, parse_value, value_bytes,
    writer_host_address, writer_host_name,
};
use super::remote_primary::{PrimaryHost, REMOTE_POLL, ResultInbox, receive_results};
use super::shared::Shared;
use crate::clock::SimClock;
use crate::store::SimStore;
use lsm_core::compaction::CompactionStats;
use lsm_core::compaction::StallState;
use lsm_core::roles::manifest_io::ManifestIoError;
use lsm_core::roles::writer::{
    Durability, WRITER_CHECKPOINT_NAME, WriteOp, Writer, WriterError, WriterOptions,
};
use madsim::net::Endpoint;
use madsim::time::Instant;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Attempts to open a writer before the host gives up (it stays down; C4 sees it).
const OPEN_ATTEMPTS_MAX: u32 = 1_000;
const OPEN_RETRY_DELAY: Duration = Duration::from_millis(200);
/// Wait before retrying a failed flush or compaction when no request is waiting.
const BACKGROUND_RETRY_DELAY: Duration = Duration::from_millis(100);
/// Without its own compactor the writer re-reads the manifest this often, to pick up what
/// the standalone compactor installed (and, while stalled, to notice L0 shrink).
const MANIFEST_POLL: Duration = Duration::from_millis(500);
const STALL_POLL: Duration = Duration::from_millis(100);

type HostWriter = Writer<HostStore, SimClock>;
type Inbox = Mailbox<(ClientRequest, SocketAddr)>;

/// Why an incarnation stopped serving.
enum Stop {
    /// A newer writer exists.
    Fenced,
    /// A write's outcome is unknown; only a new incarnation (recovery) learns the truth.
    Poisoned,
}

/// The host process: what runs at every (re)start of the node.
pub async fn host_main(shared: Arc<Shared>, store: SimStore, clock: SimClock, host: usize) {
    let name = writer_host_name(host);
    if shared.routing().active_host != host {
        return;
    }
    let endpoint = match Endpoint::bind(writer_host_address(host)).await {
        Ok(endpoint) => endpoint,
        Err(error) => {
            shared.note(&name, "host_bind_failed", error.to_string());
            return;
        }
    };
    let inbox = Inbox::default();
    madsim::task::spawn(receive(endpoint.clone(), inbox.clone()));
    let results = ResultInbox::default();
    if shared.config.lsm.topology == Topology::Remote {
        madsim::task::spawn(receive_results(endpoint.clone(), results.clone()));
    }
    let store = HostStore::new(store, shared.clone(), host);
    let options = writer_options(&shared.config);
    // Each pass is one incarnation; a poisoned one is replaced in the same process.
    loop {
        let incarnation = shared.next_incarnation(host);
        let tag = format!("{name}/i{incarnation}");
        let Some(mut writer) = open_writer(&shared, &store, &clock, &options, &tag, host).await
        else {
            break;
        };
        shared.mark_serving(host, incarnation);
        let stop = serve(&shared, &mut writer, (&inbox, &results), &endpoint, &tag).await;
        shared.set_writer_stats(&tag, writer.stats());
        shared.mark_not_serving(host, incarnation);
        match stop {
            Stop::Fenced => {
                shared.count(|c| c.writers_fenced += 1);
                shared.note(&name, "writer_fenced", tag);
                // Still the active host (a writer that lost a race, say to a zombie that
                // finished opening late): open again, as an orchestrator would restart it.
                if shared.routing().active_host != host {
                    break;
                }
            }
            Stop::Poisoned => {
                shared.count(|c| c.writers_poisoned += 1);
                shared.note(&name, "writer_poisoned", tag);
            }
        }
    }
    // Not (or no longer) the writer: say so to whoever still asks.
    loop {
        inbox.ready().await;
        for (request, from) in inbox.drain(usize::MAX) {
            reply(&endpoint, from, request.request_id, ClientReply::NotLeader).await;
        }
    }
}

/// Opens a new incarnation, retrying while this host is still the active one.
async fn open_writer(
    shared: &Shared,
    store: &HostStore,
    clock: &SimClock,
    options: &WriterOptions,
    tag: &str,
    host: usize,
) -> Option<HostWriter> {
    let name = writer_host_name(host);
    for attempt in 0..OPEN_ATTEMPTS_MAX {
        if shared.routing().active_host != host {
            return None;
        }
        let attempt_tag = format!("{tag}/a{attempt}");
        match Writer::open(store.clone(), clock.clone(), options.clone(), &attempt_tag).await {
            Ok(writer) => {
                shared.count(|c| c.writer_opens += 1);
                shared.note(
                    &name,
                    "writer_open",
                    format!(
                        "{attempt_tag} epoch={} manifest=v{} replayed={}",
                        writer.epoch(),
                        writer.manifest().version.0,
                        writer.stats().entries_replayed
                    ),
                );
                return Some(writer);
            }
            Err(error) => {
                shared.count(|c| c.writer_open_failures += 1);
                shared.note(
                    &name,
                    "writer_open_failed",
                    format!("{attempt_tag}: {error}"),
                );
                madsim::time::sleep(OPEN_RETRY_DELAY).await;
            }
        }
    }
    None
}

/// Moves requests from the network into the inbox for the lifetime of the process.
async fn receive(endpoint: Endpoint, inbox: Inbox) {
    loop {
        let Ok((payload, from)) = endpoint.recv_from_raw(CLIENT_REQUEST_TAG).await else {
            return;
        };
        let Ok(request) = payload.downcast::<ClientRequest>() else {
            continue;
        };
        if let Err((request, from)) = inbox.push((*request, from)) {
            let overloaded = ClientReply::Failed("writer host overloaded".to_string());
            reply(&endpoint, from, request.request_id, overloaded).await;
        }
    }
}

async fn reply(endpoint: &Endpoint, to: SocketAddr, request_id: u64, reply: ClientReply) {
    // A client that is gone simply never hears back.
    let _ = endpoint.send_to_raw(to, request_id, Box::new(reply)).await;
}

/// Serves until the incarnation must stop: one pass per step of the loop.
async fn serve(
    shared: &Shared,
    writer: &mut HostWriter,
    (inbox, results): (&Inbox, &ResultInbox),
    endpoint: &Endpoint,
    tag: &str,
) -> Stop {
    let mut schedule = Schedule::new(shared);
    // Topology `remote`: this writer is the primary; its compactions run on the workers.
    let mut primary = (shared.config.lsm.topology == Topology::Remote)
        .then(|| PrimaryHost::new(&shared.config, writer));
    if primary.is_some() {
        schedule.compaction_due = false;
    }
    loop {
        let passed = serve_pass(
            shared,
            writer,
            &mut schedule,
            primary.as_mut(),
            (inbox, results),
            endpoint,
            tag,
        )
        .await;
        if let Err(stop) = passed {
            return stop;
        }
    }
}

/// The serve loop's settings, timers and flags, carried from one pass to the next.
struct Schedule {
    window: Duration,
    batch_max: usize,
    checkpoint_every: Duration,
    /// Without its own compactor the writer re-reads the manifest on a timer.
    polls_manifest: bool,
    next_checkpoint: Instant,
    /// A failed flush brings the next checkpoint forward (`wal` worlds that draw it), so
    /// the window of a checkpoint taken while a flush is pending is reached.
    checkpoint_after_failed_flush: bool,
    next_poll: Instant,
    compaction_due: bool,
    background_failed: bool,
    /// The log style's compaction timer (Garnet's schedule); `None` without one.
    log_period: Option<Duration>,
    log_before_checkpoint: bool,
    next_log_compaction: Option<Instant>,
}

impl Schedule {
    fn new(shared: &Shared) -> Schedule {
        let checkpoint_every =
            Duration::from_millis(shared.config.lsm.checkpoint_interval_ms.max(1));
        let polls_manifest = shared.config.lsm.topology == Topology::Standalone;
        // The log style compacts on Garnet's schedule: before each checkpoint, or on a timer.
        // (Standalone: the compactor's node runs the timer; the writer only flushes.)
        let log_period = log_style::compaction_period(&shared.config).filter(|_| !polls_manifest);
        Schedule {
            window: Duration::from_millis(shared.config.writer.commit_window_ms),
            batch_max: shared.config.writer.commit_entries_max.max(1),
            checkpoint_every,
            polls_manifest,
            next_checkpoint: Instant::now() + checkpoint_every,
            checkpoint_after_failed_flush: shared.config.lsm.checkpoint_after_failed_flush
                && shared.config.lsm.durability == Durability::Wal,
            next_poll: Instant::now() + MANIFEST_POLL,
            compaction_due: true,
            background_failed: false,
            log_period,
            log_before_checkpoint: log_style::compacts_before_checkpoint(&shared.config),
            next_log_compaction: log_period.map(|period| Instant::now() + period),
        }
    }

    /// The log style compacts only on its schedule, never because a flush re-armed it.
    fn log_scheduled(&self) -> bool {
        self.log_period.is_some() || self.log_before_checkpoint
    }
}

/// One pass: the log timer, a wait for work, a batch, background work, the remote
/// primary, a checkpoint and a manifest poll when due.
async fn serve_pass(
    shared: &Shared,
    writer: &mut HostWriter,
    schedule: &mut Schedule,
    primary: Option<&mut PrimaryHost>,
    (inbox, results): (&Inbox, &ResultInbox),
    endpoint: &Endpoint,
    tag: &str,
) -> Result<(), Stop> {
    if schedule.log_scheduled() {
        schedule.compaction_due = false;
    }
    if let (Some(period), Some(due)) = (schedule.log_period, schedule.next_log_compaction)
        && Instant::now() >= due
    {
        schedule.next_log_compaction = Some(Instant::now() + period);
        compact_log(shared, writer, tag).await?;
    }
    let remote = primary.is_some();
    let stalled = wait_for_work(shared, writer, schedule, remote, inbox).await;
    if !stalled && !inbox.is_empty() {
        if !schedule.window.is_zero() {
            madsim::time::sleep(schedule.window).await;
        }
        let batch = inbox.drain(schedule.batch_max);
        handle_batch(shared, writer, endpoint, batch, tag).await?;
    }
    shared.set_writer_stats(tag, writer.stats());
    schedule.background_failed =
        background_step(shared, writer, &mut schedule.compaction_due, tag).await?;
    // The window of a checkpoint requested while a failed flush is pending.
    if schedule.background_failed
        && schedule.checkpoint_after_failed_flush
        && writer.flush_pending()
    {
        schedule.next_checkpoint = Instant::now();
    }
    if let Some(primary) = primary {
        schedule.compaction_due = false;
        let stepped = primary.step(shared, writer, results, endpoint, tag).await;
        if let Err(error) = stepped {
            stop_or_retry(shared, tag, "remote_failed", error)?;
        }
    }
    checkpoint_if_due(shared, writer, schedule, remote, tag).await?;
    if schedule.polls_manifest && Instant::now() >= schedule.next_poll {
        schedule.next_poll = Instant::now() + MANIFEST_POLL;
        if let Err(error) = writer.refresh_manifest().await {
            stop_or_retry(shared, tag, "manifest_poll_failed", error)?;
        }
    }
    Ok(())
}

/// Sleeps out a write stall, or waits for a request or the next timer when idle. Returns
/// whether writes are stalled.
async fn wait_for_work(
    shared: &Shared,
    writer: &HostWriter,
    schedule: &mut Schedule,
    remote: bool,
    inbox: &Inbox,
) -> bool {
    let stalled = matches!(writer.stall_state(), StallState::Stopped { .. });
    let background_due = writer.needs_flush() || schedule.compaction_due;
    if stalled {
        // RocksDB's stop rule: no write until compaction brings L0 back down.
        let started = Instant::now();
        madsim::time::sleep(STALL_POLL).await;
        let stalled_ms = started.elapsed().as_millis() as u64;
        shared.count(|c| c.stall_ms += stalled_ms);
        schedule.next_poll = Instant::now();
        // Only compaction ends a stall: keep trying (no flush will re-arm it).
        schedule.compaction_due = !remote;
    } else if inbox.is_empty() {
        let mut timer = schedule.next_checkpoint.min(if schedule.polls_manifest {
            schedule.next_poll
        } else {
            schedule.next_checkpoint
        });
        if remote {
            timer = timer.min(Instant::now() + REMOTE_POLL);
        }
        let timer = schedule
            .next_log_compaction
            .map_or(timer, |due| timer.min(due));
        let until_timer = timer.saturating_duration_since(Instant::now());
        if !background_due {
            let _ = madsim::time::timeout(until_timer, inbox.ready()).await;
        } else if schedule.background_failed {
            let wait = BACKGROUND_RETRY_DELAY.min(until_timer);
            let _ = madsim::time::timeout(wait, inbox.ready()).await;
        }
    }
    stalled
}

/// At each checkpoint period: re-arm the embedded compactor, compact the log style, and
/// take a checkpoint unless nothing changed since the last one.
async fn checkpoint_if_due(
    shared: &Shared,
    writer: &mut HostWriter,
    schedule: &mut Schedule,
    remote: bool,
    tag: &str,
) -> Result<(), Stop> {
    if Instant::now() < schedule.next_checkpoint {
        return Ok(());
    }
    schedule.next_checkpoint = Instant::now() + schedule.checkpoint_every;
    // Re-arm the embedded compactor now and then: a pick that found nothing (or went
    // stale) is not re-armed by a flush while the writer is idle.
    schedule.compaction_due = !remote;
    if schedule.log_before_checkpoint {
        compact_log(shared, writer, tag).await?;
    }
    let manifest = writer.manifest();
    let unchanged = writer.memtable_size_bytes() == 0
        && !writer.flush_pending()
        && manifest
            .checkpoints
            .iter()
            .any(|checkpoint| checkpoint.manifest_version == manifest.version);
    if !unchanged {
        take_checkpoint(shared, writer, tag).await?;
    }
    Ok(())
}

/// A periodic checkpoint; a failure other than fencing waits for the next period.
async fn take_checkpoint(shared: &Shared, writer: &mut HostWriter, tag: &str) -> Result<(), Stop> {
    // The serve loop awaits every flush, so a flush still pending here has failed.
    let failed_flush_pending =
        shared.config.lsm.durability == Durability::Wal && writer.flush_pending();
    if failed_flush_pending {
        shared.coverage.hit("checkpoint-failed-flush", "requested");
    }
    match writer.checkpoint(WRITER_CHECKPOINT_NAME).await {
        Ok(checkpoint) => {
            if failed_flush_pending {
                shared.coverage.hit("checkpoint-failed-flush", "landed");
            }
            shared.note(
                tag,
                "checkpoint",
                format!("id={} v{}", checkpoint.id, checkpoint.manifest_version.0),
            );
            Ok(())
        }
        Err(error) => stop_or_retry(shared, tag, "checkpoint_failed", error).map(|_| ()),
    }
}

/// The log style's scheduled compaction: the embedded compactor until it has nothing to do
/// (boundedly). A failure other than fencing waits for the next turn.
async fn compact_log(shared: &Shared, writer: &mut HostWriter, tag: &str) -> Result<(), Stop> {
    for _ in 0..log_style::COMPACTIONS_BEFORE_CHECKPOINT_MAX {
        match writer.compact_once().await {
            Ok(Some(stats)) => note_compaction(shared, tag, &stats),
            Ok(None) => return Ok(()),
            Err(error) => {
                return stop_or_retry(shared, tag, "compaction_failed", error).map(|_| ());
            }
        }
    }
    Ok(())
}

fn note_compaction(shared: &Shared, tag: &str, stats: &CompactionStats) {
    log_style::record_cost(shared, stats);
    shared.note(
        tag,
        "compaction",
        format!(
            "{:?} {:?} to L{} inputs={} outputs={} bytes_in={} bytes_out={}",
            stats.kind,
            stats.reason,
            stats.output_level,
            stats.input_files,
            stats.output_files,
            stats.input_bytes,
            stats.output_bytes
        ),
    );
}

/// One flush, or else one compaction. Returns whether it failed (to be retried later).
async fn background_step(
    shared: &Shared,
    writer: &mut HostWriter,
    compaction_due: &mut bool,
    tag: &str,
) -> Result<bool, Stop> {
    if writer.needs_flush() {
        return match writer.flush().await {
            Ok(flushed) => {
                if let Some(meta) = flushed {
                    *compaction_due = true;
                    shared.note(
                        tag,
                        "flush",
                        format!("sst={} bytes={}", meta.id, meta.size_bytes),
                    );
                }
                Ok(false)
            }
            Err(error) => stop_or_retry(shared, tag, "flush_failed", error),
        };
    }
    if !*compaction_due {
        return Ok(false);
    }
    match writer.compact_once().await {
        Ok(Some(stats)) => {
            note_compaction(shared, tag, &stats);
            Ok(false)
        }
        Ok(None) => {
            *compaction_due = false;
            Ok(false)
        }
        Err(error) => {
            if let WriterError::Manifest(ManifestIoError::Rejected(rejected)) = &error
                && !rejected.is_fenced()
            {
                shared.edit_refused(tag, rejected.to_string());
            }
            stop_or_retry(shared, tag, "compaction_failed", error)
        }
    }
}

/// A terminal error stops the incarnation; anything else is retried later.
fn stop_or_retry(shared: &Shared, tag: &str, kind: &str, error: WriterError) -> Result<bool, Stop> {
    shared.note(tag, kind, error.to_string());
    match error {
        WriterError::Fenced { .. } => Err(Stop::Fenced),
        WriterError::Unresolved { .. } | WriterError::Poisoned => Err(Stop::Poisoned),
        _ => Ok(true),
    }
}

/// One group commit: the batch's writes as one WAL commit, then its reads (after the
/// writes, and after confirming this writer still leads).
async fn handle_batch(
    shared: &Shared,
    writer: &mut HostWriter,
    endpoint: &Endpoint,
    batch: Vec<(ClientRequest, SocketAddr)>,
    tag: &str,
) -> Result<(), Stop> {
    let split = split_batch(batch, shared.config.clients.value_bytes);
    let stop = if split.ops.is_empty() {
        None
    } else {
        commit_writes(shared, writer, endpoint, &split.ops, split.writers, tag).await
    };
    if split.readers.is_empty() {
        return stop.map_or(Ok(()), Err);
    }
    if stop.is_some() {
        for (request_id, from, _) in split.readers {
            reply(endpoint, from, request_id, ClientReply::NotLeader).await;
        }
        return stop.map_or(Ok(()), Err);
    }
    serve_reads(shared, writer, endpoint, split.readers).await
}

/// A batch sorted into one commit's operations, who waits for it, and the reads.
struct SplitBatch {
    ops: Vec<WriteOp>,
    writers: Vec<(u64, SocketAddr)>,
    readers: Vec<(u64, SocketAddr, u64)>,
}

fn split_batch(batch: Vec<(ClientRequest, SocketAddr)>, value_size: u32) -> SplitBatch {
    let mut split = SplitBatch {
        ops: Vec::new(),
        writers: Vec::new(),
        readers: Vec::new(),
    };
    for (request, from) in batch {
        match request.command {
            KvCommand::Get { key } => split.readers.push((request.request_id, from, key)),
            KvCommand::Put {
                key,
                value,
                expires_at_ms,
            } => {
                split.ops.push(WriteOp::Put {
                    key: key_bytes(key),
                    value: value_bytes(value, value_size),
                    expires_at_ms,
                });
                split.writers.push((request.request_id, from));
            }
            KvCommand::Delete { key } => {
                split.ops.push(WriteOp::Delete {
                    key: key_bytes(key),
                });
                split.writers.push((request.request_id, from));
            }
        }
    }
    split
}

/// Commits `ops` and answers every writer; returns why the incarnation must stop, if so.
async fn commit_writes(
    shared: &Shared,
    writer: &mut HostWriter,
    endpoint: &Endpoint,
    ops: &[WriteOp],
    writers: Vec<(u64, SocketAddr)>,
    tag: &str,
) -> Option<Stop> {
    let (answer, outcome) = match writer.commit(ops).await {
        Ok(receipt) => {
            shared.wal_fence.on_acknowledged(tag, receipt.wal_id);
            let user_bytes: u64 = ops.iter().map(op_user_bytes).sum();
            let writes = ops.len() as u64;
            shared.count(|c| {
                c.user_bytes_written += user_bytes;
                c.user_writes += writes;
            });
            (ClientReply::Written, None)
        }
        Err(error @ WriterError::Fenced { .. }) => {
            (ClientReply::NotLeader, Some((Stop::Fenced, error)))
        }
        Err(error) if error.outcome_unknown() => (
            ClientReply::Unknown(error.to_string()),
            Some((Stop::Poisoned, error)),
        ),
        Err(error @ WriterError::Poisoned) => (
            ClientReply::Failed(error.to_string()),
            Some((Stop::Poisoned, error)),
        ),
        Err(error) => (ClientReply::Failed(error.to_string()), None),
    };
    for (request_id, from) in writers {
        reply(endpoint, from, request_id, answer.clone()).await;
    }
    let (why, error) = outcome?;
    shared.note(tag, "commit_stopped", error.to_string());
    Some(why)
}

/// Answers the batch's reads once this writer has confirmed it still leads.
async fn serve_reads(
    shared: &Shared,
    writer: &mut HostWriter,
    endpoint: &Endpoint,
    readers: Vec<(u64, SocketAddr, u64)>,
) -> Result<(), Stop> {
    // Every read in the batch arrived before this check, so a read served after it cannot
    // miss a write a newer writer acknowledged.
    if let Err(error) = writer.confirm_leadership().await {
        let fenced = matches!(error, WriterError::Fenced { .. });
        let answer = if fenced {
            ClientReply::NotLeader
        } else {
            ClientReply::Failed(error.to_string())
        };
        for (request_id, from, _) in readers {
            reply(endpoint, from, request_id, answer.clone()).await;
        }
        return if fenced { Err(Stop::Fenced) } else { Ok(()) };
    }
    for (request_id, from, key) in readers {
        let answer = match writer.get(&key_bytes(key)).await {
            Ok(read) => {
                shared.record_read_cost(read.cost.blocks, read.cost.sorted_runs);
                ClientReply::Read(read.value.map(|bytes| parse_value(&bytes)).transpose())
            }
            Err(error) => ClientReply::Failed(error.to_string()),
        };
        reply(endpoint, from, request_id, answer).await;
    }
    Ok(())
}

/// Key + value bytes of one write, as amplification counts user bytes.
fn op_user_bytes(op: &WriteOp) -> u64 {
    match op {
        WriteOp::Put { key, value, .. } => (key.len() + value.len()) as u64,
        WriteOp::Delete { key } => key.len() as u64,
    }
}
