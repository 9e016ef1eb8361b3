//! Porcupine's kv histories: one EDN map per line,
//! `{:process N, :type :invoke|:ok, :f :get|:put|:append, :key "K", :value "V"|nil}`.
//! An `:info` completion leaves the operation open; a `:fail` one means it did not happen.

use super::ParseError;
use super::edn::{EdnValue, parse_map};
use super::recorder::Recorder;
use crate::lincheck::history::History;
use crate::lincheck::model::Model;
use crate::lincheck::models::kv_append::{AppendInput, AppendOutput, KvAppendModel};

/// The history and the model holding its interned strings.
pub struct ParsedKv {
    pub model: KvAppendModel,
    pub history: History<AppendInput, AppendOutput>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Function {
    Get,
    Put,
    Append,
}

/// The fields of one line.
struct Line {
    process: u64,
    event: String,
    function: Function,
    key: String,
    value: Option<String>,
}

fn field<'a>(
    entries: &'a [(String, EdnValue)],
    line: usize,
    name: &str,
    raw: &str,
) -> Result<&'a EdnValue, ParseError> {
    entries
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .ok_or_else(|| ParseError::new(line, format!("a `:{name}` entry"), raw))
}

fn read_line(line: usize, raw: &str) -> Result<Line, ParseError> {
    let entries = parse_map(raw).map_err(|e| {
        ParseError::new(line, format!("{} at column {}", e.expected, e.column), raw)
    })?;
    let process = match field(&entries, line, "process", raw)? {
        EdnValue::Int(p) if *p >= 0 => *p as u64,
        _ => {
            return Err(ParseError::new(
                line,
                "`:process` a non-negative integer",
                raw,
            ));
        }
    };
    let event = match field(&entries, line, "type", raw)? {
        EdnValue::Keyword(k) if matches!(k.as_str(), "invoke" | "ok" | "fail" | "info") => {
            k.clone()
        }
        _ => {
            return Err(ParseError::new(
                line,
                "`:type` one of :invoke :ok :fail :info",
                raw,
            ));
        }
    };
    let function = match field(&entries, line, "f", raw)? {
        EdnValue::Keyword(k) if k == "get" => Function::Get,
        EdnValue::Keyword(k) if k == "put" => Function::Put,
        EdnValue::Keyword(k) if k == "append" => Function::Append,
        _ => return Err(ParseError::new(line, "`:f` one of :get :put :append", raw)),
    };
    let key = match field(&entries, line, "key", raw)? {
        EdnValue::Str(k) => k.clone(),
        _ => return Err(ParseError::new(line, "`:key` a string", raw)),
    };
    let value = match field(&entries, line, "value", raw)? {
        EdnValue::Str(v) => Some(v.clone()),
        EdnValue::Nil => None,
        _ => return Err(ParseError::new(line, "`:value` a string or nil", raw)),
    };
    Ok(Line {
        process,
        event,
        function,
        key,
        value,
    })
}

fn input(
    model: &KvAppendModel,
    line: usize,
    fields: &Line,
    raw: &str,
) -> Result<AppendInput, ParseError> {
    let key = model.intern(&fields.key);
    match (fields.function, &fields.value) {
        (Function::Get, None) => Ok(AppendInput::Get(key)),
        (Function::Put, Some(v)) => Ok(AppendInput::Put(key, model.intern(v))),
        (Function::Append, Some(v)) => Ok(AppendInput::Append(key, model.intern(v))),
        (Function::Get, Some(_)) => {
            Err(ParseError::new(line, "`:value nil` in a get's invoke", raw))
        }
        _ => Err(ParseError::new(
            line,
            "a string `:value` in a put's or append's invoke",
            raw,
        )),
    }
}

/// Parses a whole file. An empty file is an empty history.
pub fn parse(text: &str) -> Result<ParsedKv, ParseError> {
    let model = KvAppendModel::new();
    let mut recorder: Recorder<AppendInput, AppendOutput> = Recorder::new();
    let mut last_line = 0;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        last_line = line;
        if raw.trim().is_empty() {
            continue;
        }
        let fields = read_line(line, raw)?;
        let process = fields.process;
        if fields.event == "invoke" {
            let input = input(&model, line, &fields, raw)?;
            recorder.invoke(line, process, input)?;
            continue;
        }
        let invoked = *recorder.open_input(line, process, raw)?;
        let key = model.intern(&fields.key);
        let value = fields.value.as_deref().map(|v| model.intern(v));
        let same_call = match (invoked, fields.function) {
            (AppendInput::Get(k), Function::Get) => k == key,
            (AppendInput::Put(k, v), Function::Put)
            | (AppendInput::Append(k, v), Function::Append) => k == key && value == Some(v),
            _ => false,
        };
        if !same_call {
            return Err(ParseError::new(
                line,
                format!(
                    "the completion of process {process}'s {}",
                    model
                        .describe_operation(&invoked, None)
                        .trim_end_matches(" -> ?")
                ),
                raw,
            ));
        }
        match (fields.event.as_str(), fields.function, value) {
            ("info", _, _) => recorder.leave_open(process),
            ("fail", _, _) => recorder.discard(process),
            (_, Function::Get, Some(v)) => {
                recorder.complete(line, process, Some(AppendOutput::Value(v)));
            }
            (_, Function::Get, None) => {
                return Err(ParseError::new(
                    line,
                    "a string `:value` in a get's `:ok`",
                    raw,
                ));
            }
            _ => recorder.complete(line, process, Some(AppendOutput::Ok)),
        }
    }
    let history = recorder.finish(last_line)?;
    Ok(ParsedKv { model, history })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_invokes_and_completions() {
        let text = "{:process 0, :type :invoke, :f :append, :key \"0\", :value \"x 0 0 y\"}\n\
                    {:process 1, :type :invoke, :f :get, :key \"0\", :value nil}\n\
                    {:process 0, :type :ok, :f :append, :key \"0\", :value \"x 0 0 y\"}\n\
                    {:process 1, :type :ok, :f :get, :key \"0\", :value \"\"}\n\
                    {:process 2, :type :invoke, :f :put, :key \"1\", :value \"z\"}\n";
        let ParsedKv { model, history } = parse(text).unwrap();
        let ops = history.ops();
        assert_eq!(ops.len(), 3);
        assert_eq!((ops[0].call_ns, ops[0].return_ns), (1, Some(3)));
        assert_eq!(ops[1].output, Some(AppendOutput::Value(model.intern(""))));
        assert_eq!(ops[2].return_ns, None);
        assert_eq!(
            model.describe_operation(&ops[0].input, ops[0].output.as_ref()),
            "append(\"0\", \"x 0 0 y\") -> ok"
        );
    }

    #[test]
    fn malformed_lines_name_their_line() {
        let inv = "{:process 0, :type :invoke, :f :get, :key \"0\", :value nil}\n";
        let bad = [
            (
                "{:process 0, :type :invoke, :f :get, :key \"0\"}\n".to_string(),
                1,
            ),
            (
                "{:process 0, :type :invoke, :f :incr, :key \"0\", :value nil}\n".to_string(),
                1,
            ),
            (
                "{:process 0, :type :ok, :f :get, :key \"0\", :value \"\"}\n".to_string(),
                1,
            ),
            (format!("{inv}{inv}"), 2),
            (
                format!("{inv}{{:process 0, :type :ok, :f :get, :key \"1\", :value \"\"}}\n"),
                2,
            ),
            (
                format!("{inv}{{:process 0, :type :ok, :f :get, :key \"0\", :value nil}}\n"),
                2,
            ),
            (
                format!("\n{inv}{{:process 0, :type :ok, :f :get, :key \"0\", :value \"\"\n"),
                3,
            ),
            (
                "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n".to_string(),
                1,
            ),
        ];
        for (text, line) in bad {
            let err = parse(&text).err().unwrap();
            assert_eq!(err.line, line, "{text:?}: {err}");
        }
    }
}
