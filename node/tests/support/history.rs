//! Recording client calls and returns for C1: every write gets a unique value; a write
//! whose reply never came (timeout, broken connection, `UNKNOWN`) stays pending
//! (indeterminate); a call that surely had no effect (refused before sending, or answered
//! with a definite error) is left out.

use sim::lincheck::models::kv_register::{KvInput, KvOutput};
use sim::lincheck::{History, Operation};
use std::sync::Mutex;
use std::time::Instant;

pub type Input = KvInput<u32, u64>;
pub type Output = KvOutput<u64>;

pub struct Recorder {
    origin: Instant,
    ops: Mutex<Vec<Operation<Input, Output>>>,
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder {
            origin: Instant::now(),
            ops: Mutex::new(Vec::new()),
        }
    }

    pub fn now_ns(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64
    }

    pub fn completed(&self, client: u64, call_ns: u64, input: Input, output: Output) {
        let return_ns = self.now_ns();
        let op = Operation::completed(client, call_ns, return_ns, input, output);
        self.ops.lock().expect("recorder lock").push(op);
    }

    pub fn pending(&self, client: u64, call_ns: u64, input: Input) {
        let op = Operation::pending(client, call_ns, input);
        self.ops.lock().expect("recorder lock").push(op);
    }

    pub fn history(&self) -> History<Input, Output> {
        let ops = self.ops.lock().expect("recorder lock").clone();
        History::from_operations(ops).expect("a well-formed history")
    }

    /// Acknowledged writes (puts and deletes that returned Ok).
    pub fn acked_writes(&self) -> usize {
        let ops = self.ops.lock().expect("recorder lock");
        ops.iter()
            .filter(|op| {
                !matches!(op.input, KvInput::Get(_)) && matches!(op.output, Some(KvOutput::Ok))
            })
            .count()
    }
}
