//! The run's trace: every store request and reply, fault, clock jump and (from the lead's
//! roles) crash, restart, manifest install, compaction and client operation, in order.
//!
//! The digest is a stable 64-bit FNV-1a over the canonical encoding of every event — its
//! JSON line plus `\n`, exactly what [`Trace::write_json_lines`] writes — so with nothing
//! dropped, the digest equals the FNV-1a of the JSON-lines file. Memory stays bounded: only
//! the last `keep_last` events are kept, but the digest covers all of them, and an optional
//! sink receives every line as it is recorded (for `--trace FILE`).

mod digest;
mod event;

pub use digest::{Fnv1a64, fnv1a64};
pub use event::{TraceEntry, TraceEvent};

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};

/// Events kept in memory by [`Trace::default`].
pub const DEFAULT_KEEP_LAST: usize = 100_000;

/// The shared, ordered trace. Cheap to clone into tasks; all clones record into one trace.
#[derive(Clone)]
pub struct Trace {
    inner: Arc<Mutex<TraceInner>>,
}

struct TraceInner {
    kept: VecDeque<TraceEntry>,
    keep_last: usize,
    recorded_total: u64,
    digest: Fnv1a64,
    sink: Option<Box<dyn Write + Send>>,
    sink_error: Option<io::Error>,
}

impl Default for Trace {
    fn default() -> Trace {
        Trace::new(DEFAULT_KEEP_LAST)
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("Trace")
            .field("recorded_total", &inner.recorded_total)
            .field("kept", &inner.kept.len())
            .field("digest", &format_args!("{:016x}", inner.digest.value()))
            .finish()
    }
}

impl Trace {
    /// A trace that keeps at most the last `keep_last` events in memory.
    pub fn new(keep_last: usize) -> Trace {
        Trace {
            inner: Arc::new(Mutex::new(TraceInner {
                kept: VecDeque::new(),
                keep_last,
                recorded_total: 0,
                digest: Fnv1a64::new(),
                sink: None,
                sink_error: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, TraceInner> {
        // A poisoned lock means a panicking test; the trace itself is still consistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records `event` for `node` at the current sim time (0 outside a runtime).
    pub fn record(&self, node: &str, event: TraceEvent) {
        self.record_at(crate::clock::sim_elapsed_ns(), node, event);
    }

    /// Records `event` for `node` at `at_ns`.
    pub fn record_at(&self, at_ns: u64, node: &str, event: TraceEvent) {
        let mut inner = self.lock();
        let entry = TraceEntry {
            seq: inner.recorded_total,
            at_ns,
            node: node.to_string(),
            event,
        };
        let line = canonical_line(&entry);
        inner.digest.update(&line);
        inner.recorded_total += 1;
        if inner.sink_error.is_none() {
            let written = inner.sink.as_mut().map(|sink| sink.write_all(&line));
            if let Some(Err(error)) = written {
                inner.sink_error = Some(error);
            }
        }
        if inner.keep_last == 0 {
            return;
        }
        if inner.kept.len() >= inner.keep_last {
            inner.kept.pop_front();
        }
        inner.kept.push_back(entry);
    }

    /// Stable hash of every event recorded so far.
    pub fn digest(&self) -> u64 {
        self.lock().digest.value()
    }

    /// The digest as 16 lowercase hex digits, as printed in reports.
    pub fn digest_hex(&self) -> String {
        format!("{:016x}", self.digest())
    }

    /// Number of events recorded, kept or not.
    pub fn recorded_total(&self) -> u64 {
        self.lock().recorded_total
    }

    /// Number of events no longer kept in memory.
    pub fn dropped_total(&self) -> u64 {
        let inner = self.lock();
        inner.recorded_total - inner.kept.len() as u64
    }

    /// The events still kept, oldest first.
    pub fn kept(&self) -> Vec<TraceEntry> {
        self.lock().kept.iter().cloned().collect()
    }

    /// Writes the kept events, one JSON object per line.
    pub fn write_json_lines(&self, out: &mut impl Write) -> io::Result<()> {
        let kept = self.kept();
        for entry in &kept {
            out.write_all(&canonical_line(entry))?;
        }
        Ok(())
    }

    /// From now on, also writes every recorded event's line to `sink`. A write error stops
    /// the sink (recording goes on) and is returned by [`Trace::finish_sink`].
    pub fn set_sink(&self, sink: Box<dyn Write + Send>) {
        let mut inner = self.lock();
        inner.sink = Some(sink);
        inner.sink_error = None;
    }

    /// Flushes and detaches the sink; returns the first error it met, if any.
    pub fn finish_sink(&self) -> io::Result<()> {
        let mut inner = self.lock();
        let sink = inner.sink.take();
        if let Some(error) = inner.sink_error.take() {
            return Err(error);
        }
        match sink {
            Some(mut sink) => sink.flush(),
            None => Ok(()),
        }
    }
}

/// The canonical encoding of one entry: its JSON object and a newline.
fn canonical_line(entry: &TraceEntry) -> Vec<u8> {
    // The event types contain only strings, integers, options and unit enums, for which
    // serde_json cannot fail; should that ever change, the Debug form still hashes stably.
    let mut line = serde_json::to_vec(entry).unwrap_or_else(|_| format!("{entry:?}").into_bytes());
    line.push(b'\n');
    line
}
