//! Command dispatch: a client's frame in, the reply frame out. Writes and reads go to the
//! writer task; nothing here decides anything about the tree.

use crate::request::{ClientError, ClientWrite, Condition, Request};
use bytes::Bytes;
use lsm_core::clock::Clock;
use redis_protocol::resp2::types::OwnedFrame;
use stores::SystemClock;
use tokio::sync::{mpsc, oneshot};

/// What the connection does after replying.
pub enum Next {
    Continue,
    Close,
}

pub struct Dispatcher {
    pub writer: mpsc::Sender<Request>,
    pub clock: SystemClock,
}

impl Dispatcher {
    pub async fn handle(&self, frame: OwnedFrame) -> (OwnedFrame, Next) {
        let args = match arguments(frame) {
            Ok(args) => args,
            Err(error) => return (error_frame(error), Next::Continue),
        };
        let Some(name) = args.first() else {
            return (error_frame("ERR empty command".to_string()), Next::Continue);
        };
        let name = String::from_utf8_lossy(name).to_ascii_uppercase();
        let rest = &args[1..];
        let reply = match name.as_str() {
            "PING" => Ok(ping(rest)),
            "QUIT" => return (OwnedFrame::SimpleString(b"OK".to_vec()), Next::Close),
            "COMMAND" => Ok(OwnedFrame::Array(Vec::new())),
            "GET" => self.get(rest).await,
            "EXISTS" => self.exists(rest).await,
            "SET" => self.set(rest).await,
            "DEL" => self.del(rest).await,
            "KEYS" => self.keys(rest).await,
            "INFO" => self.info().await,
            _ => Err(format!("ERR unknown command '{name}'")),
        };
        (reply.unwrap_or_else(error_frame), Next::Continue)
    }

    async fn get(&self, args: &[Bytes]) -> Result<OwnedFrame, ClientError> {
        let [key] = args else {
            return Err(arity("get"));
        };
        let values = self.read(vec![key.clone()]).await?;
        Ok(match values.into_iter().next().flatten() {
            Some(value) => OwnedFrame::BulkString(value.to_vec()),
            None => OwnedFrame::Null,
        })
    }

    async fn exists(&self, args: &[Bytes]) -> Result<OwnedFrame, ClientError> {
        if args.is_empty() {
            return Err(arity("exists"));
        }
        let values = self.read(args.to_vec()).await?;
        Ok(OwnedFrame::Integer(values.iter().flatten().count() as i64))
    }

    async fn set(&self, args: &[Bytes]) -> Result<OwnedFrame, ClientError> {
        let [key, value, options @ ..] = args else {
            return Err(arity("set"));
        };
        let (ttl_ms, condition) = set_options(options)?;
        let expires_at_ms = ttl_ms.map(|ttl| self.clock.wall_ms().saturating_add(ttl));
        let write = ClientWrite::Set {
            key: key.clone(),
            value: value.clone(),
            expires_at_ms,
            condition,
        };
        let applied = self.write(vec![write]).await?;
        Ok(if applied.first() == Some(&true) {
            OwnedFrame::SimpleString(b"OK".to_vec())
        } else {
            OwnedFrame::Null
        })
    }

    async fn del(&self, args: &[Bytes]) -> Result<OwnedFrame, ClientError> {
        if args.is_empty() {
            return Err(arity("del"));
        }
        let writes = args
            .iter()
            .map(|key| ClientWrite::Delete { key: key.clone() })
            .collect();
        let existed = self.write(writes).await?;
        Ok(OwnedFrame::Integer(
            existed.iter().filter(|e| **e).count() as i64
        ))
    }

    async fn keys(&self, args: &[Bytes]) -> Result<OwnedFrame, ClientError> {
        let [pattern] = args else {
            return Err(arity("keys"));
        };
        let (reply, answer) = oneshot::channel();
        self.send(Request::Keys {
            pattern: pattern.clone(),
            reply,
        })
        .await?;
        let keys = answer.await.map_err(|_| gone())??;
        Ok(OwnedFrame::Array(
            keys.into_iter()
                .map(|key| OwnedFrame::BulkString(key.to_vec()))
                .collect(),
        ))
    }

    async fn info(&self) -> Result<OwnedFrame, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Info { reply }).await?;
        let text = answer.await.map_err(|_| gone())?;
        Ok(OwnedFrame::BulkString(text.into_bytes()))
    }

    async fn read(&self, keys: Vec<Bytes>) -> Result<Vec<Option<Bytes>>, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Read { keys, reply }).await?;
        answer.await.map_err(|_| gone())?
    }

    async fn write(&self, writes: Vec<ClientWrite>) -> Result<Vec<bool>, ClientError> {
        let count = writes.len();
        let (reply, answer) = oneshot::channel();
        self.send(Request::Write { writes, reply }).await?;
        let flags = answer.await.map_err(|_| gone())??;
        assert_eq!(flags.len(), count, "one answer per write");
        Ok(flags)
    }

    async fn send(&self, request: Request) -> Result<(), ClientError> {
        self.writer.send(request).await.map_err(|_| gone())
    }
}

/// The writer task ended before answering: the outcome of a write is unknown.
fn gone() -> ClientError {
    "UNKNOWN the writer stopped before answering".to_string()
}

fn arity(command: &str) -> ClientError {
    format!("ERR wrong number of arguments for '{command}' command")
}

/// SET's options: `EX seconds`, `PX milliseconds`, `NX`, `XX` (Redis's spellings).
fn set_options(options: &[Bytes]) -> Result<(Option<u64>, Option<Condition>), ClientError> {
    let syntax = || "ERR syntax error".to_string();
    let (mut ttl_ms, mut condition) = (None, None);
    let mut words = options.iter();
    while let Some(word) = words.next() {
        let word = String::from_utf8_lossy(word).to_ascii_uppercase();
        match word.as_str() {
            "EX" | "PX" => {
                if ttl_ms.is_some() {
                    return Err(syntax());
                }
                let amount = words.next().ok_or_else(syntax)?;
                let amount: u64 = std::str::from_utf8(amount)
                    .ok()
                    .and_then(|text| text.parse().ok())
                    .filter(|amount| *amount > 0)
                    .ok_or_else(|| "ERR invalid expire time in 'set' command".to_string())?;
                let scale = if word == "EX" { 1_000 } else { 1 };
                ttl_ms = Some(amount.checked_mul(scale).ok_or_else(syntax)?);
            }
            "NX" | "XX" if condition.is_none() => {
                condition = Some(if word == "NX" {
                    Condition::Absent
                } else {
                    Condition::Present
                });
            }
            _ => return Err(syntax()),
        }
    }
    Ok((ttl_ms, condition))
}

fn ping(args: &[Bytes]) -> OwnedFrame {
    match args.first() {
        Some(message) => OwnedFrame::BulkString(message.to_vec()),
        None => OwnedFrame::SimpleString(b"PONG".to_vec()),
    }
}

/// A command is an array of bulk strings.
fn arguments(frame: OwnedFrame) -> Result<Vec<Bytes>, ClientError> {
    let OwnedFrame::Array(items) = frame else {
        return Err("ERR a command is an array of bulk strings".to_string());
    };
    items
        .into_iter()
        .map(|item| match item {
            OwnedFrame::BulkString(bytes) | OwnedFrame::SimpleString(bytes) => {
                Ok(Bytes::from(bytes))
            }
            _ => Err("ERR a command is an array of bulk strings".to_string()),
        })
        .collect()
}

/// `-ERR ...` as RESP wants it; texts that start with an upper-case code keep it.
fn error_frame(text: ClientError) -> OwnedFrame {
    let coded = text
        .split(' ')
        .next()
        .is_some_and(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase()));
    OwnedFrame::Error(if coded { text } else { format!("ERR {text}") })
}
