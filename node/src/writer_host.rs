//! The writer process's role host: one tokio task owns core's `Writer` (its methods take
//! `&mut self`) and is fed by a channel. Each pass of the loop is one incarnation: opening
//! fences older writers and replays the WAL; an incarnation whose write outcome is unknown
//! (poisoned) is replaced in the same process, as the simulator's host does, unless a newer
//! writer opened meanwhile (then this process is a zombie). A fenced one stops serving:
//! every later request is answered with an error saying so.

use crate::options::Schedule;
use crate::remote_primary::RemoteLink;
use crate::request::Request;
use crate::writer_serve::{Stop, serve};
use lsm_core::roles::manifest_io::read_latest_manifest;
use lsm_core::roles::writer::{Writer, WriterOptions};
use std::time::Duration;
use stores::{RealStore, SystemClock};
use tokio::sync::{mpsc, oneshot};

pub type NodeWriter = Writer<RealStore, SystemClock>;

const OPEN_RETRY_DELAY: Duration = Duration::from_millis(200);
const OPEN_ATTEMPTS_MAX: u32 = 300;
const SUPERSEDED_READ_ATTEMPTS_MAX: u32 = 25;

/// Everything the writer task needs.
pub struct WriterHost {
    pub store: RealStore,
    pub clock: SystemClock,
    pub options: WriterOptions,
    pub schedule: Schedule,
    /// Distinguishes this process's incarnations' write tags from every other process's.
    pub process_tag: String,
}

/// Runs the writer on a thread of its own with a single-threaded runtime: core's writer
/// futures are not `Send` (they hold borrows of the manifest across awaits), and one thread
/// is all a `&mut self` writer can use anyway. The receiver hears why it stopped.
pub fn spawn_writer_thread(
    host: WriterHost,
    requests: mpsc::Receiver<Request>,
    remote: Option<RemoteLink>,
) -> std::io::Result<oneshot::Receiver<Stop>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (stopped, stop) = oneshot::channel();
    std::thread::Builder::new()
        .name("writer".to_string())
        .spawn(move || {
            let why = runtime.block_on(run_writer(host, requests, remote));
            let _ = stopped.send(why);
        })?;
    Ok(stop)
}

/// Runs until the channel closes. Returns why it stopped serving, for the exit status.
/// With `remote`, each incarnation is the primary of the workers connected to it.
pub async fn run_writer(
    host: WriterHost,
    mut requests: mpsc::Receiver<Request>,
    mut remote: Option<RemoteLink>,
) -> Stop {
    let mut incarnation = 0u64;
    loop {
        incarnation += 1;
        let tag = format!("{}/i{incarnation}", host.process_tag);
        let Some(mut writer) = open(&host, &tag).await else {
            answer_forever(&mut requests, "writer could not open the store").await;
            return Stop::Closed;
        };
        eprintln!(
            "sediment: writer {tag} open: epoch {} manifest v{} replayed {} entries",
            writer.epoch(),
            writer.manifest().version.0,
            writer.stats().entries_replayed
        );
        let epoch = writer.epoch();
        let mut stop = serve(&mut writer, &host, &mut requests, remote.as_mut()).await;
        drop(writer);
        if stop == Stop::Poisoned {
            eprintln!("sediment: writer {tag} poisoned (an outcome is unknown)");
            if superseded(&host, epoch).await {
                stop = Stop::Fenced;
            } else {
                eprintln!("sediment: writer {tag}: no newer writer, reopening");
                continue;
            }
        }
        if stop == Stop::Fenced {
            eprintln!("sediment: writer {tag} fenced: a newer writer took over");
            answer_forever(
                &mut requests,
                "FENCED this writer was fenced by a newer one",
            )
            .await;
        }
        return stop;
    }
}

/// Whether a writer newer than `epoch` opened. A poisoned incarnation reopens (recovery
/// learns the unknown outcome) only while its process is still the newest writer: one that
/// was paused while a successor took over is a zombie, and reopening would fence the
/// successor. Unreadable manifests count as not superseded (the reopen then tells).
async fn superseded(host: &WriterHost, epoch: lsm_core::ids::Epoch) -> bool {
    let retry = host.options.retry;
    for _ in 0..SUPERSEDED_READ_ATTEMPTS_MAX {
        match read_latest_manifest(&host.store, &host.clock, &retry).await {
            Ok(manifest) => return manifest.writer_epoch > epoch,
            Err(error) => {
                eprintln!("sediment: writer cannot read the manifest: {error}");
                tokio::time::sleep(OPEN_RETRY_DELAY).await;
            }
        }
    }
    false
}

async fn open(host: &WriterHost, tag: &str) -> Option<NodeWriter> {
    for attempt in 0..OPEN_ATTEMPTS_MAX {
        let attempt_tag = format!("{tag}/a{attempt}");
        let opened = Writer::open(
            host.store.clone(),
            host.clock,
            host.options.clone(),
            &attempt_tag,
        )
        .await;
        match opened {
            Ok(writer) => return Some(writer),
            Err(error) => {
                eprintln!("sediment: writer open {attempt_tag} failed: {error}");
                tokio::time::sleep(OPEN_RETRY_DELAY).await;
            }
        }
    }
    None
}

/// Answers every request with `error` until the channel closes.
async fn answer_forever(requests: &mut mpsc::Receiver<Request>, error: &str) {
    while let Some(request) = requests.recv().await {
        let error = error.to_string();
        match request {
            Request::Write { reply, .. } => drop(reply.send(Err(error))),
            Request::Read { reply, .. } => drop(reply.send(Err(error))),
            Request::Keys { reply, .. } => drop(reply.send(Err(error))),
            Request::Info { reply } => drop(reply.send(format!("# Writer\r\nstopped:{error}\r\n"))),
        }
    }
}
