//! One group commit and the reads served after it. A batch's writes are decided in arrival
//! order against the writer's state plus the batch's own earlier writes (so `SET NX` and
//! `DEL`'s count see each other), committed as one WAL segment, and each client is answered
//! only after `commit` returned `Ok` (durable).

use crate::glob::glob_match;
use crate::request::{ClientError, ClientWrite, Condition, Request};
use crate::writer_host::NodeWriter;
use bytes::Bytes;
use lsm_core::roles::writer::{WriteOp, WriterError};
use std::collections::BTreeMap;
use tokio::sync::oneshot;

type WriteReply = oneshot::Sender<Result<Vec<bool>, ClientError>>;
type ReadReply = oneshot::Sender<Result<Vec<Option<Bytes>>, ClientError>>;
type KeysReply = oneshot::Sender<Result<Vec<Bytes>, ClientError>>;

/// Requests taken from the queue, waiting for their turn.
#[derive(Default)]
pub struct Batch {
    pub writes: Vec<(Vec<ClientWrite>, WriteReply)>,
    pub reads: Vec<(Vec<Bytes>, ReadReply)>,
    pub keys: Vec<(Bytes, KeysReply)>,
    pub infos: Vec<oneshot::Sender<String>>,
}

impl Batch {
    pub fn take(&mut self, request: Request) {
        match request {
            Request::Write { writes, reply } => self.writes.push((writes, reply)),
            Request::Read { keys, reply } => self.reads.push((keys, reply)),
            Request::Keys { pattern, reply } => self.keys.push((pattern, reply)),
            Request::Info { reply } => self.infos.push(reply),
        }
    }
}

/// Why the incarnation must stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terminal {
    Fenced,
    Poisoned,
}

/// Commits the queued writes, at most `entries_max` per WAL segment (a command's writes
/// never split). Returns the user bytes (keys and values) made durable.
pub async fn commit_writes(
    writer: &mut NodeWriter,
    batch: &mut Batch,
    entries_max: usize,
) -> Result<u64, Terminal> {
    let mut user_bytes = 0;
    while !batch.writes.is_empty() {
        let mut group = Vec::new();
        let mut entries = 0;
        while let Some((writes, _)) = batch.writes.first() {
            if !group.is_empty() && entries + writes.len() > entries_max.max(1) {
                break;
            }
            entries += writes.len();
            group.push(batch.writes.remove(0));
        }
        user_bytes += commit_group(writer, group).await?;
    }
    Ok(user_bytes)
}

async fn commit_group(
    writer: &mut NodeWriter,
    group: Vec<(Vec<ClientWrite>, WriteReply)>,
) -> Result<u64, Terminal> {
    let mut overlay: BTreeMap<Bytes, bool> = BTreeMap::new();
    let mut ops = Vec::new();
    let mut answers = Vec::new();
    for (writes, reply) in group {
        match decide_command(writer, &mut overlay, &writes).await {
            Ok((command_ops, flags)) => {
                ops.extend(command_ops);
                answers.push((reply, Ok(flags)));
            }
            Err(error) => answers.push((reply, Err(error))),
        }
    }
    if ops.is_empty() {
        answer_all(answers, None);
        return Ok(0);
    }
    let user_bytes: u64 = ops.iter().map(op_user_bytes).sum();
    match writer.commit(&ops).await {
        Ok(receipt) => {
            assert!(
                receipt.first_seq <= receipt.last_seq,
                "a commit assigns sequence numbers"
            );
            answer_all(answers, None);
            Ok(user_bytes)
        }
        Err(error) => {
            let terminal = terminal_of(&error);
            let text = if error.outcome_unknown() {
                format!("UNKNOWN outcome unknown, the write may or may not be applied: {error}")
            } else if terminal == Some(Terminal::Fenced) {
                format!("FENCED this writer was fenced by a newer one: {error}")
            } else {
                format!("ERR write failed, not applied: {error}")
            };
            answer_all(answers, Some(text));
            terminal.map_or(Ok(0), Err)
        }
    }
}

/// One command's ops and per-write answers, seen against the state and the batch so far.
async fn decide_command(
    writer: &mut NodeWriter,
    overlay: &mut BTreeMap<Bytes, bool>,
    writes: &[ClientWrite],
) -> Result<(Vec<WriteOp>, Vec<bool>), ClientError> {
    let mut ops = Vec::new();
    let mut flags = Vec::new();
    let mut staged = overlay.clone();
    for write in writes {
        let key = write.key().clone();
        let exists = match staged.get(&key) {
            Some(exists) => *exists,
            None => {
                let read = writer
                    .get(&key)
                    .await
                    .map_err(|e| format!("ERR read failed: {e}"))?;
                read.value.is_some()
            }
        };
        match write {
            ClientWrite::Set {
                value,
                expires_at_ms,
                condition,
                ..
            } => {
                let applies = match condition {
                    None => true,
                    Some(Condition::Absent) => !exists,
                    Some(Condition::Present) => exists,
                };
                if applies {
                    staged.insert(key.clone(), true);
                    ops.push(WriteOp::Put {
                        key,
                        value: value.clone(),
                        expires_at_ms: *expires_at_ms,
                    });
                }
                flags.push(applies);
            }
            ClientWrite::Delete { .. } => {
                staged.insert(key.clone(), false);
                ops.push(WriteOp::Delete { key });
                flags.push(exists);
            }
        }
    }
    *overlay = staged;
    Ok((ops, flags))
}

fn answer_all(answers: Vec<(WriteReply, Result<Vec<bool>, ClientError>)>, failed: Option<String>) {
    for (reply, answer) in answers {
        let answer = match (&failed, answer) {
            (Some(text), Ok(_)) => Err(text.clone()),
            (_, answer) => answer,
        };
        // A client that hung up simply never hears back.
        let _ = reply.send(answer);
    }
}

fn terminal_of(error: &WriterError) -> Option<Terminal> {
    match error {
        WriterError::Fenced { .. } => Some(Terminal::Fenced),
        WriterError::Unresolved { .. } | WriterError::Poisoned => Some(Terminal::Poisoned),
        _ => None,
    }
}

/// Serves the queued reads. Every one arrived before the leadership check, so none can
/// miss a write a newer writer acknowledged.
pub async fn serve_reads(writer: &mut NodeWriter, batch: &mut Batch) -> Result<(), Terminal> {
    if batch.reads.is_empty() {
        return Ok(());
    }
    let reads = std::mem::take(&mut batch.reads);
    if let Err(error) = writer.confirm_leadership().await {
        let terminal = terminal_of(&error);
        for (_, reply) in reads {
            let _ = reply.send(Err(read_error(&error)));
        }
        return terminal.map_or(Ok(()), Err);
    }
    for (keys, reply) in reads {
        let mut values = Vec::with_capacity(keys.len());
        let mut failed = None;
        for key in &keys {
            match writer.get(key).await {
                Ok(read) => values.push(read.value),
                Err(error) => {
                    failed = Some(read_error(&error));
                    break;
                }
            }
        }
        let _ = reply.send(failed.map_or(Ok(values), Err));
    }
    Ok(())
}

/// Serves the queued KEYS commands from a leadership-confirmed scan.
pub async fn serve_keys(writer: &mut NodeWriter, batch: &mut Batch) -> Result<(), Terminal> {
    if batch.keys.is_empty() {
        return Ok(());
    }
    let requests = std::mem::take(&mut batch.keys);
    let scanned = match writer.confirm_leadership().await {
        Ok(()) => writer.scan(.., usize::MAX).await,
        Err(error) => Err(error),
    };
    match scanned {
        Ok(entries) => {
            for (pattern, reply) in requests {
                let keys = entries
                    .iter()
                    .filter(|(key, _)| glob_match(&pattern, key))
                    .map(|(key, _)| key.clone())
                    .collect();
                let _ = reply.send(Ok(keys));
            }
            Ok(())
        }
        Err(error) => {
            for (_, reply) in requests {
                let _ = reply.send(Err(read_error(&error)));
            }
            terminal_of(&error).map_or(Ok(()), Err)
        }
    }
}

fn read_error(error: &WriterError) -> ClientError {
    match error {
        WriterError::Fenced { .. } => {
            format!("FENCED this writer was fenced by a newer one: {error}")
        }
        other => format!("ERR read failed: {other}"),
    }
}

/// Key + value bytes of one write, as write amplification counts user bytes.
fn op_user_bytes(op: &WriteOp) -> u64 {
    match op {
        WriteOp::Put { key, value, .. } => (key.len() + value.len()) as u64,
        WriteOp::Delete { key } => key.len() as u64,
    }
}
