//! The end of a run: faults stop, the writer must serve again, and a final reader reads
//! every key so that a lost acknowledged write shows up in C1.

use super::client::{Client, ClientPlan};
use super::protocol::{ClientReply, KvCommand, value_bytes};
use super::shared::Shared;
use super::supervisor::Supervisor;
use std::sync::Arc;
use std::time::Duration;

/// How long the writer may take to serve again once faults stop, per restart attempt.
const RECOVERY_WAIT: Duration = Duration::from_secs(600);
const RECOVERY_POLL: Duration = Duration::from_millis(100);
const RECOVERY_RESTARTS_MAX: u32 = 3;
/// A final read gets this long, and this many tries.
const FINAL_READ_TIMEOUT: Duration = Duration::from_secs(60);
const FINAL_READ_TRIES_MAX: u32 = 5;

/// Waits until a writer serves, restarting the active host if it stays down. Returns
/// whether one serves.
pub async fn await_recovery(shared: &Shared, supervisor: &Supervisor) -> bool {
    for attempt in 0..=RECOVERY_RESTARTS_MAX {
        if attempt > 0 {
            supervisor.restart_active();
        }
        let polls = RECOVERY_WAIT.as_millis() / RECOVERY_POLL.as_millis();
        for _ in 0..polls {
            if shared.routing().serving.is_some() {
                return true;
            }
            madsim::time::sleep(RECOVERY_POLL).await;
        }
    }
    false
}

/// What the final reads found.
#[derive(Clone, Debug, Default)]
pub struct FinalReads {
    pub reads: u64,
    pub unanswered: Vec<u64>,
    /// Key + value bytes of every key present at the end.
    pub live_logical_bytes: u64,
}

/// Reads every key of the key space once, with retries, recording each read in the history.
pub async fn final_reads(shared: Arc<Shared>, reader_index: u32) -> Result<FinalReads, String> {
    let plan = ClientPlan {
        index: reader_index,
        node: "final-reader".to_string(),
        ops: 0,
        timeout: FINAL_READ_TIMEOUT,
    };
    let mut client = Client::connect(shared.clone(), &plan)
        .await
        .map_err(|error| format!("final reader could not bind: {error}"))?;
    let mut found = FinalReads::default();
    let value_size = u64::from(value_bytes(0, shared.config.clients.value_bytes).len() as u32);
    for key in 0..shared.config.clients.key_space {
        let mut answered = false;
        for _ in 0..FINAL_READ_TRIES_MAX {
            found.reads += 1;
            match client.run(KvCommand::Get { key }).await {
                Some(ClientReply::Read(Ok(value))) => {
                    if value.is_some() {
                        found.live_logical_bytes += 16 + value_size;
                    }
                    answered = true;
                    break;
                }
                Some(ClientReply::Read(Err(_))) => {
                    answered = true;
                    break;
                }
                _ => {}
            }
        }
        if !answered {
            found.unanswered.push(key);
        }
    }
    Ok(found)
}
