//! Wing–Gong–Lowe search over one partition, iterative and resumable (partitions take
//! turns, see `check`).
//!
//! A node of the search is a configuration: the operations linearized so far and the
//! model's state. Its candidates are the operations not yet linearized whose call comes
//! before the earliest return among them (Lowe's just-in-time linearization, read off the
//! linked list of call and return entries): one of them must come next. A node tries
//! them in this order, descending into each that the model accepts and whose
//! configuration the cache has not covered, and fails when all are tried:
//!
//! 1. read-only operations (see [`Model::is_read_only`]): the first one accepted is the
//!    node's only branch — if the node can finish at all, it can with that read first;
//! 2. operations that returned, in call order;
//! 3. operations that never returned, last: they are optional, and covering (see
//!    `cache`) makes a configuration without them cover the same one with them.

use super::bitset::BitSet;
use super::cache::{Insert, StateCache};
use super::entries::{EntryList, Node, NodeId};
use super::hash::{hash_one, mix64};
use super::history::Operation;
use super::model::Model;
use super::verdict::{Bound, Limits};

/// How far past a node's candidates [`Search::reads_reachable`] looks for the returns of the
/// reads the node rejected.
const LOOKAHEAD_ENTRIES: usize = 256;

/// How one partition's search ended. Operation numbers are local to the partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Linearizable,
    /// `longest_prefix`: the linearization, reached by the search, that placed the most
    /// operations that returned (the first such one).
    NotLinearizable {
        longest_prefix: Vec<u32>,
    },
    Unknown(Bound),
}

/// Work done by one partition's search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchStats {
    pub steps: u64,
    pub cache_entries: usize,
    pub cache_bytes: usize,
}

/// What an attempt to linearize an operation next did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attempt {
    Added,
    /// The model does not accept it in the current state.
    Rejected,
    /// The configuration was explored before.
    Covered,
    /// The cache is full: the search has ended as unknown.
    Full,
}

/// A linearized operation and what undoing it needs.
#[derive(Clone, Copy, Debug)]
struct Frame {
    op: u32,
    /// Cache entry of the state before it.
    previous: u32,
    /// Read-only: its node has no other branch to try.
    forced: bool,
}

/// A node's candidates, `candidates[start..end]`, of which `next..end` remain to try.
#[derive(Clone, Copy, Debug)]
struct Choices {
    start: usize,
    next: usize,
    end: usize,
}

/// The stack when the most returned operations were linearized, kept up to date cheaply:
/// the stack below `low_water` has not changed since `best` was copied from it.
struct Deepest {
    best: Vec<u32>,
    /// Fewest returned operations left unlinearized so far.
    open_min: usize,
    low_water: usize,
}

impl Deepest {
    fn pushed(&mut self, stack: &[Frame], open: usize) {
        if open < self.open_min {
            self.open_min = open;
            let keep = self.low_water.min(self.best.len());
            self.best.truncate(keep);
            self.best
                .extend(stack.iter().skip(keep).map(|frame| frame.op));
            self.low_water = stack.len();
        }
    }

    fn popped(&mut self, depth: usize) {
        self.low_water = self.low_water.min(depth);
    }
}

/// One partition's search, run in slices of steps by [`Search::run`].
pub struct Search<'a, M: Model> {
    model: &'a M,
    ops: Vec<&'a Operation<M::Input, M::Output>>,
    list: EntryList,
    /// Per operation: its index in `done` (returned) or `maybe` (never returned).
    slot: Vec<u32>,
    /// Per operation: [`Model::is_read_only`].
    read_only: Vec<bool>,
    /// Returned operations linearized.
    done: BitSet,
    /// Never-returned operations applied.
    maybe: BitSet,
    cache: StateCache<M::State>,
    /// Cache entry of the current state.
    current: u32,
    /// One frame per linearized operation (so at most one per operation).
    stack: Vec<Frame>,
    /// Candidates of the nodes on the current path that branch (one `Choices` each), in a
    /// flat arena. Bounded by the operations times the path length.
    candidates: Vec<u32>,
    choices: Vec<Choices>,
    /// The current node has not listed its candidates yet.
    fresh: bool,
    /// Scratch for [`Search::reads_reachable`]: the read-only candidates the current node
    /// rejected (flagged per operation too), and non-read calls past the candidates.
    rejected_reads: Vec<u32>,
    rejected_read: Vec<bool>,
    later_writers: Vec<u32>,
    /// Returned operations not linearized: the search succeeds when none is left.
    open_completed: usize,
    deepest: Deepest,
    limits: Limits,
    stats: SearchStats,
    outcome: Option<Outcome>,
}

impl<'a, M: Model> Search<'a, M> {
    /// Prepares the search of `ops` (one partition, fewer than `u32::MAX / 4`).
    pub fn new(model: &'a M, ops: Vec<&'a Operation<M::Input, M::Output>>, limits: Limits) -> Self {
        let list = EntryList::build(&ops);
        let (mut returned, mut never) = (0u32, 0u32);
        let slot = ops
            .iter()
            .map(|op| {
                let counter = if op.return_ns.is_some() {
                    &mut returned
                } else {
                    &mut never
                };
                *counter += 1;
                *counter - 1
            })
            .collect();
        let read_only = ops
            .iter()
            .map(|op| model.is_read_only(&op.input, op.output.as_ref()))
            .collect();
        let (done, maybe) = (BitSet::new(returned as usize), BitSet::new(never as usize));
        let cache = StateCache::new(
            done.words().len(),
            maybe.words().len(),
            limits.max_cache_entries,
        );
        let ops_len = ops.len();
        let mut search = Search {
            model,
            stack: Vec::with_capacity(ops.len()),
            ops,
            list,
            slot,
            read_only,
            done,
            maybe,
            cache,
            current: 0,
            candidates: Vec::new(),
            choices: Vec::new(),
            fresh: true,
            rejected_reads: Vec::new(),
            rejected_read: vec![false; ops_len],
            later_writers: Vec::new(),
            open_completed: returned as usize,
            deepest: Deepest {
                best: Vec::new(),
                open_min: returned as usize,
                low_water: 0,
            },
            limits,
            stats: SearchStats::default(),
            outcome: None,
        };
        let init = model.init();
        let hash = search.config_hash(&init);
        match search.cache.insert(&search.done, &search.maybe, init, hash) {
            Insert::Added(index) => search.current = index,
            _ => search.outcome = Some(Outcome::Unknown(Bound::CacheEntries)),
        }
        search
    }

    pub fn stats(&self) -> SearchStats {
        SearchStats {
            cache_entries: self.cache.len(),
            cache_bytes: self.cache.approx_bytes(),
            ..self.stats
        }
    }

    /// Runs at most `steps` more steps; returns the outcome once the search has one.
    pub fn run(&mut self, steps: u64) -> Option<&Outcome> {
        let stop_at = self
            .stats
            .steps
            .saturating_add(steps)
            .min(self.limits.max_steps);
        while self.outcome.is_none() {
            if self.open_completed == 0 {
                self.outcome = Some(Outcome::Linearizable);
            } else if self.stats.steps >= self.limits.max_steps {
                self.outcome = Some(Outcome::Unknown(Bound::Steps));
            } else if self.stats.steps >= stop_at {
                return None;
            } else if self.fresh {
                self.fresh = false;
                self.enter_node();
            } else {
                self.next_choice();
            }
        }
        self.outcome.as_ref()
    }

    fn config_hash(&self, state: &M::State) -> u64 {
        mix64(self.done.hash() ^ hash_one(state).rotate_left(32))
    }

    fn operation(&self, op: u32) -> Option<&'a Operation<M::Input, M::Output>> {
        self.ops.get(op as usize).copied()
    }

    fn returned(&self, op: u32) -> bool {
        self.operation(op).is_some_and(|o| o.return_ns.is_some())
    }

    fn is_read_only(&self, op: u32) -> bool {
        self.read_only.get(op as usize).copied().unwrap_or(false)
    }

    /// Marks `op` linearized (`true`) or not in the set it belongs to.
    fn mark(&mut self, op: u32, linearized: bool) {
        let slot = self.slot.get(op as usize).copied().unwrap_or(u32::MAX) as usize;
        let set = if self.returned(op) {
            &mut self.done
        } else {
            &mut self.maybe
        };
        if linearized {
            set.insert(slot);
        } else {
            set.remove(slot);
        }
    }

    /// A new node: tries its read-only candidates, then lists the others for
    /// [`Search::next_choice`].
    fn enter_node(&mut self) {
        let start = self.candidates.len();
        let mut never_returned = 0;
        let mut entry = self.list.first();
        let mut read_taken = None;
        // The walk moves forward along the list: its length bounds it.
        for _ in 0..=self.list.len() {
            let Node::Call(op) = self.list.node(entry) else {
                break;
            };
            entry = self.list.next(entry);
            if !self.is_read_only(op) {
                self.candidates.push(op);
                never_returned += usize::from(!self.returned(op));
                continue;
            }
            self.stats.steps += 1;
            match self.try_linearize(op) {
                Attempt::Rejected => {
                    self.rejected_reads.push(op);
                    if let Some(flag) = self.rejected_read.get_mut(op as usize) {
                        *flag = true;
                    }
                }
                attempt => {
                    read_taken = Some(attempt);
                    break;
                }
            }
        }
        let dead = match read_taken {
            // A read is the node's only branch, now being explored (or the search ended).
            Some(Attempt::Added | Attempt::Full) => {
                self.clear_rejected_reads();
                self.candidates.truncate(start);
                return;
            }
            // That read's configuration was explored before: so was this node's future.
            Some(_) => true,
            None => !self.reads_reachable(entry, start),
        };
        self.clear_rejected_reads();
        if dead {
            self.candidates.truncate(start);
            return self.backtrack();
        }
        if never_returned > 0 {
            // Stable: call order within each group.
            let ops = &self.ops;
            if let Some(listed) = self.candidates.get_mut(start..) {
                listed
                    .sort_by_key(|&op| ops.get(op as usize).is_none_or(|o| o.return_ns.is_none()));
            }
        }
        self.choices.push(Choices {
            start,
            next: start,
            end: self.candidates.len(),
        });
    }

    fn clear_rejected_reads(&mut self) {
        for &op in &self.rejected_reads {
            if let Some(flag) = self.rejected_read.get_mut(op as usize) {
                *flag = false;
            }
        }
        self.rejected_reads.clear();
    }

    /// Whether every read this node rejected can still be accepted before it returns.
    /// Before a read's return only this node's candidates (`candidates[start..]`) and the
    /// operations called after them but before that return can take effect; if the model
    /// says no order of those helps ([`Model::can_become_acceptable`]), the node is dead.
    /// Walks forward from `from` (the earliest return left); reads whose return is further
    /// than a bounded number of entries are not checked (that only prunes less).
    fn reads_reachable(&mut self, from: NodeId, start: usize) -> bool {
        let mut later = std::mem::take(&mut self.later_writers);
        later.clear();
        let mut unchecked = self.rejected_reads.len();
        let mut entry = from;
        let mut reachable = true;
        for _ in 0..LOOKAHEAD_ENTRIES {
            if unchecked == 0 {
                break;
            }
            match self.list.node(entry) {
                Node::Call(op) if !self.is_read_only(op) => later.push(op),
                Node::Call(_) => {}
                Node::Return(op) if self.rejected_read.get(op as usize) == Some(&true) => {
                    unchecked -= 1;
                    if !self.read_reachable(op, start, &later) {
                        reachable = false;
                        break;
                    }
                }
                Node::Return(_) => {}
                Node::Tail => break,
            }
            entry = self.list.next(entry);
        }
        self.later_writers = later;
        reachable
    }

    /// Whether the read `op` can become acceptable through the node's candidates
    /// (`candidates[start..]`) and `later` operations.
    fn read_reachable(&self, op: u32, start: usize, later: &[u32]) -> bool {
        let Some(read) = self.operation(op) else {
            return true;
        };
        let mut writers = self
            .candidates
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .chain(later)
            .filter_map(|&w| self.operation(w))
            .map(|w| &w.input);
        self.model.can_become_acceptable(
            self.cache.state_at(self.current),
            &read.input,
            read.output.as_ref(),
            &mut writers,
        )
    }

    /// Tries the current node's next candidate, or backtracks when none is left.
    fn next_choice(&mut self) {
        self.stats.steps += 1;
        let next = self.choices.last_mut().and_then(|choices| {
            (choices.next < choices.end).then(|| {
                choices.next += 1;
                choices.next - 1
            })
        });
        match next.and_then(|i| self.candidates.get(i).copied()) {
            Some(op) => {
                let _ = self.try_linearize(op);
            }
            None => {
                if let Some(exhausted) = self.choices.pop() {
                    self.candidates.truncate(exhausted.start);
                }
                self.backtrack();
            }
        }
    }

    /// Linearizes `op` next if the model accepts it and the configuration is new.
    fn try_linearize(&mut self, op: u32) -> Attempt {
        let Some(operation) = self.operation(op) else {
            return Attempt::Rejected;
        };
        let state = self.cache.state_at(self.current);
        let Some(next) = self
            .model
            .step(state, &operation.input, operation.output.as_ref())
        else {
            return Attempt::Rejected;
        };
        self.mark(op, true);
        let hash = self.config_hash(&next);
        match self.cache.insert(&self.done, &self.maybe, next, hash) {
            Insert::Added(index) => {
                self.stack.push(Frame {
                    op,
                    previous: self.current,
                    forced: self.is_read_only(op),
                });
                self.current = index;
                self.list.lift(op);
                if operation.return_ns.is_some() {
                    self.open_completed -= 1;
                    self.deepest.pushed(&self.stack, self.open_completed);
                }
                self.fresh = true;
                Attempt::Added
            }
            Insert::Covered => {
                self.mark(op, false);
                Attempt::Covered
            }
            Insert::Full => {
                self.mark(op, false);
                self.outcome = Some(Outcome::Unknown(Bound::CacheEntries));
                Attempt::Full
            }
        }
    }

    /// The current node failed: undoes the operation that led to it, and keeps undoing
    /// while that operation was forced (its node had no other branch).
    fn backtrack(&mut self) {
        // One frame per operation: the stack length bounds the loop.
        for _ in 0..=self.stack.len() {
            let Some(frame) = self.stack.pop() else {
                self.outcome = Some(Outcome::NotLinearizable {
                    longest_prefix: std::mem::take(&mut self.deepest.best),
                });
                return;
            };
            self.deepest.popped(self.stack.len());
            self.mark(frame.op, false);
            self.current = frame.previous;
            self.list.unlift(frame.op);
            if self.returned(frame.op) {
                self.open_completed += 1;
            }
            if !frame.forced {
                return;
            }
        }
    }
}
