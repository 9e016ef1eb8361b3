//! Property tests of the checker: sequential executions stretched into overlapping
//! intervals are linearizable; the same with one read made stale are not; and on small
//! random histories the checker agrees with a brute-force search over all orders.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use sim::lincheck::models::cas_register::{CasRegisterModel, RegisterInput, RegisterOutput};
use sim::lincheck::models::kv_append::{AppendInput, AppendOutput, KvAppendModel};
use sim::lincheck::models::kv_register::{KvInput, KvOutput, KvRegisterModel};
use sim::lincheck::{Bound, CheckOptions, History, Limits, Model, Operation, Verdict, check};

type Kv = KvRegisterModel<u8, u32>;
type KvHistory = History<KvInput<u8, u32>, KvOutput<u32>>;

/// One generated operation: kind (0 get, 1 put, 2 delete), key, how far its call and
/// return stretch around its linearization point, and whether it never returns (and then
/// whether it took effect).
#[derive(Clone, Debug)]
struct Step {
    kind: u8,
    key: u8,
    before: u64,
    after: u64,
    pending: bool,
    applied: bool,
}

fn steps(max: usize, keys: u8) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            0u8..3,
            0..keys,
            0u64..30,
            0u64..30,
            prop::bool::weighted(0.1),
            any::<bool>(),
        )
            .prop_map(|(kind, key, before, after, pending, applied)| Step {
                kind,
                key,
                before,
                after,
                pending,
                applied,
            }),
        1..max,
    )
}

/// Executes `steps` sequentially (linearization points 10 apart) on a map, puts writing
/// unique values, and records each with its stretched interval.
fn sequential_history(steps: &[Step]) -> KvHistory {
    let model = Kv::new();
    let mut state = model.init();
    let mut history = History::new();
    for (i, s) in steps.iter().enumerate() {
        let point = 100 + 10 * i as u64;
        let input = match s.kind {
            0 => KvInput::Get(s.key),
            1 => KvInput::Put(s.key, i as u32),
            _ => KvInput::Delete(s.key),
        };
        let call_ns = point - s.before;
        let client = i as u64;
        if s.pending {
            if s.applied {
                state = model.step(&state, &input, None).unwrap();
            }
            history
                .push(Operation::pending(client, call_ns, input))
                .unwrap();
            continue;
        }
        let output = match &input {
            KvInput::Get(k) => {
                KvOutput::Value(state.iter().find(|(key, _)| key == k).map(|(_, v)| *v))
            }
            _ => KvOutput::Ok,
        };
        state = model.step(&state, &input, Some(&output)).unwrap();
        history
            .push(Operation::completed(
                client,
                call_ns,
                point + s.after,
                input,
                output,
            ))
            .unwrap();
    }
    history
}

fn precedes<I, O>(a: &Operation<I, O>, b: &Operation<I, O>) -> bool {
    a.return_ns.is_some_and(|r| r < b.call_ns)
}

/// A read made stale: a get that starts after two puts of its key that follow each other
/// in real time returns the older put's value (values are unique, so no order explains it).
fn make_stale(history: &KvHistory) -> Option<KvHistory> {
    let ops = history.ops();
    let is_put = |o: &Operation<KvInput<u8, u32>, KvOutput<u32>>, k: u8| {
        matches!(o.input, KvInput::Put(key, _) if key == k) && o.return_ns.is_some()
    };
    for (r, read) in ops.iter().enumerate().rev() {
        let (KvInput::Get(k), Some(_)) = (&read.input, &read.output) else {
            continue;
        };
        for new in ops.iter().filter(|o| is_put(o, *k) && precedes(o, read)) {
            let Some(old) = ops.iter().find(|o| is_put(o, *k) && precedes(o, new)) else {
                continue;
            };
            let KvInput::Put(_, stale) = old.input else {
                continue;
            };
            let mut all = ops.to_vec();
            all[r].output = Some(KvOutput::Value(Some(stale)));
            return Some(History::from_operations(all).unwrap());
        }
    }
    None
}

/// Brute force: tries every order of the operations that respects real time, where an
/// operation that never returned may also be left out.
fn brute_force<M: Model>(model: &M, history: &History<M::Input, M::Output>) -> bool {
    fn search<M: Model>(
        model: &M,
        ops: &[Operation<M::Input, M::Output>],
        placed: &mut Vec<bool>,
        state: &M::State,
    ) -> bool {
        let done = ops
            .iter()
            .zip(placed.iter())
            .all(|(op, &p)| p || op.return_ns.is_none());
        if done {
            return true;
        }
        for i in 0..ops.len() {
            if placed[i] {
                continue;
            }
            let ready = (0..ops.len()).all(|j| placed[j] || !precedes(&ops[j], &ops[i]));
            if !ready {
                continue;
            }
            let Some(next) = model.step(state, &ops[i].input, ops[i].output.as_ref()) else {
                continue;
            };
            placed[i] = true;
            let found = search(model, ops, placed, &next);
            placed[i] = false;
            if found {
                return true;
            }
        }
        false
    }
    let mut placed = vec![false; history.len()];
    search(model, history.ops(), &mut placed, &model.init())
}

/// Checks the checker's verdict against brute force and, for a failure, that the
/// explanation is a real linearizable prefix followed by operations the model rejects.
fn agrees<M: Model>(model: &M, history: &History<M::Input, M::Output>) -> Result<(), String> {
    let report = check(model, history, &CheckOptions::default());
    let expected = brute_force(model, history);
    match (&report.verdict, expected) {
        (Verdict::Linearizable, true) => Ok(()),
        (Verdict::NotLinearizable(why), false) => {
            let ops = history.ops();
            let mut state = model.init();
            for (i, e) in why.prefix.iter().enumerate() {
                let op = &ops[e.op];
                state = model
                    .step(&state, &op.input, op.output.as_ref())
                    .ok_or(format!("prefix step {i} rejected"))?;
                let before: Vec<usize> = why.prefix[..i].iter().map(|e| e.op).collect();
                for &j in &why.partition_ops {
                    if precedes(&ops[j], op) && !before.contains(&j) {
                        return Err(format!("prefix op #{} placed before #{j}", e.op));
                    }
                }
            }
            if why.unplaceable.is_empty() {
                return Err("no unplaceable operation".into());
            }
            let read_not_listed = why
                .unreachable_read
                .as_ref()
                .filter(|read| !why.unplaceable.iter().any(|e| e.op == read.op));
            if let Some(read) = read_not_listed {
                return Err(format!("unreachable read #{} is placeable", read.op));
            }
            for e in &why.unplaceable {
                let op = &ops[e.op];
                if op.return_ns.is_none()
                    || model.step(&state, &op.input, op.output.as_ref()).is_some()
                {
                    return Err(format!("#{} listed as unplaceable but is placeable", e.op));
                }
            }
            Ok(())
        }
        (verdict, expected) => Err(format!(
            "checker: {}, brute force: {expected}",
            verdict.name()
        )),
    }
}

fn random_kv_history() -> impl Strategy<Value = KvHistory> {
    let op = (0u8..3, 0u8..2, 0u32..3, 0u8..5, 0u64..12, 0u64..8, 0u8..10);
    prop::collection::vec(op, 1..=8).prop_map(|ops| {
        let all =
            ops.into_iter()
                .enumerate()
                .map(|(i, (kind, key, value, out, call, len, fate))| {
                    let input = match kind {
                        0 => KvInput::Get(key),
                        1 => KvInput::Put(key, value),
                        _ => KvInput::Delete(key),
                    };
                    let output = match (kind, out) {
                        (_, 4) => None,
                        (0, 3) => Some(KvOutput::Value(None)),
                        (0, v) => Some(KvOutput::Value(Some(u32::from(v)))),
                        _ => Some(KvOutput::Ok),
                    };
                    let client = i as u64;
                    if fate == 0 {
                        Operation::pending(client, call, input)
                    } else {
                        Operation {
                            client,
                            call_ns: call,
                            return_ns: Some(call + len),
                            input,
                            output,
                        }
                    }
                });
        History::from_operations(all).unwrap()
    })
}

fn random_register_history() -> impl Strategy<Value = History<RegisterInput, RegisterOutput>> {
    let op = (0u8..3, 0i64..3, 0i64..3, 0u8..5, 0u64..12, 0u64..8, 0u8..10);
    prop::collection::vec(op, 1..=8).prop_map(|ops| {
        let all = ops
            .into_iter()
            .enumerate()
            .map(|(i, (kind, a, b, out, call, len, fate))| {
                let (input, output) = match kind {
                    0 => (
                        RegisterInput::Read,
                        match out {
                            3 => RegisterOutput::Read(None),
                            v => RegisterOutput::Read(Some(i64::from(v))),
                        },
                    ),
                    1 => (RegisterInput::Write(a), RegisterOutput::Write),
                    _ => (
                        RegisterInput::Cas { from: a, to: b },
                        RegisterOutput::Cas(out % 2 == 0),
                    ),
                };
                let output = (out != 4 || kind == 1).then_some(output);
                let client = i as u64;
                if fate == 0 {
                    Operation::pending(client, call, input)
                } else {
                    Operation {
                        client,
                        call_ns: call,
                        return_ns: Some(call + len),
                        input,
                        output,
                    }
                }
            });
        History::from_operations(all).unwrap()
    })
}

/// Raw choices for a small get / put / append history (see `build_append_history`).
fn random_append_ops() -> impl Strategy<Value = Vec<(u8, u8, u8, u8, u64, u64, u8)>> {
    let op = (0u8..3, 0u8..2, 0u8..4, 0u8..6, 0u64..12, 0u64..8, 0u8..10);
    prop::collection::vec(op, 1..=7)
}

/// A history on one or two keys from `ops`, with its strings interned in a fresh model.
fn build_append_history(
    ops: &[(u8, u8, u8, u8, u64, u64, u8)],
) -> (KvAppendModel, History<AppendInput, AppendOutput>) {
    const PIECES: [&str; 4] = ["a", "b", "ab", ""];
    const SEEN: [&str; 6] = ["", "a", "b", "ab", "ba", "aab"];
    let model = KvAppendModel::new();
    let all = ops
        .iter()
        .enumerate()
        .map(|(i, &(kind, key, piece, out, call, len, fate))| {
            let key = model.intern(if key == 0 { "k" } else { "j" });
            let piece = model.intern(PIECES[usize::from(piece)]);
            let (input, output) = match kind {
                0 => (
                    AppendInput::Get(key),
                    AppendOutput::Value(model.intern(SEEN[usize::from(out)])),
                ),
                1 => (AppendInput::Put(key, piece), AppendOutput::Ok),
                _ => (AppendInput::Append(key, piece), AppendOutput::Ok),
            };
            let client = i as u64;
            if fate == 0 {
                Operation::pending(client, call, input)
            } else {
                let output = (out != 5 || kind != 0).then_some(output);
                Operation {
                    client,
                    call_ns: call,
                    return_ns: Some(call + len),
                    input,
                    output,
                }
            }
        });
    let history = History::from_operations(all).unwrap();
    (model, history)
}

proptest! {
    // About a third of generated histories have no read that can be made stale (rejected).
    #![proptest_config(ProptestConfig {
        max_global_rejects: 100_000,
        ..ProptestConfig::with_cases(512)
    })]

    #[test]
    fn sequential_executions_are_linearizable(steps in steps(60, 3)) {
        let history = sequential_history(&steps);
        let report = check(&Kv::new(), &history, &CheckOptions::default());
        prop_assert!(report.verdict.is_linearizable(), "{}", report.verdict);
        let whole = CheckOptions { partition: false, ..CheckOptions::default() };
        let report = check(&Kv::new(), &history, &whole);
        prop_assert!(report.verdict.is_linearizable(), "{}", report.verdict);
    }

    #[test]
    fn one_stale_read_is_not_linearizable(steps in steps(60, 2)) {
        let stale = make_stale(&sequential_history(&steps));
        prop_assume!(stale.is_some());
        let stale = stale.unwrap();
        for partition in [true, false] {
            let options = CheckOptions { partition, ..CheckOptions::default() };
            let report = check(&Kv::new(), &stale, &options);
            prop_assert_eq!(report.verdict.name(), "not-linearizable");
        }
    }

    #[test]
    fn kv_checker_agrees_with_brute_force(history in random_kv_history()) {
        let result = agrees(&Kv::new(), &history);
        prop_assert!(result.is_ok(), "{:?} on {:?}", result, history);
    }

    #[test]
    fn append_checker_agrees_with_brute_force(ops in random_append_ops()) {
        let (model, history) = build_append_history(&ops);
        let result = agrees(&model, &history);
        prop_assert!(result.is_ok(), "{:?} on {:?}", result, history);
    }

    #[test]
    fn register_checker_agrees_with_brute_force(history in random_register_history()) {
        let result = agrees(&CasRegisterModel, &history);
        prop_assert!(result.is_ok(), "{:?} on {:?}", result, history);
    }
}

#[test]
fn bounds_give_unknown_never_a_pass() {
    let steps: Vec<Step> = (0..40)
        .map(|i| Step {
            kind: (i % 3) as u8,
            key: 0,
            before: 25,
            after: 25,
            pending: i % 7 == 0,
            applied: i % 2 == 0,
        })
        .collect();
    let history = sequential_history(&steps);
    let tight = |limits| CheckOptions {
        limits,
        partition: true,
    };
    let report = check(
        &Kv::new(),
        &history,
        &tight(Limits {
            max_steps: 3,
            max_cache_entries: 1_000,
        }),
    );
    assert!(matches!(&report.verdict, Verdict::Unknown(u) if u.bound == Bound::Steps));
    let report = check(
        &Kv::new(),
        &history,
        &tight(Limits {
            max_steps: 1_000_000,
            max_cache_entries: 2,
        }),
    );
    assert!(matches!(&report.verdict, Verdict::Unknown(u) if u.bound == Bound::CacheEntries));
    assert!(
        check(&Kv::new(), &history, &CheckOptions::default())
            .verdict
            .is_linearizable()
    );
}

#[test]
fn the_same_check_gives_the_same_report() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/porcupine/jepsen/etcd_057.log"),
    )
    .unwrap();
    let history = sim::lincheck::parse::jepsen::parse(&text).unwrap();
    let a = check(&CasRegisterModel, &history, &CheckOptions::default());
    let b = check(&CasRegisterModel, &history, &CheckOptions::default());
    assert_eq!(a, b);
}
