//! One register with read, write and compare-and-set, starting empty: the object of the
//! Jepsen etcd histories.

use crate::lincheck::model::Model;

use super::any_of;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterInput {
    Read,
    Write(i64),
    /// Sets `to` iff the value is `from`.
    Cas {
        from: i64,
        to: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOutput {
    /// The value read; `None` when the register was never written.
    Read(Option<i64>),
    Write,
    /// Whether the compare-and-set applied.
    Cas(bool),
}

/// The register model; its state is the value (`None` = never written, etcd's nil).
#[derive(Clone, Copy, Debug, Default)]
pub struct CasRegisterModel;

impl Model for CasRegisterModel {
    type Input = RegisterInput;
    type Output = RegisterOutput;
    type State = Option<i64>;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Option<Option<i64>> {
        match (input, output) {
            (RegisterInput::Read, None) => Some(*state),
            (RegisterInput::Read, Some(RegisterOutput::Read(value))) => {
                (value == state).then_some(*state)
            }
            (RegisterInput::Write(value), None | Some(RegisterOutput::Write)) => Some(Some(*value)),
            (RegisterInput::Cas { from, to }, output) => {
                let applies = *state == Some(*from);
                match output {
                    None => {}
                    Some(RegisterOutput::Cas(ok)) if *ok == applies => {}
                    Some(_) => return None,
                }
                Some(if applies { Some(*to) } else { *state })
            }
            _ => None,
        }
    }

    fn is_read_only(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> bool {
        matches!(
            (input, output),
            (RegisterInput::Read, _)
                | (RegisterInput::Cas { .. }, Some(RegisterOutput::Cas(false)))
        )
    }

    fn can_become_acceptable(
        &self,
        _state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
        writers: &mut dyn Iterator<Item = &RegisterInput>,
    ) -> bool {
        match (input, output) {
            // Only a write or a compare-and-set of the value read can produce it; nothing
            // makes the register nil again.
            (RegisterInput::Read, Some(RegisterOutput::Read(Some(wanted)))) => any_of(
                writers,
                |w| matches!(w, RegisterInput::Write(v) | RegisterInput::Cas { to: v, .. } if *v == *wanted),
            ),
            (RegisterInput::Read, Some(RegisterOutput::Read(None))) => false,
            // A failed compare-and-set is rejected while the value is `from`: it needs a
            // writer that can set something else.
            (RegisterInput::Cas { from, .. }, Some(RegisterOutput::Cas(false))) => any_of(
                writers,
                |w| matches!(w, RegisterInput::Write(v) | RegisterInput::Cas { to: v, .. } if *v != *from),
            ),
            _ => true,
        }
    }

    fn describe_operation(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
        let call = match input {
            RegisterInput::Read => "read()".to_string(),
            RegisterInput::Write(v) => format!("write({v})"),
            RegisterInput::Cas { from, to } => format!("cas({from}, {to})"),
        };
        let result = match output {
            None => "?".to_string(),
            Some(RegisterOutput::Read(Some(v))) => v.to_string(),
            Some(RegisterOutput::Read(None)) => "nil".to_string(),
            Some(RegisterOutput::Write) => "ok".to_string(),
            Some(RegisterOutput::Cas(true)) => "ok".to_string(),
            Some(RegisterOutput::Cas(false)) => "fail".to_string(),
        };
        format!("{call} -> {result}")
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        match state {
            Some(v) => v.to_string(),
            None => "nil".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_register_semantics() {
        let m = CasRegisterModel;
        let cas = RegisterInput::Cas { from: 1, to: 2 };
        assert_eq!(
            m.step(
                &None,
                &RegisterInput::Read,
                Some(&RegisterOutput::Read(None))
            ),
            Some(None)
        );
        assert_eq!(
            m.step(
                &Some(1),
                &RegisterInput::Read,
                Some(&RegisterOutput::Read(None))
            ),
            None
        );
        assert_eq!(
            m.step(&Some(1), &cas, Some(&RegisterOutput::Cas(true))),
            Some(Some(2))
        );
        assert_eq!(
            m.step(&Some(1), &cas, Some(&RegisterOutput::Cas(false))),
            None
        );
        assert_eq!(
            m.step(&Some(3), &cas, Some(&RegisterOutput::Cas(false))),
            Some(Some(3))
        );
        assert_eq!(m.step(&Some(1), &cas, None), Some(Some(2)));
        assert_eq!(m.step(&None, &RegisterInput::Write(4), None), Some(Some(4)));
        assert_eq!(
            m.step(
                &None,
                &RegisterInput::Write(4),
                Some(&RegisterOutput::Cas(true))
            ),
            None
        );
    }
}
