//! Jepsen etcd logs: one compare-and-set register.
//!
//! `INFO  jepsen.util - <process> <:invoke|:ok|:fail|:info> <:read|:write|:cas> <value>`,
//! fields split on any whitespace. `:info` leaves the operation open to the end;
//! `:fail :read` completes a read with an unknown result; `:fail :cas` completes a
//! compare-and-set whose precondition failed; `:fail :write` did not happen and is dropped.

use super::ParseError;
use super::recorder::Recorder;
use crate::lincheck::history::History;
use crate::lincheck::models::cas_register::{RegisterInput, RegisterOutput};

const LINE_SHAPE: &str =
    "`INFO jepsen.util - <process> <:invoke|:ok|:fail|:info> <:read|:write|:cas> <value>`";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Event {
    Invoke,
    Ok,
    Fail,
    Info,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Function {
    Read,
    Write,
    Cas,
}

fn int(line: usize, value: &str, expected: &str) -> Result<i64, ParseError> {
    value
        .parse()
        .map_err(|_| ParseError::new(line, expected, value))
}

fn read_value(line: usize, value: &str) -> Result<Option<i64>, ParseError> {
    match value {
        "nil" => Ok(None),
        _ => int(line, value, "an integer or nil").map(Some),
    }
}

fn cas_pair(line: usize, value: &str) -> Result<(i64, i64), ParseError> {
    let expected = "`[FROM TO]` with two integers";
    let inner = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .ok_or_else(|| ParseError::new(line, expected, value))?;
    let mut parts = inner.split_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(from), Some(to), None) => Ok((int(line, from, expected)?, int(line, to, expected)?)),
        _ => Err(ParseError::new(line, expected, value)),
    }
}

fn input(line: usize, function: Function, value: &str) -> Result<RegisterInput, ParseError> {
    match function {
        Function::Read if value == "nil" => Ok(RegisterInput::Read),
        Function::Read => Err(ParseError::new(line, "`nil` as a read's argument", value)),
        Function::Write => Ok(RegisterInput::Write(int(
            line,
            value,
            "an integer to write",
        )?)),
        Function::Cas => cas_pair(line, value).map(|(from, to)| RegisterInput::Cas { from, to }),
    }
}

/// Checks that a completion names the invoked function and arguments.
fn same_call(
    line: usize,
    invoked: &RegisterInput,
    function: Function,
    value: &str,
) -> Result<(), ParseError> {
    let matches = match (invoked, function) {
        (RegisterInput::Write(v), Function::Write) => int(line, value, "an integer")? == *v,
        (RegisterInput::Cas { from, to }, Function::Cas) => cas_pair(line, value)? == (*from, *to),
        _ => false,
    };
    if matches {
        Ok(())
    } else {
        Err(ParseError::new(
            line,
            format!("the invoked operation {invoked:?} in its completion"),
            value,
        ))
    }
}

/// Parses a whole log. An empty log is an empty history.
pub fn parse(text: &str) -> Result<History<RegisterInput, RegisterOutput>, ParseError> {
    let mut recorder = Recorder::new();
    let mut last_line = 0;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        last_line = line;
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let [
            "INFO",
            "jepsen.util",
            "-",
            process,
            event,
            function,
            value @ ..,
        ] = fields.as_slice()
        else {
            return Err(ParseError::new(line, LINE_SHAPE, raw));
        };
        let process: u64 = process
            .parse()
            .map_err(|_| ParseError::new(line, "a process number after `-`", *process))?;
        let event = match *event {
            ":invoke" => Event::Invoke,
            ":ok" => Event::Ok,
            ":fail" => Event::Fail,
            ":info" => Event::Info,
            other => {
                return Err(ParseError::new(
                    line,
                    "`:invoke`, `:ok`, `:fail` or `:info`",
                    other,
                ));
            }
        };
        let function = match *function {
            ":read" => Function::Read,
            ":write" => Function::Write,
            ":cas" => Function::Cas,
            other => return Err(ParseError::new(line, "`:read`, `:write` or `:cas`", other)),
        };
        if value.is_empty() {
            return Err(ParseError::new(line, "a value after the function", raw));
        }
        // `[3 0]` was split in two; rejoin the value's fields.
        let value = value.join(" ");
        if event == Event::Invoke {
            recorder.invoke(line, process, input(line, function, &value)?)?;
            continue;
        }
        let invoked = *recorder.open_input(line, process, raw)?;
        let invoked_function = match invoked {
            RegisterInput::Read => Function::Read,
            RegisterInput::Write(_) => Function::Write,
            RegisterInput::Cas { .. } => Function::Cas,
        };
        if invoked_function != function {
            return Err(ParseError::new(
                line,
                format!("the completion of process {process}'s {invoked:?}"),
                raw,
            ));
        }
        match (event, function) {
            (Event::Info, _) => recorder.leave_open(process),
            (Event::Ok, Function::Read) => {
                let output = RegisterOutput::Read(read_value(line, &value)?);
                recorder.complete(line, process, Some(output));
            }
            (Event::Fail, Function::Read) => recorder.complete(line, process, None),
            (Event::Ok, Function::Write) => {
                same_call(line, &invoked, function, &value)?;
                recorder.complete(line, process, Some(RegisterOutput::Write));
            }
            (Event::Fail, Function::Write) => {
                same_call(line, &invoked, function, &value)?;
                recorder.discard(process);
            }
            (Event::Ok | Event::Fail, Function::Cas) => {
                same_call(line, &invoked, function, &value)?;
                let output = RegisterOutput::Cas(event == Event::Ok);
                recorder.complete(line, process, Some(output));
            }
            (Event::Invoke, _) => {}
        }
    }
    recorder.finish(last_line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lincheck::history::Operation;

    #[test]
    fn reads_events_with_tabs_or_spaces() {
        let text = "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n\
                    INFO  jepsen.util - 1   :invoke :cas    [1 2]\n\
                    INFO  jepsen.util - 2\t:invoke\t:write\t3\n\
                    \n\
                    INFO  jepsen.util - 0\t:ok\t:read\tnil\n\
                    INFO  jepsen.util - 1\t:fail\t:cas\t[1 2]\n\
                    INFO  jepsen.util - 2\t:info\t:write\t:timed-out\n\
                    INFO  jepsen.util - 3\t:invoke\t:read\tnil\n\
                    INFO  jepsen.util - 3\t:fail\t:read\t:timed-out\n";
        let h = parse(text).unwrap();
        assert_eq!(
            h.ops(),
            &[
                Operation::completed(0, 1, 5, RegisterInput::Read, RegisterOutput::Read(None)),
                Operation::completed(
                    1,
                    2,
                    6,
                    RegisterInput::Cas { from: 1, to: 2 },
                    RegisterOutput::Cas(false)
                ),
                Operation::pending(2, 3, RegisterInput::Write(3)),
                Operation {
                    client: 3,
                    call_ns: 8,
                    return_ns: Some(9),
                    input: RegisterInput::Read,
                    output: None
                },
            ]
        );
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn malformed_lines_name_their_line() {
        let bad = [
            ("INFO jepsen.util - 0 :invoke :read\n", 1),
            ("\nINFO jepsen.util - x :invoke :read nil\n", 2),
            ("INFO jepsen.util - 0 :begin :read nil\n", 1),
            ("INFO jepsen.util - 0 :invoke :incr 1\n", 1),
            ("INFO jepsen.util - 0 :invoke :cas [1]\n", 1),
            ("INFO jepsen.util - 0 :ok :read 1\n", 1),
            (
                "INFO jepsen.util - 0 :invoke :read nil\nINFO jepsen.util - 0 :invoke :read nil\n",
                2,
            ),
            (
                "INFO jepsen.util - 0 :invoke :write 1\nINFO jepsen.util - 0 :ok :write 2\n",
                2,
            ),
            (
                "INFO jepsen.util - 0 :invoke :write 1\nINFO jepsen.util - 0 :ok :read 1\n",
                2,
            ),
            ("{:process 0, :type :invoke}\n", 1),
        ];
        for (text, line) in bad {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
        }
    }
}
