//! Stopping a campaign cleanly: SIGINT or SIGTERM sets a flag; the workers kill their
//! children (each in its own process group, so a terminal's Ctrl-C reaches only the
//! campaign) and the campaign flushes what finished, then says how to resume. Further
//! signals change nothing: stopping takes one poll of each child (20 ms), and ending the
//! campaign before it has killed its children would orphan them.

use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Set by the first SIGINT or SIGTERM; read by the workers and the result loop.
#[derive(Clone, Debug)]
pub struct Stop {
    requested: Arc<AtomicBool>,
    /// The signal number that stopped the campaign (0 while none).
    signal: Arc<AtomicUsize>,
}

impl Stop {
    /// Installs the handlers for SIGINT and SIGTERM.
    pub fn install() -> Result<Stop, String> {
        let stop = Stop::never();
        for signal in [SIGINT, SIGTERM] {
            let cannot = |error: std::io::Error| format!("cannot handle signal {signal}: {error}");
            signal_hook::flag::register_usize(signal, stop.signal.clone(), signal as usize)
                .map_err(cannot)?;
            signal_hook::flag::register(signal, stop.requested.clone()).map_err(cannot)?;
        }
        Ok(stop)
    }

    /// A flag no signal sets (a shrink trial, a test).
    pub fn never() -> Stop {
        Stop {
            requested: Arc::new(AtomicBool::new(false)),
            signal: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Stops the campaign without a signal (the results file cannot be written).
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// The signal that stopped the campaign, if one did.
    pub fn signal(&self) -> Option<i32> {
        if !self.requested() {
            return None;
        }
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            signal => i32::try_from(signal).ok(),
        }
    }
}
