//! Process faults: the writer host is killed and restarted, or paused and resumed; a pause
//! longer than the failover timeout makes the standby host take over, so the paused writer
//! resumes as a zombie. Incidents come one at a time, at exponential intervals drawn from
//! the seed, and are aimed at moments when the writer has store requests in flight.
//!
//! In the long-pause regime (`ProcessFaults::long_pauses`) some pauses are held until the
//! paused process's successor has moved on — the standby writer has flushed and
//! checkpointed, the standby compactor has installed a compaction, the primary has
//! compacted and checkpointed past a paused worker — so the process wakes as a zombie after
//! the replay point, the levels or the checkpoints moved under it ([`ZombieWindows`]).

use super::gc_host::GC_NODE;
use super::protocol::{WRITER_HOSTS, writer_host_name};
use super::shared::Shared;
use super::zombie_windows::{EditCounts, ZombieWindows};
use crate::rng::{self, Stream};
use crate::trace::TraceEvent;
use madsim::runtime::{Handle, NodeHandle};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long an incident waits, at most, for the writer to have a request in flight.
const AIM_WAIT_STEPS_MAX: u32 = 200;
const AIM_STEP: Duration = Duration::from_millis(5);
/// Share of incidents that hit a background process (compactor, garbage collector) when
/// the world has some.
const BACKGROUND_INCIDENT_SHARE: f64 = 0.4;
/// In the long-pause regime, the share of pauses held until the successor moved on.
const LONG_PAUSE_SHARE: f64 = 0.6;
/// The longest a long pause waits for the successor (sim time): bounded, as every wait.
const LONG_PAUSE_WAIT_MS_MAX: u64 = 90_000;
const LONG_PAUSE_POLL: Duration = Duration::from_millis(50);

/// A process other than the writer that incidents may hit.
pub struct BackgroundNode {
    pub name: String,
    pub node: NodeHandle,
    /// `Some(index)` for compactor node `index`: a long pause fails over to the other one.
    pub compactor: Option<usize>,
}

pub struct Supervisor {
    shared: Arc<Shared>,
    hosts: Vec<NodeHandle>,
    background: Vec<BackgroundNode>,
    rng: Stream,
    /// Whether a background incident waits for the node to be mid-job (its own stream, so
    /// the incidents' other draws stay as they were).
    aim_rng: Stream,
    /// Whether a pause is held long (its own stream, for the same reason).
    long_rng: Stream,
    windows: Arc<ZombieWindows>,
    /// Set when the fault phase ends: a held pause lets go.
    stop: Arc<AtomicBool>,
}

/// What a long pause waits for: the successor's edits counted by [`ZombieWindows`].
#[derive(Clone, Copy, Debug)]
struct Awaited {
    flush: bool,
    compaction: bool,
    checkpoint: bool,
}

impl Awaited {
    fn reached(&self, before: &EditCounts, now: &EditCounts) -> bool {
        (!self.flush || now.flushes > before.flushes)
            && (!self.compaction || now.compactions > before.compactions)
            && (!self.checkpoint || now.checkpoints > before.checkpoints)
    }
}

impl Supervisor {
    pub fn new(
        shared: Arc<Shared>,
        hosts: Vec<NodeHandle>,
        background: Vec<BackgroundNode>,
        windows: Arc<ZombieWindows>,
    ) -> Supervisor {
        let rng = rng::stream(shared.config.seed, "supervisor");
        let aim_rng = rng::stream(shared.config.seed, "supervisor/aim-background");
        let long_rng = rng::stream(shared.config.seed, "supervisor/long-pauses");
        Supervisor {
            shared,
            hosts,
            background,
            rng,
            aim_rng,
            long_rng,
            windows,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether this pause is held until the successor moved on.
    fn draw_long(&mut self) -> bool {
        self.shared.config.processes.long_pauses
            && rng::chance(&mut self.long_rng, LONG_PAUSE_SHARE)
    }

    /// Holds a long pause until `awaited` happened since `before` (or the bound, or the end
    /// of the fault phase); returns the edits the paused `role` process missed.
    async fn hold(
        &self,
        before: &EditCounts,
        awaited: Awaited,
        role: &'static str,
    ) -> Vec<&'static str> {
        let polls_max = LONG_PAUSE_WAIT_MS_MAX / LONG_PAUSE_POLL.as_millis() as u64;
        for _ in 0..polls_max {
            if self.stop.load(Ordering::Relaxed) || awaited.reached(before, &self.windows.edits()) {
                break;
            }
            madsim::time::sleep(LONG_PAUSE_POLL).await;
        }
        let missed = self.windows.edits().moved_since(before);
        for edit in &missed {
            self.shared
                .coverage
                .hit(&format!("long-pause-{role}"), edit);
        }
        missed
    }

    fn host_id(&self, host: usize) -> Option<madsim::task::NodeId> {
        self.hosts.get(host).map(NodeHandle::id)
    }

    /// Injects incidents until `stop` is set.
    pub async fn run(&mut self, stop: Arc<AtomicBool>) {
        self.stop = stop.clone();
        let faults = self.shared.config.processes.clone();
        if faults.incident_interval_ms_mean == 0 {
            return;
        }
        while !stop.load(Ordering::Relaxed) {
            let wait_ms = rng::exponential(&mut self.rng, faults.incident_interval_ms_mean as f64);
            madsim::time::sleep(Duration::from_millis(wait_ms as u64)).await;
            if stop.load(Ordering::Relaxed) {
                return;
            }
            if !self.background.is_empty() && rng::chance(&mut self.rng, BACKGROUND_INCIDENT_SHARE)
            {
                let last = self.background.len() as u64 - 1;
                let target = rng::uniform_u64(&mut self.rng, 0, last) as usize;
                if rng::chance(&mut self.aim_rng, faults.in_flight_bias) {
                    self.aim_at_activity(target).await;
                }
                if rng::chance(&mut self.rng, faults.pause_share) {
                    let pause_ms = rng::uniform_u64(&mut self.rng, 1, faults.pause_ms_max.max(1));
                    let long = self.draw_long();
                    self.pause_background(target, pause_ms, faults.failover_after_ms, long)
                        .await;
                } else {
                    let delay_ms = rng::uniform_u64(&mut self.rng, 0, faults.restart_delay_ms_max);
                    self.kill_background(target, delay_ms).await;
                }
                continue;
            }
            let active = self.shared.routing().active_host;
            if rng::chance(&mut self.rng, faults.in_flight_bias) {
                self.aim_at_in_flight(active).await;
            }
            if rng::chance(&mut self.rng, faults.pause_share) {
                let pause_ms = rng::uniform_u64(&mut self.rng, 1, faults.pause_ms_max.max(1));
                let long = self.draw_long();
                self.pause(active, pause_ms, faults.failover_after_ms, long)
                    .await;
            } else {
                let delay_ms = rng::uniform_u64(&mut self.rng, 0, faults.restart_delay_ms_max);
                self.kill_and_restart(active, delay_ms).await;
            }
        }
    }

    async fn aim_at_in_flight(&self, host: usize) {
        for _ in 0..AIM_WAIT_STEPS_MAX {
            if self.shared.in_flight(host) > 0 {
                return;
            }
            madsim::time::sleep(AIM_STEP).await;
        }
    }

    /// Waits (briefly) for a background node to be in the middle of a GC pass or a
    /// compaction job, so its incidents land mid-protocol too.
    async fn aim_at_activity(&self, target: usize) {
        let Some(background) = self.background.get(target) else {
            return;
        };
        for _ in 0..AIM_WAIT_STEPS_MAX {
            if self.shared.coverage.activity(&background.name).is_some() {
                return;
            }
            madsim::time::sleep(AIM_STEP).await;
        }
    }

    async fn kill_and_restart(&self, host: usize, delay_ms: u64) {
        let Some(id) = self.host_id(host) else { return };
        let name = writer_host_name(host);
        let in_flight = self.shared.in_flight(host);
        self.shared.coverage.incident("crash", &name);
        Handle::current().kill(id);
        self.shared.clear_in_flight(host);
        self.shared.trace.record(&name, TraceEvent::Crash);
        self.shared.note(
            &name,
            "crash_context",
            format!("store_requests_in_flight={in_flight}"),
        );
        self.shared.count(|c| c.crashes += 1);
        let routing = self.shared.routing();
        if routing.active_host == host {
            // Nobody serves until the restarted host has recovered.
            self.shared.activate(host);
        }
        madsim::time::sleep(Duration::from_millis(delay_ms)).await;
        self.restart(host);
    }

    fn restart(&self, host: usize) {
        let Some(id) = self.host_id(host) else { return };
        // madsim's `restart` does not reset the node's network (only `kill` does): a socket
        // held by a task that is never polled again would stay bound and the new process
        // could not listen. Kill first, as a real restart does.
        Handle::current().kill(id);
        Handle::current().restart(id);
        self.windows.forget(&writer_host_name(host));
        self.shared.clear_in_flight(host);
        self.shared
            .trace
            .record(&writer_host_name(host), TraceEvent::Restart);
        self.shared.count(|c| c.restarts += 1);
    }

    /// Pauses the writer host; past the failover timeout the standby takes over and the
    /// paused one resumes as a zombie. `long`: held (past the failover) until the successor
    /// has flushed and checkpointed.
    async fn pause(&self, host: usize, pause_ms: u64, failover_after_ms: u64, long: bool) {
        let Some(id) = self.host_id(host) else { return };
        let name = writer_host_name(host);
        self.shared.coverage.incident("pause", &name);
        Handle::current().pause(id);
        self.shared.trace.record(&name, TraceEvent::Pause);
        self.shared.count(|c| c.pauses += 1);
        let before = self.windows.edits();
        let mut missed = Vec::new();
        if long || pause_ms > failover_after_ms {
            madsim::time::sleep(Duration::from_millis(failover_after_ms)).await;
            let standby = (host + 1) % WRITER_HOSTS;
            self.shared.activate(standby);
            self.shared.note(
                &name,
                "failover",
                format!("to {}", writer_host_name(standby)),
            );
            self.shared.count(|c| c.failovers += 1);
            // The standby's restart kills whatever zombie it may still hold from an
            // earlier pause, and opens a new incarnation that fences this one.
            self.restart(standby);
            if long {
                let awaited = Awaited {
                    flush: true,
                    compaction: false,
                    checkpoint: true,
                };
                missed = self.hold(&before, awaited, "writer").await;
            } else {
                madsim::time::sleep(Duration::from_millis(pause_ms - failover_after_ms)).await;
            }
        } else {
            madsim::time::sleep(Duration::from_millis(pause_ms)).await;
        }
        self.windows.mark_zombie(&name, "writer", missed);
        Handle::current().resume(id);
        self.shared.trace.record(&name, TraceEvent::Resume);
        self.shared.count(|c| c.resumes += 1);
    }

    /// After the faults, when the active host does not come back: restart it.
    async fn kill_background(&self, target: usize, delay_ms: u64) {
        let Some(background) = self.background.get(target) else {
            return;
        };
        let handle = Handle::current();
        self.shared.coverage.incident("crash", &background.name);
        handle.kill(background.node.id());
        self.shared
            .trace
            .record(&background.name, TraceEvent::Crash);
        self.shared.count(|c| c.crashes += 1);
        madsim::time::sleep(Duration::from_millis(delay_ms)).await;
        handle.kill(background.node.id());
        handle.restart(background.node.id());
        self.windows.forget(&background.name);
        self.shared
            .trace
            .record(&background.name, TraceEvent::Restart);
        self.shared.count(|c| c.restarts += 1);
    }

    /// Pauses a background process; a compactor paused past the failover timeout is
    /// replaced by one on the other compactor node, and wakes as a zombie. `long`: held
    /// until the successor compactor installed a compaction, or (a worker, the GC: nobody
    /// replaces them) until the tree was compacted and checkpointed meanwhile.
    async fn pause_background(
        &self,
        target: usize,
        pause_ms: u64,
        failover_after_ms: u64,
        long: bool,
    ) {
        let Some(background) = self.background.get(target) else {
            return;
        };
        let handle = Handle::current();
        self.shared.coverage.incident("pause", &background.name);
        handle.pause(background.node.id());
        self.shared
            .trace
            .record(&background.name, TraceEvent::Pause);
        self.shared.count(|c| c.pauses += 1);
        let before = self.windows.edits();
        let standby = background.compactor.and_then(|index| {
            let other = (index + 1) % 2;
            self.background
                .iter()
                .find(|node| node.compactor == Some(other))
                .map(|node| (other, node))
        });
        let role = background_role(background);
        let mut missed = Vec::new();
        match standby {
            Some((other, node)) if long || pause_ms > failover_after_ms => {
                madsim::time::sleep(Duration::from_millis(failover_after_ms)).await;
                self.shared.activate_compactor(other);
                self.shared.note(
                    &background.name,
                    "compactor_failover",
                    format!("to {}", node.name),
                );
                self.shared.count(|c| c.failovers += 1);
                handle.kill(node.node.id());
                handle.restart(node.node.id());
                self.windows.forget(&node.name);
                self.shared.trace.record(&node.name, TraceEvent::Restart);
                self.shared.count(|c| c.restarts += 1);
                if long {
                    let awaited = Awaited {
                        flush: false,
                        compaction: true,
                        checkpoint: false,
                    };
                    missed = self.hold(&before, awaited, role).await;
                } else {
                    madsim::time::sleep(Duration::from_millis(pause_ms - failover_after_ms)).await;
                }
            }
            _ if long => {
                let awaited = Awaited {
                    flush: false,
                    compaction: true,
                    checkpoint: true,
                };
                missed = self.hold(&before, awaited, role).await;
            }
            _ => madsim::time::sleep(Duration::from_millis(pause_ms)).await,
        }
        self.windows.mark_zombie(&background.name, role, missed);
        handle.resume(background.node.id());
        self.shared
            .trace
            .record(&background.name, TraceEvent::Resume);
        self.shared.count(|c| c.resumes += 1);
    }

    pub fn restart_active(&self) {
        self.restart(self.shared.routing().active_host);
    }
}

/// The role a background node plays, for the coverage of its windows.
fn background_role(background: &BackgroundNode) -> &'static str {
    if background.compactor.is_some() {
        "compactor"
    } else if background.name == GC_NODE {
        "gc"
    } else {
        "worker"
    }
}
