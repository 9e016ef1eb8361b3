//! A self-contained HTML page (no scripts, no external files) that shows checked histories
//! as timelines, one row per client, and for a failure the longest linearizable prefix
//! found and the operations that break it — so a person can see why.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::history::{History, OpIndex};
use super::model::Model;
use super::verdict::{CheckReport, Verdict};

/// Most operations drawn in one timeline; larger histories are cut (and say so).
const MAX_DRAWN_OPS: usize = 3000;
/// Pixels per distinct time point, per client row, and for the client label column.
const STEP_PX: usize = 16;
const ROW_PX: usize = 24;
const LABEL_PX: usize = 90;
/// Approximate width of one character of bar text, to shorten labels that do not fit.
const CHAR_PX: usize = 7;

/// One checked history, rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HtmlSection {
    html: String,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let head: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{head}…")
}

/// How an operation is drawn.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Position (1-based) in the longest linearizable prefix.
    Linearized(usize),
    /// One of the operations none of which could come next.
    Unplaceable,
    Other,
}

impl HtmlSection {
    /// Renders `history` checked against `model` with outcome `report`, titled `title`.
    pub fn new<M: Model>(
        title: &str,
        model: &M,
        history: &History<M::Input, M::Output>,
        report: &CheckReport,
    ) -> HtmlSection {
        let mut html = String::new();
        let verdict = report.verdict.name();
        let _ = write!(
            html,
            "<section><h2>{}</h2><p><span class=\"verdict {verdict}\">{verdict}</span> \
             {} operations, {} partitions, {} search steps</p>",
            escape(title),
            history.len(),
            report.stats.partitions,
            report.stats.steps,
        );
        let mut roles: BTreeMap<OpIndex, Role> = BTreeMap::new();
        let drawn: Vec<OpIndex> = match &report.verdict {
            Verdict::NotLinearizable(explanation) => {
                for (i, op) in explanation.prefix.iter().enumerate() {
                    roles.insert(op.op, Role::Linearized(i + 1));
                }
                for op in explanation
                    .unplaceable
                    .iter()
                    .chain(&explanation.unreachable_read)
                {
                    roles.insert(op.op, Role::Unplaceable);
                }
                html.push_str("<h3>Why it is not linearizable</h3><pre class=\"why\">");
                html.push_str(&escape(&explanation.to_string()));
                html.push_str("</pre>");
                let _ = write!(
                    html,
                    "<h3>Timeline of partition {} of {}</h3>",
                    explanation.partition + 1,
                    explanation.partitions
                );
                explanation.partition_ops.clone()
            }
            Verdict::Unknown(unknown) => {
                let _ = write!(
                    html,
                    "<p>{}</p><h3>Timeline</h3>",
                    escape(&unknown.to_string())
                );
                (0..history.len()).collect()
            }
            Verdict::Linearizable => {
                html.push_str("<h3>Timeline</h3>");
                (0..history.len()).collect()
            }
        };
        html.push_str(&timeline(model, history, &drawn, &roles));
        html.push_str("</section>");
        HtmlSection { html }
    }
}

/// The SVG timeline of the operations `drawn`.
fn timeline<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    drawn: &[OpIndex],
    roles: &BTreeMap<OpIndex, Role>,
) -> String {
    let mut out = String::new();
    let ops: Vec<OpIndex> = drawn.iter().copied().take(MAX_DRAWN_OPS).collect();
    if drawn.len() > ops.len() {
        let _ = write!(
            out,
            "<p>Showing the first {} of {} operations.</p>",
            ops.len(),
            drawn.len()
        );
    }
    // Time points ranked, so that the picture does not depend on the time unit.
    let mut times: BTreeSet<u64> = BTreeSet::new();
    let mut clients: BTreeSet<u64> = BTreeSet::new();
    for op in ops.iter().filter_map(|&i| history.get(i)) {
        times.insert(op.call_ns);
        times.extend(op.return_ns);
        clients.insert(op.client);
    }
    let rank: BTreeMap<u64, usize> = times.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let row: BTreeMap<u64, usize> = clients.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let x_of = |t: u64| LABEL_PX + rank.get(&t).copied().unwrap_or(0) * STEP_PX + STEP_PX / 2;
    let end_x = LABEL_PX + (times.len() + 2) * STEP_PX;
    let width = end_x + STEP_PX;
    let height = (clients.len() + 1) * ROW_PX;
    let _ = write!(
        out,
        "<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" \
         height=\"{height}\">"
    );
    for (&client, &r) in &row {
        let y = r * ROW_PX;
        let _ = write!(
            out,
            "<text x=\"4\" y=\"{}\" class=\"client\">client {client}</text>\
             <line x1=\"{LABEL_PX}\" x2=\"{end_x}\" y1=\"{}\" y2=\"{}\" class=\"lane\"/>",
            y + ROW_PX / 2 + 4,
            y + ROW_PX - 1,
            y + ROW_PX - 1
        );
    }
    for &index in &ops {
        let Some(op) = history.get(index) else {
            continue;
        };
        let role = roles.get(&index).copied().unwrap_or(Role::Other);
        let x1 = x_of(op.call_ns).saturating_sub(STEP_PX / 2) + 1;
        let x2 = op.return_ns.map_or(end_x, |r| x_of(r) + STEP_PX / 2 - 1);
        let bar_width = x2.saturating_sub(x1).max(4);
        let y = row.get(&op.client).copied().unwrap_or(0) * ROW_PX + 3;
        let text = model.describe_operation(&op.input, op.output.as_ref());
        let (class, mark) = match role {
            Role::Linearized(n) => ("op linearized", format!("{n}. ")),
            Role::Unplaceable => ("op unplaceable", "✗ ".to_string()),
            Role::Other => ("op", String::new()),
        };
        let pending = if op.return_ns.is_none() {
            " pending"
        } else {
            ""
        };
        let when = match op.return_ns {
            Some(r) => format!("[{}, {r}]", op.call_ns),
            None => format!("[{}, never returned]", op.call_ns),
        };
        let label = shorten(
            &format!("{mark}{text}"),
            bar_width.saturating_sub(6) / CHAR_PX,
        );
        let _ = write!(
            out,
            "<g><title>{}</title><rect class=\"{class}{pending}\" x=\"{x1}\" y=\"{y}\" \
             width=\"{bar_width}\" height=\"{}\" rx=\"3\"/><text x=\"{}\" y=\"{}\" \
             class=\"label\">{}</text></g>",
            escape(&format!(
                "{mark}#{index} client {} {when} {text}",
                op.client
            )),
            ROW_PX - 6,
            x1 + 3,
            y + ROW_PX / 2 + 1,
            escape(&label),
        );
    }
    out.push_str("</svg></div>");
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}\
section{margin-bottom:2.5em}h2{font-size:1.2em;margin-bottom:.2em}\
h3{font-size:1em;margin:.8em 0 .3em}\
.verdict{padding:.1em .5em;border-radius:.3em;color:#fff;font-weight:bold}\
.linearizable{background:#2e7d32}.not-linearizable{background:#c62828}.unknown{background:#6d6d6d}\
pre.why{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}\
.scroll{overflow-x:auto;border:1px solid #ddd}\
.client{font-size:12px;fill:#333}.lane{stroke:#eee}\
.op{fill:#cfd8dc;stroke:#78909c}.op.linearized{fill:#c8e6c9;stroke:#2e7d32}\
.op.unplaceable{fill:#ffcdd2;stroke:#c62828;stroke-width:2}\
.op.pending{stroke-dasharray:4 2;fill-opacity:.5}\
.label{font-size:11px;font-family:monospace;fill:#111;pointer-events:none}\
.legend span{display:inline-block;padding:0 .4em;margin-right:.6em;border:1px solid}";

const LEGEND: &str = "<p class=\"legend\">\
<span style=\"background:#c8e6c9;border-color:#2e7d32\">n. in the longest linearizable \
prefix, in order</span>\
<span style=\"background:#ffcdd2;border-color:#c62828\">✗ one of these had to come next; \
none could</span>\
<span style=\"background:#cfd8dc;border-color:#78909c\">other operation</span>\
<span style=\"border-style:dashed\">never returned</span> \
Bars run from call to return; hover for details.</p>";

/// The whole page.
pub fn render_page(title: &str, sections: &[HtmlSection]) -> String {
    let mut page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{STYLE}</style></head><body><h1>{}</h1>{LEGEND}",
        escape(title),
        escape(title)
    );
    for section in sections {
        page.push_str(&section.html);
    }
    page.push_str("</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lincheck::models::kv_register::{KvInput, KvOutput, KvRegisterModel};
    use crate::lincheck::{CheckOptions, Operation, check};

    #[test]
    fn a_failure_page_names_the_prefix_and_the_culprit() {
        let model: KvRegisterModel<&str, u8> = KvRegisterModel::new();
        let history = History::from_operations([
            Operation::completed(1, 0, 10, KvInput::Put("k", 1), KvOutput::Ok),
            Operation::completed(2, 20, 30, KvInput::Get("k"), KvOutput::Value(Some(2))),
            Operation::pending(3, 5, KvInput::Put("k", 3)),
        ])
        .unwrap();
        let report = check(&model, &history, &CheckOptions::default());
        let page = render_page("t <1>", &[HtmlSection::new("h", &model, &history, &report)]);
        assert!(page.contains("t &lt;1&gt;"));
        assert!(page.contains("not-linearizable"));
        assert!(page.contains("class=\"op unplaceable\""));
        assert!(page.contains("class=\"op linearized\""));
        assert!(page.contains("pending"));
        assert!(!page.contains("<script"));
    }
}
