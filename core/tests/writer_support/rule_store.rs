//! One fault-injecting store for core's tests: a memory store and a list of rules, each
//! saying which request kind it matches, which path prefix (and optionally which write tag),
//! what it does — a fault, a cycle of faults, or a hook run just before the request — and
//! how many times. The first matching hook runs, then the first matching fault applies;
//! a rule used up is dropped. Every delete that reaches the inner store is logged.

use super::Fault;
use bytes::Bytes;
use lsm_core::layout::WRITE_TAG_ATTRIBUTE;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, MemoryStore, ObjectMeta, ObjectStore, PutMode,
    StoreError,
};
use std::future::Future;
use std::sync::{Arc, Mutex};

/// The mutating requests a rule can match (reads always go through).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    Put,
    Delete,
}

/// Run once, with the inner store, just before the matching request goes through: the
/// test makes another role win a race there.
pub type Hook = Box<dyn FnOnce(&MemoryStore) + Send>;

pub enum Action {
    Fault(Fault),
    /// The Nth matching request gets `faults[N % len]`.
    Cycle {
        faults: Vec<Fault>,
        next: usize,
    },
    Hook(Option<Hook>),
}

pub struct Rule {
    pub request: Request,
    pub path_prefix: String,
    /// Only requests whose write tag contains this (puts carry one).
    pub tag_contains: Option<String>,
    pub action: Action,
    /// Matches left; `None`: forever.
    pub times: Option<u64>,
}

impl Rule {
    fn matches(&self, request: Request, path: &str, tag: Option<&str>) -> bool {
        self.request == request
            && path.starts_with(&self.path_prefix)
            && self
                .tag_contains
                .as_deref()
                .is_none_or(|wanted| tag.is_some_and(|tag| tag.contains(wanted)))
            && self.times != Some(0)
    }

    fn is_hook(&self) -> bool {
        matches!(self.action, Action::Hook(_))
    }
}

#[derive(Clone)]
pub struct RuleStore {
    pub inner: Arc<MemoryStore>,
    rules: Arc<Mutex<Vec<Rule>>>,
    deleted: Arc<Mutex<Vec<String>>>,
}

impl RuleStore {
    pub fn new(inner: Arc<MemoryStore>) -> RuleStore {
        RuleStore {
            inner,
            rules: Arc::default(),
            deleted: Arc::default(),
        }
    }

    pub fn add_rule(&self, rule: Rule) {
        self.rules.lock().unwrap().push(rule);
    }

    /// Every put, on any path, fails per `schedule`, cycling through it.
    pub fn cycling_puts(inner: Arc<MemoryStore>, schedule: Vec<Fault>) -> RuleStore {
        let store = RuleStore::new(inner);
        store.add_rule(Rule {
            request: Request::Put,
            path_prefix: String::new(),
            tag_contains: None,
            action: Action::Cycle {
                faults: schedule,
                next: 0,
            },
            times: None,
        });
        store
    }

    /// The next requests of `request` kind under `path_prefix` get `faults`, one each, in order.
    pub fn fail_next(
        &self,
        request: Request,
        path_prefix: &str,
        faults: impl IntoIterator<Item = Fault>,
    ) {
        for fault in faults {
            self.add_rule(Rule {
                request,
                path_prefix: path_prefix.to_string(),
                tag_contains: None,
                action: Action::Fault(fault),
                times: Some(1),
            });
        }
    }

    /// Runs `hook` once, just before the next put under `path_prefix` whose write tag
    /// contains `tag_contains` (any tag when `None`).
    pub fn before_next_put(&self, path_prefix: &str, tag_contains: Option<&str>, hook: Hook) {
        self.add_rule(Rule {
            request: Request::Put,
            path_prefix: path_prefix.to_string(),
            tag_contains: tag_contains.map(str::to_string),
            action: Action::Hook(Some(hook)),
            times: Some(1),
        });
    }

    /// Hooks not yet run.
    pub fn hooks_pending(&self) -> usize {
        let rules = self.rules.lock().unwrap();
        rules.iter().filter(|rule| rule.is_hook()).count()
    }

    /// Paths whose delete reached the store, in order.
    pub fn deleted_paths(&self) -> Vec<String> {
        self.deleted.lock().unwrap().clone()
    }

    /// Takes the first matching rule of the kind `want_hook` selects, counting one use.
    fn take(
        &self,
        request: Request,
        path: &str,
        tag: Option<&str>,
        want_hook: bool,
    ) -> Option<Step> {
        let mut rules = self.rules.lock().unwrap();
        let index = rules
            .iter()
            .position(|rule| rule.is_hook() == want_hook && rule.matches(request, path, tag))?;
        let rule = &mut rules[index];
        rule.times = rule.times.map(|times| times - 1);
        let step = match &mut rule.action {
            Action::Fault(fault) => Step::Fault(*fault),
            Action::Cycle { faults, next } => {
                let fault = faults.get(*next % faults.len().max(1)).copied();
                *next += 1;
                Step::Fault(fault.unwrap_or(Fault::None))
            }
            Action::Hook(hook) => Step::Hook(hook.take()),
        };
        if rule.times == Some(0) {
            rules.remove(index);
        }
        Some(step)
    }

    /// Runs the matching hook, if any, then returns the fault to apply.
    fn fault_for(&self, request: Request, path: &str, tag: Option<&str>) -> Fault {
        if let Some(Step::Hook(Some(hook))) = self.take(request, path, tag, true) {
            hook(&self.inner);
        }
        match self.take(request, path, tag, false) {
            Some(Step::Fault(fault)) => fault,
            _ => Fault::None,
        }
    }
}

enum Step {
    Fault(Fault),
    Hook(Option<Hook>),
}

fn injected(path: &str) -> StoreError {
    StoreError::Transient {
        path: path.to_string(),
        detail: "injected".into(),
    }
}

impl ObjectStore for RuleStore {
    fn get(
        &self,
        path: &str,
        range: GetRange,
    ) -> impl Future<Output = Result<GetResult, StoreError>> + Send {
        self.inner.get(path, range)
    }

    fn head(&self, path: &str) -> impl Future<Output = Result<ObjectMeta, StoreError>> + Send {
        self.inner.head(path)
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        let tag = attributes.get(WRITE_TAG_ATTRIBUTE).cloned();
        let lost = StoreError::UnknownOutcome {
            path: path.to_string(),
        };
        match self.fault_for(Request::Put, path, tag.as_deref()) {
            Fault::None => self.inner.put(path, bytes, mode, attributes).await,
            Fault::Transient => Err(injected(path)),
            Fault::LostReplyApplied => {
                let _ = self.inner.put(path, bytes, mode, attributes).await;
                Err(lost)
            }
            Fault::LostReplyDropped => Err(lost),
        }
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        let lost = StoreError::UnknownOutcome {
            path: path.to_string(),
        };
        let fault = self.fault_for(Request::Delete, path, None);
        if matches!(fault, Fault::None | Fault::LostReplyApplied) {
            self.deleted.lock().unwrap().push(path.to_string());
        }
        match fault {
            Fault::None => self.inner.delete(path).await,
            Fault::Transient => Err(injected(path)),
            Fault::LostReplyApplied => {
                let _ = self.inner.delete(path).await;
                Err(lost)
            }
            Fault::LostReplyDropped => Err(lost),
        }
    }

    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>, StoreError>> + Send {
        self.inner.list(prefix)
    }
}
