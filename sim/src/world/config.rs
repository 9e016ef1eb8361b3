//! The configuration of one world: what the command line fixed, and everything else drawn
//! from the seed (swarm testing), so that different seeds explore different regimes and the
//! printed configuration says which regime a seed explored. `draw.rs` assembles a whole
//! configuration from the seed.

use crate::clock::ClockParams;
use crate::rng::{self, Stream};
use crate::store::StoreFaultConfig;
use clap::ValueEnum;
use lsm_core::bugs::{Bug, Bugs};
use lsm_core::roles::writer::Durability;
use serde::{Serialize, Serializer};

/// How faulty the world is: the store's faults, the clocks and the process incidents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum FaultLevel {
    None,
    Light,
    Heavy,
    /// Every rate drawn from the seed (each fault may also be off).
    Swarm,
}

impl FaultLevel {
    /// The level the command line spells `text` (`--faults`).
    pub fn parse(text: &str) -> Option<FaultLevel> {
        FaultLevel::from_str(text, false).ok()
    }
}

/// Compaction strategies the world can run with C1 checked. FIFO and the log style's shift
/// (both drop the oldest tables by design) are checked against the lossy FIFO model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorldStyle {
    Leveled,
    Universal,
    /// Drops the oldest tables by design; C1 then uses the FIFO model (a read may find a
    /// dropped key gone, never an older or wrong value). Never drawn: `--style fifo`.
    Fifo,
    /// Garnet/Tsavorite-style log compaction (`log_style.rs`): one log of segments whose
    /// oldest beyond `log_max_segments` are shifted out, or scanned or looked up for live
    /// records. Drawn by swarm testing too.
    Log(LogCompaction),
}

/// The log style's strategy (Garnet's `CompactionType` other than none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogCompaction {
    /// Drop the oldest segments: lossy by design, checked by the FIFO model.
    Shift,
    /// Copy live records, liveness by scanning the newer log.
    Scan,
    /// Copy live records, liveness by a point lookup per record.
    Lookup,
}

impl LogCompaction {
    pub const ALL: [LogCompaction; 3] = [
        LogCompaction::Shift,
        LogCompaction::Scan,
        LogCompaction::Lookup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LogCompaction::Shift => "shift",
            LogCompaction::Scan => "scan",
            LogCompaction::Lookup => "lookup",
        }
    }
}

/// Whether the style drops tables by design, so that a recovery may lose keys (never
/// change a value).
pub fn lossy_style(style: WorldStyle) -> bool {
    matches!(
        style,
        WorldStyle::Fifo | WorldStyle::Log(LogCompaction::Shift)
    )
}

impl WorldStyle {
    pub fn name(self) -> &'static str {
        match self {
            WorldStyle::Leveled => "leveled",
            WorldStyle::Universal => "universal",
            WorldStyle::Fifo => "fifo",
            WorldStyle::Log(_) => "log",
        }
    }
}

/// Where compaction runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// Inside the writer (its embedded compactor).
    Embedded,
    /// A writer with `no_compactor` and a compactor on its own node, coordinating only
    /// through the manifest (as `zerofs run --no-compactor` + `zerofs compactor`).
    Standalone,
    /// The writer is the primary: it picks compactions and runs them on worker nodes
    /// (RocksDB's remote compaction), installing their results itself.
    Remote,
}

impl Topology {
    /// The topology the command line spells `text` (`--topology`).
    pub fn parse(text: &str) -> Option<Topology> {
        Topology::from_str(text, false).ok()
    }
}

/// The compaction style as the command line names it (`--style`); the log style's strategy
/// is named apart (`--log-compaction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StyleName {
    Leveled,
    Universal,
    Fifo,
    Log,
}

/// Core's durability modes as the command line names them (`--durability`). The two `From`
/// impls match exhaustively both ways, so the mapping stays lossless if core adds a mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DurabilityName {
    Wal,
    Checkpoint,
}

impl From<DurabilityName> for Durability {
    fn from(name: DurabilityName) -> Durability {
        match name {
            DurabilityName::Wal => Durability::Wal,
            DurabilityName::Checkpoint => Durability::Checkpoint,
        }
    }
}

impl From<Durability> for DurabilityName {
    fn from(durability: Durability) -> DurabilityName {
        match durability {
            Durability::Wal => DurabilityName::Wal,
            Durability::Checkpoint => DurabilityName::Checkpoint,
        }
    }
}

/// Parses a durability mode name as the command line spells it.
pub fn parse_durability(text: &str) -> Option<Durability> {
    DurabilityName::from_str(text, false)
        .ok()
        .map(Durability::from)
}

/// The protocols' shape: topology, durability, checkpoints and garbage collection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LsmShape {
    pub topology: Topology,
    pub durability: Durability,
    /// Compaction deletes its inputs at install (unsafe on purpose).
    pub force_delete: bool,
    /// The writer takes a checkpoint this often (on its own clock).
    pub checkpoint_interval_ms: u64,
    /// A checkpoint expires this long after it was taken.
    pub checkpoint_lifetime_ms: u64,
    /// The garbage collector runs a pass this often (on its own clock).
    pub gc_interval_ms: u64,
    /// The standalone compactor polls the manifest this often when idle.
    pub compactor_poll_ms: u64,
    /// Jobs a standalone compactor runs at once on non-overlapping inputs (1..=3).
    pub compactor_jobs_max: usize,
    /// Remote compaction's workers, timeout and fallback (used by topology `remote`).
    pub remote: RemoteShape,
    /// The injected protocol bug (`--bug`; printed by its name); `None`: the correct protocol.
    #[serde(serialize_with = "serialize_bug_name")]
    pub bug: Option<Bug>,
    /// Log style: Garnet's `CompactionMaxSegments` (smaller than its default 32, so that a
    /// run compacts).
    pub log_max_segments: usize,
    /// Log style: Garnet's `CompactionFrequencySecs`, in ms; 0 compacts just before each
    /// checkpoint (Garnet's default; the embedded topology only, since only the writer
    /// knows when it checkpoints).
    pub log_compaction_frequency_ms: u64,
    /// `wal` mode: a failed flush makes the writer take a checkpoint at once, while the
    /// flush is still pending (drawn from its own stream; `writer_host.rs`).
    pub checkpoint_after_failed_flush: bool,
}

/// A bug as the command line and `sim bugs` name it.
fn serialize_bug_name<S: Serializer>(bug: &Option<Bug>, serializer: S) -> Result<S::Ok, S::Error> {
    bug.map(Bug::name).serialize(serializer)
}

/// The shape of remote compaction: drawn from its own stream, so adding it changed no
/// other draw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemoteShape {
    /// Worker nodes (1 or 2).
    pub workers: usize,
    /// The primary abandons a job not answered within this (its monotonic clock).
    pub job_timeout_ms: u64,
    pub fallback: lsm_core::roles::writer::RemoteFallback,
    /// Dispatches of one plan before compacting it locally (with `reschedule`).
    pub remote_attempts_max: u32,
    /// Jobs in flight at once.
    pub jobs_in_flight_max: usize,
    /// Per mille of a worker's jobs whose first output it damages after writing (a faulty
    /// disk or a buggy worker): the primary must catch it by checksum. 0 without faults.
    pub corrupt_output_per_mille: u64,
    /// A worker re-sends an unacknowledged result this often, a bounded number of times
    /// (at-least-once delivery: the primary sees duplicates).
    pub result_resend_ms: u64,
}

impl RemoteShape {
    pub(super) fn draw(seed: u64, fault_level: FaultLevel) -> RemoteShape {
        let mut rng = rng::stream(seed, "config/remote");
        let workers = rng::uniform_u64(&mut rng, 1, 2) as usize;
        let corrupt_output_per_mille = match fault_level {
            FaultLevel::None => 0,
            FaultLevel::Light => 10,
            FaultLevel::Heavy => 40,
            FaultLevel::Swarm => rng::uniform_u64(&mut rng, 0, 60),
        };
        RemoteShape {
            workers,
            job_timeout_ms: rng::uniform_u64(&mut rng, 3_000, 12_000),
            fallback: if rng::chance(&mut rng, 0.6) {
                lsm_core::roles::writer::RemoteFallback::Reschedule
            } else {
                lsm_core::roles::writer::RemoteFallback::Local
            },
            remote_attempts_max: rng::uniform_u64(&mut rng, 2, 3) as u32,
            jobs_in_flight_max: rng::uniform_u64(&mut rng, 1, workers as u64) as usize,
            corrupt_output_per_mille,
            result_resend_ms: rng::uniform_u64(&mut rng, 200, 3_000),
        }
    }
}

impl LsmShape {
    /// The injected bugs, as the roles' options carry them.
    pub fn bugs(&self) -> Bugs {
        self.bug.map_or(Bugs::NONE, Bugs::only)
    }
}

/// What the command line fixed; `None` is drawn from the seed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub ops: Option<u64>,
    pub clients: Option<u32>,
    pub style: Option<WorldStyle>,
    /// With `--style log`: the strategy (`None`: drawn).
    pub log_compaction: Option<LogCompaction>,
    pub faults: Option<FaultLevel>,
    pub topology: Option<Topology>,
    pub durability: Option<Durability>,
    pub force_delete: bool,
    /// An injected protocol bug.
    pub bug: Option<Bug>,
    /// `--long-pauses`: the long-pause regime whatever the fault level draws.
    pub long_pauses: bool,
    /// Every fault rate times this many thousandths (`--fault-scale`); `None`: 1000.
    pub fault_scale_permille: Option<u32>,
    /// A `workloads` preset name (checked by the caller); `None`: the drawn client shape.
    pub workload: Option<String>,
    /// Thousandths of puts that carry an expiry (`--ttl-share`); `None`: drawn under
    /// swarm, none otherwise.
    pub ttl_share_permille: Option<u32>,
    /// C5 targets fixed on the command line.
    pub targets: TargetOverrides,
}

/// C5 targets fixed on the command line; `None` keeps the style's default.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TargetOverrides {
    /// `--no-c5`.
    pub disabled: bool,
    pub write_amp: Option<f64>,
    pub space_amp: Option<f64>,
    pub read_blocks: Option<f64>,
}

// The command line refuses NaN, so equality is total.
impl Eq for TargetOverrides {}

/// Kills and pauses of the writer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcessFaults {
    /// Mean sim time between incidents (exponential); 0 disables them.
    pub incident_interval_ms_mean: u64,
    /// Share of incidents that are pauses rather than kills.
    pub pause_share: f64,
    /// Chance an incident waits (briefly) for the writer to have store requests in flight,
    /// so crashes land mid-protocol more often than chance would have it.
    pub in_flight_bias: f64,
    pub restart_delay_ms_max: u64,
    pub pause_ms_max: u64,
    /// A writer paused longer than this is replaced by one on the standby host; when the
    /// paused one resumes it is a zombie.
    pub failover_after_ms: u64,
    /// The long-pause regime (`--long-pauses`, or drawn under swarm): some pauses are held
    /// until the paused process's successor has flushed, compacted or checkpointed
    /// (`supervisor.rs`).
    pub long_pauses: bool,
}

impl ProcessFaults {
    pub(super) fn none() -> ProcessFaults {
        ProcessFaults {
            incident_interval_ms_mean: 0,
            pause_share: 0.0,
            in_flight_bias: 0.0,
            restart_delay_ms_max: 0,
            pause_ms_max: 0,
            failover_after_ms: 0,
            long_pauses: false,
        }
    }

    pub(super) fn light() -> ProcessFaults {
        ProcessFaults {
            incident_interval_ms_mean: 120_000,
            pause_share: 0.3,
            in_flight_bias: 0.5,
            restart_delay_ms_max: 3_000,
            pause_ms_max: 6_000,
            failover_after_ms: 3_000,
            long_pauses: false,
        }
    }

    pub(super) fn heavy() -> ProcessFaults {
        ProcessFaults {
            incident_interval_ms_mean: 20_000,
            pause_share: 0.4,
            in_flight_bias: 0.8,
            restart_delay_ms_max: 5_000,
            pause_ms_max: 15_000,
            failover_after_ms: 3_000,
            long_pauses: false,
        }
    }

    pub(super) fn swarm(rng: &mut Stream) -> ProcessFaults {
        if rng::chance(rng, 0.15) {
            return ProcessFaults::none();
        }
        ProcessFaults {
            incident_interval_ms_mean: rng::uniform_u64(rng, 5_000, 120_000),
            pause_share: rng::uniform_f64(rng, 0.0, 0.7),
            in_flight_bias: rng::unit_f64(rng),
            restart_delay_ms_max: rng::uniform_u64(rng, 100, 10_000),
            pause_ms_max: rng::uniform_u64(rng, 500, 20_000),
            failover_after_ms: rng::uniform_u64(rng, 1_000, 8_000),
            long_pauses: false,
        }
    }
}

/// The writer's sizes and batching.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WriterShape {
    pub memtable_size_bytes: u64,
    /// A non-empty memtable is flushed once this many WAL segments lie past the replay
    /// point (the writer's default; not drawn, so seeds keep their runs).
    pub wal_segments_flush_trigger: u64,
    pub commit_entries_max: usize,
    /// After the first request of a batch arrives, wait this long for more (group commit).
    pub commit_window_ms: u64,
    pub style: WorldStyle,
}

/// What the clients do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientShape {
    pub clients: u32,
    pub ops_total: u64,
    pub key_space: u64,
    pub value_bytes: u32,
    pub get_share: f64,
    pub delete_share: f64,
    /// Mean pause between a client's operations (exponential).
    pub think_ms_mean: u64,
    /// A client gives up on an operation after this long: it is then indeterminate.
    pub op_timeout_ms: u64,
    /// What the clients run (`workload.rs`); `key_space` is then the bound on its key ids.
    pub workload: workloads::WorkloadSpec,
    /// The deletes sent after the clients are done (`drain.rs`); `None`: no drain.
    pub drain: Option<DrainShape>,
    /// Puts with an expiry (`ttl.rs`); `None`: no put carries one (and C7 is skipped).
    pub ttl: Option<TtlShape>,
}

/// Chance that a remote run drains.
const DRAIN_CHANCE: f64 = 0.6;
/// Passes over the drained range, at most (more passes: more tombstone-only flushes).
const DRAIN_PASSES_MAX: u64 = 3;

/// Which keys the drain (`drain.rs`) deletes, and how often.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DrainShape {
    /// The drained range is `first_key..key_space` (a tail: the bottommost tables covering
    /// it hold nothing else).
    pub first_key: u64,
    pub key_space: u64,
    /// Times every key of the range is deleted, in order.
    pub passes: u64,
}

impl DrainShape {
    /// The drain of `seed`, or `None` (no drain, or not the remote topology). Half the
    /// drains take the whole key space, the rest a tail of at least half of it.
    pub fn draw(seed: u64, topology: Topology, key_space: u64) -> Option<DrainShape> {
        let mut rng = rng::stream(seed, "config/drain");
        let drains = rng::chance(&mut rng, DRAIN_CHANCE);
        let whole = rng::chance(&mut rng, 0.5);
        let tail_start = rng::uniform_u64(&mut rng, 0, key_space / 2);
        let passes = rng::uniform_u64(&mut rng, 1, DRAIN_PASSES_MAX);
        if !drains || topology != Topology::Remote || key_space == 0 {
            return None;
        }
        Some(DrainShape {
            first_key: if whole { 0 } else { tail_start },
            key_space,
            passes,
        })
    }

    /// Deletes the drain sends.
    pub fn deletes(&self) -> u64 {
        self.key_space.saturating_sub(self.first_key) * self.passes
    }
}

/// Everything about one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorldConfig {
    pub seed: u64,
    pub fault_level: FaultLevel,
    pub store_faults: StoreFaultConfig,
    pub clocks: ClockParams,
    pub processes: ProcessFaults,
    pub writer: WriterShape,
    pub clients: ClientShape,
    pub lsm: LsmShape,
    /// The factor every fault rate was scaled by (`--fault-scale`; 1 when not given).
    pub fault_scale: f64,
    /// C5's targets fixed on the command line (the rest follow from the style's model).
    pub targets: TargetOverrides,
}

/// Which puts carry an expiry, and how long after the call it lies (drawn in `ttl.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TtlShape {
    /// Share of puts (0..=1) that carry an expiry.
    pub share: f64,
    /// Each expiring put's TTL is uniform in `ttl_ms_min..=ttl_ms_max`.
    pub ttl_ms_min: u64,
    pub ttl_ms_max: u64,
}

/// Client operations of a default run.
pub const DEFAULT_OPS: u64 = 10_000;
/// Bounds on what the command line may ask for.
pub const OPS_MAX: u64 = 10_000_000;
pub const CLIENTS_MAX: u32 = 64;
